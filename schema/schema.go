// Package schema holds the goose migrations: schema/*.sql, embedded so that the
// binary carries its own schema (sqlc reads the same files), and the few
// migrations that must run Go (email_key.go, river.go). NewProvider applies them all.
package schema

import (
	"database/sql"
	"embed"
	"fmt"

	"github.com/pressly/goose/v3"
)

// FS holds every SQL migration, applied in file-name order.
//
//go:embed *.sql
var FS embed.FS

// NewProvider returns the goose provider of every migration, SQL and Go, over db.
func NewProvider(db *sql.DB, opts ...goose.ProviderOption) (*goose.Provider, error) {
	opts = append(opts, goose.WithGoMigrations(append([]*goose.Migration{emailKeyMigration}, riverMigrations...)...))
	return goose.NewProvider(goose.DialectPostgres, db, FS, opts...)
}

// GoMigrationsKey names the Go migrations and what they apply, for caches of
// migrated databases (the test template) that hash FS: it changes when they do.
func GoMigrationsKey() string {
	return fmt.Sprintf("email_key@%d river@%d:%d,%d:%d", emailKeyVersion, riverVersion, riverSplitAt, riverRestVersion, riverSchemaVersion)
}
