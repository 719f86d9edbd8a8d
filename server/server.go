// Package server is the contract surface of accounts: *Server implements the
// generated api.StrictServerInterface, one file per tag or sub-resource. Each
// handler takes the principal, makes one call into a domain package (users,
// sessions), maps its outcomes to the typed responses of the contract, and
// converts. Everything else lives in its own package: Echo plumbing in httpx,
// transactions in store, the rules in auth. cmd/accounts builds the
// collaborators; New only checks them and builds the routes.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/audit"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/metrics"
	"github.com/meridianhq/accounts/server/ratelimit"
	"github.com/meridianhq/accounts/server/sessions"
	"github.com/meridianhq/accounts/server/store"
	"github.com/meridianhq/accounts/server/users"
)

// Deps are the built collaborators of a Server. A new dependency of a handler
// is a field here and a line where cmd/accounts builds Deps.
type Deps struct {
	// Logger receives login events and the access log. Required.
	Logger *slog.Logger
	// Pool is pinged by /readyz; handlers never query it directly. Required.
	Pool *pgxpool.Pool
	// SchemaCheck reports why the database schema is not at this binary's
	// version, or nil when it is. /readyz calls it. Required.
	SchemaCheck func(context.Context) error
	// HTTP are the body limit, the trusted proxies and the CORS origins.
	HTTP httpx.Options
	// Tokens verifies bearer tokens and publishes the JWKS. Required.
	Tokens *auth.Tokens
	// Users is the user lifecycle. Required.
	Users *users.Service
	// Sessions starts, rotates and ends sessions. Required, and started: its
	// revoked set must be loaded before the first request.
	Sessions *sessions.Service
	// Limiter limits the operations whose spec names a scope in
	// x-accounts-rate-limit. Nil: no limits.
	Limiter ratelimit.Limiter
	// Cursors seals the pagination cursors of listings. Required.
	Cursors auth.CursorCodec
	// Health is what the replica believes of the database; outages observed by
	// requests are recorded there. Required.
	Health *store.Health
	// Metrics records requests, logins, refreshes and refusals. Nil: none.
	Metrics *metrics.Metrics
	// Audit reads the audit log. Required.
	Audit *audit.Log
	// RequireAdminMFA refuses admin operations to admins without a second
	// factor (403 MFA_ENROLLMENT_REQUIRED); they can still enrol one.
	RequireAdminMFA bool
}

// Server implements api.StrictServerInterface.
type Server struct {
	Deps
	jwks        api.JWKS
	openapiJSON api.OpenAPIDocument
	draining    atomic.Bool
	handler     http.Handler
}

var _ api.StrictServerInterface = (*Server)(nil)

// New checks d and builds the Server and its HTTP handler.
func New(d Deps) (*Server, error) {
	switch {
	case d.Logger == nil || d.Pool == nil || d.SchemaCheck == nil:
		return nil, errors.New("server: Deps.Logger, Pool and SchemaCheck are required")
	case d.HTTP.BodyLimit <= 0:
		return nil, errors.New("server: Deps.HTTP.BodyLimit must be positive")
	case d.Tokens == nil || d.Users == nil || d.Sessions == nil:
		return nil, errors.New("server: Deps.Tokens, Users and Sessions are required")
	case !d.Cursors.Ready():
		return nil, errors.New("server: Deps.Cursors is required")
	case d.Health == nil || d.Audit == nil:
		return nil, errors.New("server: Deps.Health and Audit are required")
	}
	s := &Server{Deps: d}
	var err error
	if s.jwks, err = toJWKS(d.Tokens.Keys()); err != nil {
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
	if s.openapiJSON, err = toOpenAPIDocument(doc); err != nil {
		return nil, err
	}
	if s.handler, err = s.routes(doc); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	return s, nil
}

// Handler is the service's whole HTTP surface: the API, the ops endpoints and
// the docs. Production and tests use the same one.
func (s *Server) Handler() http.Handler { return s.handler }

// Drain makes /readyz answer 503 from now on, so that load balancers stop
// sending traffic while in-flight requests finish.
func (s *Server) Drain() { s.draining.Store(true) }
