package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/server"
)

// poolConfig turns the configuration into pgxpool settings. Nothing is left to
// pgxpool's defaults, which are sized for the machine rather than the service.
func poolConfig(cfg config) (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		// Not err itself: pgx's parse errors can echo the password.
		return nil, usageErrorf("DATABASE_URL: cannot be parsed as a connection string")
	}
	pc.MaxConns = cfg.DBMaxConns
	pc.MinConns = cfg.DBMinConns
	pc.MaxConnLifetime = cfg.DBMaxConnLifetime
	pc.MaxConnLifetimeJitter = cfg.DBMaxConnLifetime / 10
	pc.MaxConnIdleTime = cfg.DBMaxConnIdleTime
	pc.HealthCheckPeriod = cfg.DBHealthCheckPeriod
	pc.ConnConfig.ConnectTimeout = cfg.DBConnectTimeout
	// The server-side limit is the real one: a cancelled client context costs the
	// connection, a statement timeout does not.
	pc.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(cfg.DBStatementTimeout.Milliseconds(), 10)
	pc.ConnConfig.RuntimeParams["application_name"] = "accounts"
	server.ConfigurePool(pc)
	return pc, nil
}

// openPool opens the pool and checks that the database answers.
func openPool(ctx context.Context, cfg config) (*pgxpool.Pool, error) {
	pc, err := poolConfig(cfg)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("opening the database pool: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, cfg.DBConnectTimeout)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to the database: %w", err)
	}
	return pool, nil
}
