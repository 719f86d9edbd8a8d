// Package schema embeds the goose migrations in schema/*.sql, so that the binary
// carries its own schema. sqlc reads the same files.
package schema

import "embed"

// FS holds every migration, applied in file-name order.
//
//go:embed *.sql
var FS embed.FS
