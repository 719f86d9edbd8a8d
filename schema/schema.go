// Package schema holds the goose migrations: schema/*.sql, embedded so that the
// binary carries its own schema (sqlc reads the same files), and the few
// migrations that must run Go (email_key.go). NewProvider applies them all.
package schema

import (
	"database/sql"
	"embed"

	"github.com/pressly/goose/v3"
)

// FS holds every SQL migration, applied in file-name order.
//
//go:embed *.sql
var FS embed.FS

// NewProvider returns the goose provider of every migration, SQL and Go, over db.
func NewProvider(db *sql.DB, opts ...goose.ProviderOption) (*goose.Provider, error) {
	opts = append(opts, goose.WithGoMigrations(emailKeyMigration))
	return goose.NewProvider(goose.DialectPostgres, db, FS, opts...)
}
