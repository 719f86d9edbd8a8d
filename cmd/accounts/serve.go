package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/server"
	"github.com/meridianhq/accounts/server/auth"
)

// serve runs the service until ctx is cancelled (SIGINT or SIGTERM), then shuts
// down gracefully: /readyz turns 503 at once, the listener keeps serving for the
// shutdown delay, in-flight requests get the drain period, and then the listener
// and the pool close.
func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := loadConfig("serve", args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	keys, err := loadKeys(cfg, log)
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := newMigrator(cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.ensureCurrent(ctx, cfg.MigrateOnStart, log); err != nil {
		return err
	}
	opts, err := serverOptions(cfg, keys, pool, log)
	if err != nil {
		return err
	}
	opts.SchemaCheck = m.check
	// Revocations outlive the signal: draining requests still need them.
	revCtx, stopRevocations := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRevocations()
	if err := opts.Revocations.Start(revCtx); err != nil {
		return err
	}
	srv, err := server.New(opts)
	if err != nil {
		return err
	}
	go srv.PruneSessionsEvery(revCtx, 10*time.Minute, cfg.SessionRetain)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	log.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("version", version))

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	return shutdown(hs, srv, served, cfg, log)
}

// shutdown drains the server after the first signal.
func shutdown(hs *http.Server, srv *server.Server, served <-chan error, cfg config, log *slog.Logger) error {
	log.Info("shutting down", slog.String("delay", cfg.ShutdownDelay.String()), slog.String("drain", cfg.ShutdownDrain.String()))
	srv.Drain()
	time.Sleep(cfg.ShutdownDelay)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownDrain)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		log.Warn("drain period over; closing the remaining connections", slog.Any("error", err))
		_ = hs.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	log.Info("stopped")
	return nil
}

// serverOptions builds the token, password and session machinery from cfg.
func serverOptions(cfg config, keys *auth.KeySet, pool *pgxpool.Pool, log *slog.Logger) (server.Options, error) {
	tokens, err := auth.NewTokens(keys, auth.TokenOptions{
		Issuer: cfg.Issuer, Audience: cfg.Audience, TTL: cfg.AccessTokenTTL,
		Leeway: cfg.TokenLeeway, CacheSize: cfg.TokenCacheSize, Now: time.Now,
	})
	if err != nil {
		return server.Options{}, err
	}
	hasher, err := auth.NewHasher(cfg.Argon2, cfg.HashConcurrency, rand.Reader)
	if err != nil {
		return server.Options{}, usageErrorf("ACCOUNTS_ARGON2_*: %v", err)
	}
	return server.Options{
		Pool:           pool,
		Logger:         log,
		BodyLimit:      cfg.BodyLimit,
		TrustedProxies: cfg.TrustedProxies,
		Tokens:         tokens,
		Hasher:         hasher,
		CPU:            hasher.Pool(),
		Revocations:    server.NewRevocations(pool, cfg.AccessTokenTTL+cfg.TokenLeeway, log),
		Sessions: server.SessionPolicy{
			Lifetime: cfg.SessionLifetime, IdleTimeout: cfg.SessionIdle, ReuseLeeway: cfg.ReuseLeeway,
		},
		AttemptsPerMinute: cfg.AttemptsPerMin,
		CORSOrigins:       cfg.CORSOrigins,
	}, nil
}

// newLogger logs JSON lines to w.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
