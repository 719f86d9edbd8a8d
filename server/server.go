// Package server connects the generated contract (gen/api) to the generated
// queries (gen/db). Handlers are methods on *Server; request validation,
// authentication and routing come from openapi.yaml.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/db"
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
}

// Server implements api.StrictServerInterface.
type Server struct {
	pool        *pgxpool.Pool
	q           *db.Queries
	log         *slog.Logger
	bodyLimit   int64
	schemaCheck func(context.Context) error
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
	}
	s := &Server{
		pool:        opts.Pool,
		q:           db.New(opts.Pool),
		log:         opts.Logger,
		bodyLimit:   opts.BodyLimit,
		schemaCheck: opts.SchemaCheck,
	}
	var err error
	if s.spec, err = loadSpecDocs(); err != nil {
		return nil, err
	}
	if s.handler, err = s.routes(opts.TrustedProxies); err != nil {
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
func (s *Server) routes(trusted []netip.Prefix) (*echo.Echo, error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.httpErrorHandler
	e.IPExtractor = ipExtractor(trusted)
	e.Use(s.requestContext, s.recoverPanics, s.securityHeaders, s.limitBody)

	perOp, err := s.operationMiddlewares()
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
