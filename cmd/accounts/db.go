package main

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5"
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

// listenConfig is the revocation listener's connection: ACCOUNTS_LISTEN_DATABASE_URL,
// or nil for one like the pool's. Queries sent without prepared statements
// suggest a transaction pooler, through which LISTEN hears nothing: without a
// direct URL, revocations then reach this replica by polling alone, and it
// says so.
func listenConfig(cfg config, log *slog.Logger) (*pgx.ConnConfig, error) {
	if cfg.ListenURL == "" {
		if cfg.DB.ExecMode != pgx.QueryExecModeCacheStatement {
			log.Warn("ACCOUNTS_LISTEN_DATABASE_URL is unset while ACCOUNTS_DB_QUERY_EXEC_MODE suggests a transaction pooler: "+
				"LISTEN cannot work through one, so revocations reach this replica by polling (within a second) only",
				slog.String("exec_mode", cfg.DB.ExecMode.String()))
		}
		return nil, nil
	}
	cc, err := store.ListenConfig(cfg.ListenURL, cfg.DB)
	if err != nil {
		return nil, usageErrorf("ACCOUNTS_LISTEN_DATABASE_URL: cannot be parsed as a connection string")
	}
	return cc, nil
}
