// Package servertest starts accounts servers for tests, as coder's coderdtest
// does for coderd: New(t, …) builds the service with the production wiring
// (cmd/accounts/wiring) on a fresh database cloned from a migrated template,
// serves its handler on a loopback httptest server behind a check that every
// response matches the contract, and returns an Env with the generated client
// and helpers that go through the API or the production domain code.
package servertest

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/cmd/accounts/wiring"
	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/mailtest"
	"github.com/meridianhq/accounts/server/secrets"
	"github.com/meridianhq/accounts/server/sessions"
	"github.com/meridianhq/accounts/server/testdb"
	"github.com/meridianhq/accounts/server/users"
)

// FastArgon2 makes password hashing cheap; never use it outside tests.
var FastArgon2 = auth.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

// Issuer and Audience are the iss and aud of test tokens.
const (
	Issuer   = "accounts-test"
	Audience = "accounts-test"
)

// Config is the configuration of a test service: production's lifetimes and
// limits (no attempts limit), the test issuer and audience, cheap hashing, and
// a hashing queue that a busy test machine does not overflow (the tests of
// shedding set their own).
func Config() wiring.Config {
	return wiring.Config{
		HTTP: httpx.Options{BodyLimit: 64 << 10, RequestDeadline: 30 * time.Second},
		Tokens: auth.TokenOptions{
			Issuer: Issuer, Audience: Audience, TTL: 15 * time.Minute, Leeway: 30 * time.Second, CacheSize: 1000,
		},
		Sessions:       sessions.Policy{Lifetime: 720 * time.Hour, IdleTimeout: 168 * time.Hour, Retention: 24 * time.Hour},
		Argon2:         FastArgon2,
		HashQueue:      auth.Queue{Max: 10_000, Wait: time.Minute},
		AuditRetention: 2160 * time.Hour,
	}
}

// Options adjust a test service before it is built.
type Options struct {
	// Config is the service's configuration; see Config.
	Config wiring.Config
	// Pool and DatabaseURL are the database; unset, a fresh one. Several Envs on
	// one database are replicas.
	Pool        *pgxpool.Pool
	DatabaseURL string
	// Keys sign and verify tokens; nil: one key shared by every test service.
	Keys *auth.KeySet
	// Clock is the service's clock; Config.Tokens.Now is set from it.
	Clock *Clock
	// SchemaCheck is /readyz's schema check; nil: the schema is current.
	SchemaCheck func(context.Context) error
	// Hasher replaces the hasher built from Config.Argon2 (NewHasher wraps one).
	Hasher users.Hasher
	// Logger receives the service's log; nil: JSON lines into Env.Logs.
	Logger *slog.Logger
	// ListenURL is the revocation listener's database; empty: the pool's.
	ListenURL string
	// Secrets encrypts second-factor secrets; nil: a key set shared by every
	// test service, unless NoMFA turns second factors off.
	Secrets users.Sealer
	NoMFA   bool
}

// Env is one test's service.
type Env struct {
	Pool        *pgxpool.Pool
	DatabaseURL string
	Service     *wiring.Service
	Server      *server.Server
	Options     Options
	// URL is the base URL of the server; Client is the Go SDK pointed at it.
	URL    string
	Client *client.ClientWithResponses
	Logs   *SyncBuffer
	Clock  *Clock
	Keys   *auth.KeySet
}

// sharedKeys sign the tokens of every Env that does not ask for other keys.
var sharedKeys = sync.OnceValues(func() (*auth.KeySet, error) { return auth.NewEphemeralKeySet(rand.Reader) })

// sharedSecrets encrypt the second factors of every Env that does not ask for
// other keys.
var sharedSecrets = sync.OnceValues(func() (*secrets.KeySet, error) { return secrets.NewEphemeralKeySet(rand.Reader) })

// New starts a service for t, adjusted by mods, and stops it when t ends.
func New(t testing.TB, mods ...func(*Options)) *Env {
	t.Helper()
	o := Options{Config: Config(), Clock: NewClock()}
	for _, m := range mods {
		m(&o)
	}
	if o.Pool == nil {
		o.Pool, o.DatabaseURL = testdb.NewPool(t)
	}
	logs := &SyncBuffer{}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	svc, hs, err := Start(t.Context(), o, func(h http.Handler) http.Handler { return CheckContract(t, h) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hs.Close)
	c, err := client.NewClientWithResponses(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &Env{
		Pool: o.Pool, DatabaseURL: o.DatabaseURL, Service: svc, Server: svc.Server, Options: o,
		URL: hs.URL, Client: c, Logs: logs, Clock: o.Clock, Keys: svc.Server.Tokens.Keys(),
	}
}

// Start builds the service of o with the production wiring, starts it until
// ctx ends, and serves its handler, wrapped by wrap when given, on a loopback
// httptest server. It is New for where there is no testing.TB (a TestMain);
// o.Pool and o.Logger are required.
func Start(ctx context.Context, o Options, wrap func(http.Handler) http.Handler) (*wiring.Service, *httptest.Server, error) {
	keys := o.Keys
	if keys == nil {
		var err error
		if keys, err = sharedKeys(); err != nil {
			return nil, nil, err
		}
	}
	if o.Clock != nil {
		o.Config.Tokens.Now = o.Clock.Now
	}
	check := o.SchemaCheck
	if check == nil {
		check = func(context.Context) error { return nil }
	}
	env := wiring.Env{Logger: o.Logger, Pool: o.Pool, Keys: keys, SchemaCheck: check, Hasher: o.Hasher, Secrets: o.Secrets}
	if env.Secrets == nil && !o.NoMFA {
		ks, err := sharedSecrets()
		if err != nil {
			return nil, nil, err
		}
		env.Secrets = ks
	}
	if o.ListenURL != "" {
		lc, err := pgx.ParseConfig(o.ListenURL)
		if err != nil {
			return nil, nil, fmt.Errorf("servertest: ListenURL: %w", err)
		}
		env.Listen = lc
	}
	// The listener first, so that the links of the mails name its address.
	hs := httptest.NewUnstartedServer(nil)
	if o.Config.Mail.PublicURL == "" {
		o.Config.Mail.PublicURL = "http://" + hs.Listener.Addr().String()
	}
	svc, err := wiring.New(o.Config, env)
	if err != nil {
		hs.Close()
		return nil, nil, fmt.Errorf("servertest: %w", err)
	}
	if err := svc.Start(ctx, 0); err != nil {
		hs.Close()
		return nil, nil, fmt.Errorf("servertest: starting: %w", err)
	}
	h := svc.Server.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	hs.Config.Handler = h
	hs.Start()
	return svc, hs, nil
}

// NewHasher returns the hasher a test service builds by default, for a test
// that wraps it to count the work.
func NewHasher(t testing.TB) *auth.Hasher {
	t.Helper()
	h, err := auth.NewHasher(FastArgon2, nil, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// OnDatabase makes a service on an existing database: another replica of the
// service that already runs there.
func OnDatabase(pool *pgxpool.Pool, url string) func(*Options) {
	return func(o *Options) { o.Pool, o.DatabaseURL = pool, url }
}

// WithMail turns the email flows on, with verification optional, sending to
// the test process's Mailpit (mailtest.Shared) with budgets large enough for
// any test but those of the limits, which set their own.
func WithMail(tb testing.TB) func(*Options) {
	srv := mailtest.Shared(tb)
	return func(o *Options) {
		o.Config.Mail = wiring.MailConfig{
			SMTPURL: srv.URL(), From: "accounts@example.test", Verification: string(users.VerificationOptional),
			PerAddressPerHour: 1000, RequestsPerMinute: 1000,
		}
		o.Config.Jobs.PollEvery = 100 * time.Millisecond
	}
}

// WithKeys makes a service sign and verify with keys.
func WithKeys(keys *auth.KeySet) func(*Options) {
	return func(o *Options) { o.Keys = keys }
}
