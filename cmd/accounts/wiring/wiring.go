// Package wiring builds the service from its configuration sections: the one
// place that constructs the collaborators of server.Server and connects them.
// `accounts serve` and servertest (every API test) both call New, so the
// tests run the production wiring, not a copy of it.
package wiring

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/server"
	"github.com/meridianhq/accounts/server/audit"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/metrics"
	"github.com/meridianhq/accounts/server/outbox"
	"github.com/meridianhq/accounts/server/ratelimit"
	"github.com/meridianhq/accounts/server/sessions"
	"github.com/meridianhq/accounts/server/store"
	"github.com/meridianhq/accounts/server/users"
)

// Config is the service's configuration, in the constructors' own option
// types, one section each.
type Config struct {
	HTTP     httpx.Options
	Tokens   auth.TokenOptions
	Sessions sessions.Policy
	Argon2   auth.Argon2Params
	// HashConcurrency is how many password hashes run at once; 0: auth.DefaultSlots.
	HashConcurrency int
	// HashQueue bounds the hashes waiting for a slot (0: auth.DefaultQueue);
	// the excess is answered 503 OVERLOADED.
	HashQueue auth.Queue
	// AuthAttemptsPerMinute limits ratelimit.ScopeAuth per client IP; 0: no limit.
	AuthAttemptsPerMinute int
	// AuditRetention is how long audit events are kept.
	AuditRetention time.Duration
	// AccountFailuresBeforeBackoff is how many consecutive failed logins (or
	// wrong current passwords) an account takes before each further attempt
	// waits; 0: no backoff.
	AccountFailuresBeforeBackoff int
	// Jobs configure the job queue.
	Jobs JobOptions
}

// JobOptions configure the job queue (server/outbox).
type JobOptions struct {
	// PollOnly finds new jobs by polling: for a pool behind a transaction
	// pooler, where LISTEN cannot work.
	PollOnly bool
	// PollEvery is how often idle workers look for jobs; 0: every second.
	PollEvery time.Duration
}

// Env is what the process provides: the logger, the open pool, the keys and
// the schema check.
type Env struct {
	Logger      *slog.Logger
	Pool        *pgxpool.Pool
	Keys        *auth.KeySet
	SchemaCheck func(context.Context) error
	// Rand is the source of secrets. Nil: crypto/rand.
	Rand io.Reader
	// Hasher replaces the argon2id hasher built from Config.Argon2, so that a
	// test can count the work. Nil in production.
	Hasher users.Hasher
	// Listen is the revocation listener's connection (ACCOUNTS_LISTEN_DATABASE_URL);
	// nil: one like the pool's.
	Listen *pgx.ConnConfig
}

// Service is the built service.
type Service struct {
	Server   *server.Server
	Sessions *sessions.Service
	Users    *users.Service
	// Metrics is the registry the metrics listener serves.
	Metrics *metrics.Metrics
	// Audit is the audit log.
	Audit *audit.Log
	// Jobs is the job queue and outbox.
	Jobs   *outbox.Queue
	log    *slog.Logger
	health *store.Health
	pool   *pgxpool.Pool
}

// New builds the service. Its sessions' revoked set is not started: call Start
// before serving.
func New(cfg Config, env Env) (*Service, error) {
	if env.Logger == nil || env.Pool == nil || env.Keys == nil || env.SchemaCheck == nil {
		return nil, errors.New("wiring: Env.Logger, Pool, Keys and SchemaCheck are required")
	}
	if env.Rand == nil {
		env.Rand = rand.Reader
	}
	if cfg.Tokens.Now == nil {
		cfg.Tokens.Now = time.Now
	}
	m := metrics.New()
	m.WatchPool(env.Pool)
	tokens, err := auth.NewTokens(env.Keys, cfg.Tokens)
	if err != nil {
		return nil, err
	}
	sess, err := sessions.New(sessions.Options{Pool: env.Pool, Tokens: tokens, Policy: cfg.Sessions, Logger: env.Logger, Rand: env.Rand, Listen: env.Listen, Metrics: m})
	if err != nil {
		return nil, err
	}
	hasher, slots, err := buildHasher(cfg, env)
	if err != nil {
		return nil, err
	}
	if slots != nil {
		slots.Observe(m.HashWaited)
		m.WatchHashing(slots.Running, slots.Waiting)
	}
	backoff := ratelimit.NewBackoff(env.Pool, cfg.AccountFailuresBeforeBackoff)
	us := users.New(users.Options{Pool: env.Pool, Hasher: hasher, Slots: slots, Sessions: sess, Backoff: backoff})
	limiter, shared, err := buildLimiter(cfg, env)
	if err != nil {
		return nil, err
	}
	cursors, err := cursorCodec(env.Keys)
	if err != nil {
		return nil, err
	}
	cfg.HTTP.UntrustedForwardedFor = m.UntrustedForwardedFor
	health := store.NewHealth(env.Logger)
	auditLog := audit.NewLog(env.Pool, cfg.AuditRetention)
	srv, err := server.New(server.Deps{
		Logger: env.Logger, Pool: env.Pool, SchemaCheck: env.SchemaCheck, HTTP: cfg.HTTP,
		Tokens: tokens, Users: us, Sessions: sess, Limiter: limiter, Cursors: cursors, Health: health, Metrics: m, Audit: auditLog,
	})
	if err != nil {
		return nil, err
	}
	jobs, err := outbox.New(outbox.Options{
		Pool: env.Pool, Logger: env.Logger, PollOnly: cfg.Jobs.PollOnly, PollEvery: cfg.Jobs.PollEvery,
		Tasks: []outbox.Task{
			{Name: "prune_sessions", Run: sess.Prune},
			{Name: "prune_audit_events", Run: auditLog.Prune},
			{Name: "prune_rate_limits", Run: ratelimit.Pruner{Shared: shared, Backoff: backoff}.Prune},
		},
	})
	if err != nil {
		return nil, err
	}
	m.WatchJobs(func(ctx context.Context) (metrics.JobStats, error) {
		st, err := jobs.Stats(ctx)
		return metrics.JobStats{Queued: st.Queued, Failed: st.Failed, OldestAge: st.OldestAge}, err
	})
	return &Service{Server: srv, Sessions: sess, Users: us, Metrics: m, Audit: auditLog, Jobs: jobs, log: env.Logger, health: health, pool: env.Pool}, nil
}

// Start loads the revoked set and keeps it current, and works the job queue,
// until ctx ends. Every pruneEvery (0: never), the queue prunes ended sessions,
// old audit events and spent rate-limit rows, on one replica at a time, and
// this replica measures the login failure floor again (the first measurement
// runs at once, in the background: it times the slowest stored hash kind, up
// to a second for bcrypt-12 imports, which readiness does not wait for).
func (s *Service) Start(ctx context.Context, pruneEvery time.Duration) error {
	if err := s.Sessions.Start(ctx); err != nil {
		return err
	}
	go s.health.Watch(ctx, s.pool, time.Second, time.Second)
	if pruneEvery > 0 {
		s.Jobs.Schedule(pruneEvery)
		go s.Users.KeepFailureFloor(ctx, pruneEvery, s.log)
	}
	return s.Jobs.Start(ctx)
}

// Stop lets running jobs finish, within ctx.
func (s *Service) Stop(ctx context.Context) error { return s.Jobs.Stop(ctx) }

// HashSlots are the CPU slots of password work that cfg configures.
func (cfg Config) HashSlots() *auth.CPUSlots {
	n := cfg.HashConcurrency
	if n <= 0 {
		n = auth.DefaultSlots()
	}
	q := auth.DefaultQueue(n)
	if cfg.HashQueue.Max > 0 {
		q.Max = cfg.HashQueue.Max
	}
	if cfg.HashQueue.Wait > 0 {
		q.Wait = cfg.HashQueue.Wait
	}
	return auth.NewCPUSlots(n, q)
}

// buildHasher returns env's hasher, or the argon2id one of cfg with its CPU
// slots, which also bound the password strength estimate.
func buildHasher(cfg Config, env Env) (users.Hasher, *auth.CPUSlots, error) {
	if env.Hasher != nil {
		if h, ok := env.Hasher.(interface{ Slots() *auth.CPUSlots }); ok {
			return env.Hasher, h.Slots(), nil
		}
		return env.Hasher, nil, nil
	}
	h, err := auth.NewHasher(cfg.Argon2, cfg.HashSlots(), env.Rand)
	if err != nil {
		return nil, nil, err
	}
	return h, h.Slots(), nil
}

// buildLimiter returns the limiter of cfg, or nil for no limits: the replica's
// own buckets first, then the ones every replica shares in PostgreSQL.
func buildLimiter(cfg Config, env Env) (ratelimit.Limiter, *ratelimit.Shared, error) {
	if cfg.AuthAttemptsPerMinute <= 0 {
		return nil, nil, nil
	}
	rules := map[ratelimit.Scope]ratelimit.Rule{ratelimit.ScopeAuth: ratelimit.PerMinute(cfg.AuthAttemptsPerMinute)}
	local, err := ratelimit.NewMemory(rules, time.Now)
	if err != nil {
		return nil, nil, err
	}
	shared, err := ratelimit.NewShared(env.Pool, rules)
	if err != nil {
		return nil, nil, err
	}
	return ratelimit.Tiered{First: local, Then: shared}, shared, nil
}

// cursorCodec keys listing cursors with a secret derived from the signing key,
// so the service needs no second secret.
func cursorCodec(keys *auth.KeySet) (auth.CursorCodec, error) {
	key, err := keys.DeriveSecret("accounts/list-cursor/v1", 32)
	if err != nil {
		return auth.CursorCodec{}, fmt.Errorf("wiring: the cursor key: %w", err)
	}
	return auth.NewCursorCodec(key)
}
