package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
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

// bareUser is the JSON of a user as GET /api/v1/users/{id} answers it.
type bareUser struct {
	ID            uuid.UUID `json:"id"`
	Email         string    `json:"email"`
	Name          string    `json:"name"`
	Role          string    `json:"role"`
	Disabled      bool      `json:"disabled"`
	EmailVerified bool      `json:"email_verified"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// bareSelect is the service's GetUserByID, spelled out.
const bareSelect = `SELECT id, email, name, role, version, created_at, updated_at, deleted_at, email_key, disabled_at, email_verified_at
	FROM user_profiles WHERE id = $1 AND deleted_at IS NULL`

// bareHandler is the baseline: GET /api/v1/users/{id} doing the service's
// SELECT and answering its JSON, with no authentication, validation or
// logging; and GET /readyz, a ping.
func bareHandler(pool *pgxpool.Pool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := uuid.Parse(r.PathValue("id"))
		if err != nil {
			http.Error(w, "bad id", http.StatusBadRequest)
			return
		}
		var u bareUser
		var version int64
		var deleted, disabled, verified *time.Time
		var key *string
		err = pool.QueryRow(r.Context(), bareSelect, id).
			Scan(&u.ID, &u.Email, &u.Name, &u.Role, &version, &u.CreatedAt, &u.UpdatedAt, &deleted, &key, &disabled, &verified)
		if err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		u.Disabled, u.EmailVerified = disabled != nil, verified != nil
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(u)
	})
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
