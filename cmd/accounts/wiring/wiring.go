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
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/meridianhq/accounts/server"
	"github.com/meridianhq/accounts/server/audit"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/mail"
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
	// HashSharePercent is the share of each slot's time that hashing may use
	// (auth.CPUSlots.Share), in percent; 0: auth.DefaultShare; 100: no rest.
	HashSharePercent int
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
	// Mail configures the service's mail and the email flows.
	Mail MailConfig
	// RequireMFAForAdmins refuses admin operations to admins without a second
	// factor.
	RequireMFAForAdmins bool
}

// MailConfig configures the service's mail; without an SMTP URL, the email
// flows are off.
type MailConfig struct {
	// SMTPURL is where mail goes (see mail.ParseURL); empty: no mail.
	SMTPURL string
	// From is the sender.
	From string
	// TemplatesDir overrides embedded templates; empty: none.
	TemplatesDir string
	// PublicURL is the base of the hosted pages' links; LinkBase, when set,
	// points links at an application's own pages instead.
	PublicURL, LinkBase string
	// Verification is off, optional or required; empty: optional with mail,
	// off without.
	Verification string
	// PerAddressPerHour bounds the mails of each kind to one address.
	PerAddressPerHour int
	// RequestsPerMinute bounds the requests to the email endpoints per client.
	RequestsPerMinute int
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
	// Secrets encrypts second-factor secrets at rest (ACCOUNTS_ENCRYPTION_KEYS);
	// nil: MFA is off.
	Secrets users.Sealer
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
	slots  *auth.CPUSlots
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
	limiter, shared, err := buildLimiter(cfg, env)
	if err != nil {
		return nil, err
	}
	backoff := ratelimit.NewBackoff(env.Pool, cfg.AccountFailuresBeforeBackoff)
	auditLog := audit.NewLog(env.Pool, cfg.AuditRetention)
	requests := &users.RequestWorker{}
	jobs, err := buildJobs(cfg, env, m, requests, []outbox.Task{
		{Name: "prune_sessions", Run: sess.Prune},
		{Name: "prune_audit_events", Run: auditLog.Prune},
		{Name: "prune_rate_limits", Run: ratelimit.Pruner{Shared: shared, Backoff: backoff}.Prune},
		{Name: "prune_email_tokens", Run: func(ctx context.Context) (int64, error) { return requests.Users.PruneEmailTokens(ctx) }},
	})
	if err != nil {
		return nil, err
	}
	us, slots, err := buildUsers(cfg, env, m, sess, backoff, mailOptions(cfg, jobs, limiter), mfaOptions(cfg, env))
	if err != nil {
		return nil, err
	}
	requests.Users = us
	cursors, err := cursorCodec(env.Keys)
	if err != nil {
		return nil, err
	}
	cfg.HTTP.UntrustedForwardedFor = m.UntrustedForwardedFor
	if slots != nil {
		// The slots rest only while other requests than their own jobs' are
		// in flight: reads during a login burst.
		inFlight := new(atomic.Int64)
		cfg.HTTP.InFlight = inFlight
		slots.Contended(func() bool { return inFlight.Load() > int64(slots.Running()+slots.Waiting()) })
	}
	health := store.NewHealth(env.Logger)
	srv, err := server.New(server.Deps{
		Logger: env.Logger, Pool: env.Pool, SchemaCheck: env.SchemaCheck, HTTP: cfg.HTTP,
		Tokens: tokens, Users: us, Sessions: sess, Limiter: limiter, Cursors: cursors, Health: health, Metrics: m, Audit: auditLog,
		RequireAdminMFA: cfg.RequireMFAForAdmins,
	})
	if err != nil {
		return nil, err
	}
	return &Service{Server: srv, Sessions: sess, Users: us, Metrics: m, Audit: auditLog, Jobs: jobs, slots: slots, log: env.Logger, health: health, pool: env.Pool}, nil
}

// buildUsers returns the users service, with its hasher, and its CPU slots.
func buildUsers(cfg Config, env Env, m *metrics.Metrics, sess *sessions.Service, backoff *ratelimit.Backoff, mail users.MailOptions, mfa users.MFAOptions) (*users.Service, *auth.CPUSlots, error) {
	hasher, slots, err := buildHasher(cfg, env)
	if err != nil {
		return nil, nil, err
	}
	if slots != nil {
		slots.Observe(m.HashWaited)
		m.WatchHashing(slots.Running, slots.Waiting)
	}
	return users.New(users.Options{Pool: env.Pool, Hasher: hasher, Slots: slots, Sessions: sess, Backoff: backoff, Mail: mail, MFA: mfa,
		Now: cfg.Tokens.Now, Rand: env.Rand}), slots, nil
}

// buildJobs returns the job queue: the mail worker when mail is configured,
// the worker of mail requests, and the periodic tasks.
func buildJobs(cfg Config, env Env, m *metrics.Metrics, requests *users.RequestWorker, tasks []outbox.Task) (*outbox.Queue, error) {
	mailWorker, err := buildMailWorker(cfg.Mail, env.Logger, m)
	if err != nil {
		return nil, err
	}
	jobs, err := outbox.New(outbox.Options{
		Pool: env.Pool, Logger: env.Logger, PollOnly: cfg.Jobs.PollOnly, PollEvery: cfg.Jobs.PollEvery, Tasks: tasks,
		Register: func(ws *river.Workers) {
			requests.Register(ws)
			if mailWorker != nil {
				mailWorker.Register(ws)
			}
		},
	})
	if err != nil {
		return nil, err
	}
	m.WatchJobs(func(ctx context.Context) (metrics.JobStats, error) {
		st, err := jobs.Stats(ctx)
		return metrics.JobStats{Queued: st.Queued, Failed: st.Failed, OldestAge: st.OldestAge}, err
	})
	return jobs, nil
}

// mailOptions are the email flows of cfg: off without an SMTP server.
func mailOptions(cfg Config, jobs *outbox.Queue, limiter ratelimit.TxLimiter) users.MailOptions {
	if cfg.Mail.SMTPURL == "" {
		return users.MailOptions{}
	}
	v := users.Verification(cfg.Mail.Verification)
	if v == "" {
		v = users.VerificationOptional
	}
	return users.MailOptions{
		Outbox: jobs, Links: mail.Links{Public: cfg.Mail.PublicURL, App: cfg.Mail.LinkBase},
		Verification: v, Budget: limiter,
	}
}

// mfaWrongCodes is how many wrong second-factor codes a user may enter in a
// row before each further one waits (1 s, doubling, at most 5 min).
const mfaWrongCodes = 5

// mfaOptions are the second factors of env: off without encryption keys.
func mfaOptions(cfg Config, env Env) users.MFAOptions {
	if env.Secrets == nil {
		return users.MFAOptions{}
	}
	return users.MFAOptions{Sealer: env.Secrets, Issuer: cfg.Tokens.Issuer, Backoff: ratelimit.NewBackoff(env.Pool, mfaWrongCodes)}
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
	if s.slots != nil {
		go (&memoryReleaser{slots: s.slots, free: debug.FreeOSMemory}).run(ctx, releaseEvery)
	}
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
	share := auth.DefaultShare
	if cfg.HashSharePercent > 0 {
		share = float64(cfg.HashSharePercent) / 100
	}
	q := auth.DefaultQueue(n, share)
	if cfg.HashQueue.Max > 0 {
		q.Max = cfg.HashQueue.Max
	}
	if cfg.HashQueue.Wait > 0 {
		q.Wait = cfg.HashQueue.Wait
	}
	slots := auth.NewCPUSlots(n, q)
	slots.Share(share)
	return slots
}

// buildMailWorker returns the worker of the mail job, or nil when no SMTP
// server is configured (the email flows are then off).
func buildMailWorker(cfg MailConfig, log *slog.Logger, m *metrics.Metrics) (*mail.Worker, error) {
	if cfg.SMTPURL == "" {
		return nil, nil
	}
	t, err := mail.ParseURL(cfg.SMTPURL)
	if err != nil {
		return nil, fmt.Errorf("wiring: the SMTP URL: %w", err)
	}
	mailer, err := mail.NewMailer(t, cfg.From)
	if err != nil {
		return nil, err
	}
	tpl, err := mail.LoadTemplates(cfg.TemplatesDir)
	if err != nil {
		return nil, err
	}
	return &mail.Worker{Mailer: mailer, Templates: tpl, Log: log, Sent: m.Mail}, nil
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
func buildLimiter(cfg Config, env Env) (ratelimit.TxLimiter, *ratelimit.Shared, error) {
	rules := map[ratelimit.Scope]ratelimit.Rule{}
	if cfg.AuthAttemptsPerMinute > 0 {
		rules[ratelimit.ScopeAuth] = ratelimit.PerMinute(cfg.AuthAttemptsPerMinute)
	}
	if cfg.Mail.SMTPURL != "" {
		rules[ratelimit.ScopeMail] = ratelimit.PerMinute(max(cfg.Mail.RequestsPerMinute, 1))
		rules[ratelimit.ScopeMailAddress] = ratelimit.Rule{Limit: max(cfg.Mail.PerAddressPerHour, 1), Per: time.Hour}
	}
	if len(rules) == 0 {
		return nil, nil, nil
	}
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
