package server

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxuuid "github.com/vgarvardt/pgx-google-uuid/v5"
)

// ConfigurePool prepares every connection of a pool for the generated queries:
// google/uuid values are encoded and scanned in binary. Without it pgx goes
// through uuid.UUID's driver.Valuer: a string, a failed encode, a text scan and
// a second encode, for every uuid argument.
func ConfigurePool(cfg *pgxpool.Config) {
	after := cfg.AfterConnect
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		pgxuuid.Register(conn.TypeMap())
		if after != nil {
			return after(ctx, conn)
		}
		return nil
	}
}
