package wiring_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/meridianhq/accounts/cmd/accounts/wiring"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/testdb"
)

// TestNewRefuses: each section is checked by the constructor it configures,
// and New passes the refusal on instead of building a half-configured service.
func TestNewRefuses(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.NewPool(t)
	keys, err := auth.NewEphemeralKeySet(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	env := wiring.Env{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Pool: pool, Keys: keys,
		SchemaCheck: func(context.Context) error { return nil }}
	tests := []struct {
		name    string
		cfg     func(*wiring.Config)
		env     func(*wiring.Env)
		wantErr string
	}{
		{"NoPool", nil, func(e *wiring.Env) { e.Pool = nil }, "required"},
		{"NoIssuer", func(c *wiring.Config) { c.Tokens.Issuer = "" }, nil, "issuer"},
		{"RetentionTooShort", func(c *wiring.Config) { c.Sessions.Retention = time.Minute }, nil, "retention"},
		{"BadArgon2", func(c *wiring.Config) { c.Argon2.Iterations = 0 }, nil, "argon2id"},
		{"NoBodyLimit", func(c *wiring.Config) { c.HTTP.BodyLimit = 0 }, nil, "BodyLimit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, e := servertest.Config(), env
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			if tt.env != nil {
				tt.env(&e)
			}
			if _, err := wiring.New(cfg, e); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New: %v; want an error saying %q", err, tt.wantErr)
			}
		})
	}
	t.Run("AttemptsLimit", func(t *testing.T) {
		cfg := servertest.Config()
		cfg.AuthAttemptsPerMinute = 5
		svc, err := wiring.New(cfg, env)
		if err != nil || svc.Server.Limiter == nil {
			t.Fatalf("New: %v, limiter %v; want a limiter", err, svc)
		}
		if err := svc.Start(t.Context(), time.Hour); err != nil {
			t.Fatal(err)
		}
	})
}
