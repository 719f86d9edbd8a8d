package main

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/server/store"
)

// openPool opens the service's pool, as cfg.DB sizes it.
func openPool(ctx context.Context, cfg config) (*pgxpool.Pool, error) {
	pool, err := store.Open(ctx, cfg.DatabaseURL, cfg.DB)
	return pool, usageIfBadURL(err)
}

// poolConfig is the configuration of cfg's pool, for the migrator's connections.
func poolConfig(cfg config) (*pgxpool.Config, error) {
	pc, err := store.PoolConfig(cfg.DatabaseURL, cfg.DB)
	return pc, usageIfBadURL(err)
}

// usageIfBadURL turns an unparsable DATABASE_URL into a usage error.
func usageIfBadURL(err error) error {
	if errors.Is(err, store.ErrBadURL) {
		return usageErrorf("DATABASE_URL: cannot be parsed as a connection string")
	}
	return err
}

// newLogger logs JSON lines to w.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
