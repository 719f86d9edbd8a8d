// Package server connects the generated contract (gen/api) to the generated
// queries (gen/db). Handlers are methods on *Server; request validation,
// authentication and routing come from openapi.yaml.
package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
)

// Options is everything a Server needs. cmd/accounts builds it from the
// configuration; the server itself never reads the environment.
type Options struct {
	// Pool is the database. Required.
	Pool *pgxpool.Pool
	// Logger receives the access log and errors. Required.
	Logger *slog.Logger
	// BodyLimit caps request bodies, in bytes. Required.
	BodyLimit int64
	// SchemaCheck reports why the database schema is not at this binary's
	// version, or nil when it is. /readyz calls it. Required.
	SchemaCheck func(context.Context) error
	// TrustedProxies are the peers whose X-Forwarded-For is believed. Empty: the
	// client IP is the direct peer.
	TrustedProxies []netip.Prefix

	// Tokens issues and verifies access tokens. Required.
	Tokens *auth.Tokens
	// Hasher hashes and verifies passwords. Required.
	Hasher PasswordHasher
	// CPU bounds CPU-heavy password work other than hashing (the strength
	// estimate). Nil: a pool of one slot per CPU.
	CPU *auth.Pool
	// Revocations is the started set of revoked sessions. Required.
	Revocations *Revocations
	// Sessions sets session and refresh-token lifetimes.
	Sessions SessionPolicy
	// Rand is the source of refresh tokens. Nil: crypto/rand.
	Rand io.Reader
	// AttemptsPerMinute limits login and registration attempts per client IP
	// (a token bucket of that many a minute, in bursts of as many). 0: no limit.
	AttemptsPerMinute int
	// CORSOrigins are the exact origins (https://app.example.com) whose browser
	// pages may call the API. Empty: no cross-origin access.
	CORSOrigins []string
}

// SessionPolicy sets how long sessions and their refresh tokens live.
type SessionPolicy struct {
	// Lifetime is a session's absolute lifetime, from login.
	Lifetime time.Duration
	// IdleTimeout ends a session not refreshed for this long.
	IdleTimeout time.Duration
	// ReuseLeeway lets a client that raced two refreshes of one token within
	// this long get a second new pair instead of losing the session. 0: none.
	ReuseLeeway time.Duration
}

// PasswordHasher is the password hashing handlers use. *auth.Hasher implements
// it; tests wrap it to count the work done.
type PasswordHasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, encoded, password string) (auth.Verification, error)
	// DummyHash is verified against when there is no user, so that an unknown
	// address costs what a wrong password costs.
	DummyHash() string
}

// Server implements api.StrictServerInterface.
type Server struct {
	pool        *pgxpool.Pool
	q           *db.Queries
	log         *slog.Logger
	bodyLimit   int64
	schemaCheck func(context.Context) error
	tokens      *auth.Tokens
	hasher      PasswordHasher
	cpu         *auth.Pool
	revocations *Revocations
	users       *Users
	cursors     auth.CursorCodec
	limiter     *clientLimiter
	corsOrigins []string
	sessions    SessionPolicy
	rand        io.Reader
	jwks        api.JWKS
	draining    atomic.Bool
	spec        specDocs
	handler     http.Handler
}

var _ api.StrictServerInterface = (*Server)(nil)

// New checks opts and builds the Server and its HTTP handler.
func New(opts Options) (*Server, error) {
	switch {
	case opts.Pool == nil:
		return nil, errors.New("server: Options.Pool is required")
	case opts.Logger == nil:
		return nil, errors.New("server: Options.Logger is required")
	case opts.BodyLimit <= 0:
		return nil, errors.New("server: Options.BodyLimit must be positive")
	case opts.SchemaCheck == nil:
		return nil, errors.New("server: Options.SchemaCheck is required")
	case opts.Tokens == nil || opts.Hasher == nil || opts.Revocations == nil:
		return nil, errors.New("server: Options.Tokens, Hasher and Revocations are required")
	case opts.Sessions.Lifetime <= 0 || opts.Sessions.IdleTimeout <= 0 || opts.Sessions.ReuseLeeway < 0:
		return nil, errors.New("server: Options.Sessions needs positive lifetimes")
	}
	s := &Server{
		pool:        opts.Pool,
		q:           db.New(opts.Pool),
		log:         opts.Logger,
		bodyLimit:   opts.BodyLimit,
		schemaCheck: opts.SchemaCheck,
		tokens:      opts.Tokens,
		hasher:      opts.Hasher,
		cpu:         opts.CPU,
		revocations: opts.Revocations,
		sessions:    opts.Sessions,
		rand:        opts.Rand,
		corsOrigins: opts.CORSOrigins,
	}
	if s.cpu == nil {
		s.cpu = auth.NewPool(runtime.GOMAXPROCS(0))
	}
	s.users = NewUsers(opts.Pool, opts.Hasher, s.cpu)
	if opts.AttemptsPerMinute > 0 {
		s.limiter = newClientLimiter(opts.AttemptsPerMinute, time.Now)
	}
	cursorKey, err := opts.Tokens.Keys().DeriveSecret("accounts/list-cursor/v1", 32)
	if err != nil {
		return nil, err
	}
	if s.cursors, err = auth.NewCursorCodec(cursorKey); err != nil {
		return nil, err
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.jwks, err = toJWKS(opts.Tokens.Keys()); err != nil {
		return nil, err
	}
	// The spec is decoded and checked once, for /openapi.json and the validator.
	doc, err := api.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("server: loading the embedded spec: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("server: the embedded spec is invalid: %w", err)
	}
	if s.spec, err = loadSpecDocs(doc); err != nil {
		return nil, err
	}
	if s.handler, err = s.routes(doc, opts.TrustedProxies); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler is the service's whole HTTP surface: the API, the ops endpoints and
// the docs. Production and tests use the same one.
func (s *Server) Handler() http.Handler { return s.handler }

// Drain makes /readyz answer 503 from now on, so that load balancers stop
// sending traffic while in-flight requests finish.
func (s *Server) Drain() { s.draining.Store(true) }

// routes builds the Echo instance: global middleware, every operation of the
// contract with its own validator, and the docs assets.
func (s *Server) routes(doc *openapi3.T, trusted []netip.Prefix) (*echo.Echo, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.httpErrorHandler
	e.IPExtractor = ipExtractor(trusted)
	e.Use(s.requestContext, s.recoverPanics, s.securityHeaders, s.limitBody)
	if len(s.corsOrigins) > 0 {
		e.Use(cors(s.corsOrigins))
	}

	perOp, err := s.operationMiddlewares(doc)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	api.RegisterHandlersWithOptions(e, api.NewStrictHandler(s, nil), api.RegisterHandlersOptions{
		OperationMiddlewares: perOp,
	})
	e.GET("/docs/assets/*", docsAssets(), docsHeaders)
	return e, nil
}

// ipExtractor decides the client IP: the direct peer, unless the peer is a trusted
// proxy, in which case X-Forwarded-For is read back to the first untrusted hop.
func ipExtractor(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		opts = append(opts, echo.TrustIPRange(prefixToIPNet(p)))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
