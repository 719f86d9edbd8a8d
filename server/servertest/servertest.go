// Package servertest starts an accounts server for tests and examples, the way
// net/http/httptest starts an HTTP server: over a database the caller provides
// (see server/testdb), with a fresh signing key and cheap password hashing.
package servertest

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/meridianhq/accounts/server"
	"github.com/meridianhq/accounts/server/auth"
)

// FastArgon2 makes password hashing cheap; never use it outside tests.
var FastArgon2 = auth.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

// Issuer and Audience are the iss and aud of test tokens.
const (
	Issuer   = "accounts-test"
	Audience = "accounts-test"
)

// Options returns server options for a test: keys (a fresh one when nil), the
// clock now, fast hashing, production session lifetimes and an unstarted
// revocation set. Adjust them, then call Serve.
func Options(pool *pgxpool.Pool, log *slog.Logger, keys *auth.KeySet, now func() time.Time) (server.Options, error) {
	if keys == nil {
		k, err := auth.GenerateKey(rand.Reader)
		if err != nil {
			return server.Options{}, err
		}
		set := jwk.NewSet()
		if err := set.AddKey(k); err != nil {
			return server.Options{}, err
		}
		if keys, err = auth.NewKeySet(set); err != nil {
			return server.Options{}, err
		}
	}
	tokens, err := NewTokens(keys, now)
	if err != nil {
		return server.Options{}, err
	}
	hasher, err := auth.NewHasher(FastArgon2, 0, rand.Reader)
	if err != nil {
		return server.Options{}, err
	}
	return server.Options{
		Pool:        pool,
		Logger:      log,
		BodyLimit:   64 << 10,
		SchemaCheck: func(context.Context) error { return nil },
		Tokens:      tokens,
		Hasher:      hasher,
		Revocations: server.NewRevocations(pool, 16*time.Minute, log),
		Sessions:    server.SessionPolicy{Lifetime: 720 * time.Hour, IdleTimeout: 168 * time.Hour},
	}, nil
}

// NewTokens returns access tokens as tests use them: Issuer, Audience, the
// production lifetime (15 minutes) and leeway (30 seconds), the clock now.
func NewTokens(keys *auth.KeySet, now func() time.Time) (*auth.Tokens, error) {
	return auth.NewTokens(keys, auth.TokenOptions{
		Issuer: Issuer, Audience: Audience, TTL: 15 * time.Minute,
		Leeway: 30 * time.Second, CacheSize: 1000, Now: now,
	})
}

// Serve starts the revocation set (until ctx ends) and the server, and serves
// its handler, wrapped by wrap when given, on a loopback httptest server.
func Serve(ctx context.Context, opts server.Options, wrap func(http.Handler) http.Handler) (*server.Server, *httptest.Server, error) {
	if err := opts.Revocations.Start(ctx); err != nil {
		return nil, nil, fmt.Errorf("servertest: starting revocations: %w", err)
	}
	srv, err := server.New(opts)
	if err != nil {
		return nil, nil, fmt.Errorf("servertest: %w", err)
	}
	h := srv.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	return srv, httptest.NewServer(h), nil
}
