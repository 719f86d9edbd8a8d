package main

import (
	"context"
	"net/http"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/server/servertest/baseline"
)

// The bare baseline runs as this same program, started again with these two
// variables set, so that it is a process of its own like the service: the
// same /proc measurements apply, and it does not share a Go runtime with the
// load generator.
const (
	bareAddrEnv = "BENCHLOAD_BARE_ADDR"
	bareDBEnv   = "BENCHLOAD_BARE_DATABASE_URL"
)

// bareMaxConns matches the service's default pool (ACCOUNTS_DB_MAX_CONNS).
const bareMaxConns = 25

// bareHandler is the baseline: GET /api/v1/users/{id} doing the service's
// SELECT and answering its JSON, with no authentication, validation or
// logging (package baseline); and GET /readyz, a ping.
func bareHandler(pool *pgxpool.Pool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(baseline.Route, baseline.GetUser(pool))
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := pool.Ping(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	})
	return mux
}

// serveBare is the baseline process: it serves bareHandler on addr until
// killed.
func serveBare(addr, dbURL string) error {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return err
	}
	cfg.MaxConns = bareMaxConns
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	return http.ListenAndServe(addr, bareHandler(pool))
}

// startBare starts the baseline process and waits until it is ready.
func (b *bench) startBare(ctx context.Context) (*process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	env := []string{bareAddrEnv + "=" + addr, bareDBEnv + "=" + b.db.url}
	p, err := startProcess("bare baseline", addr, self, nil, env, b.serverLog)
	if err != nil {
		return nil, err
	}
	if _, err := p.waitReady(ctx, readyLimit); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}
