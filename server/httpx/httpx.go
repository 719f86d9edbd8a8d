// Package httpx is the service's Echo plumbing: what is learnt about a request
// (its id, client and operation), the access log, panic recovery, the body
// limit, security headers, CORS, the client IP, the per-operation request
// validator, and the one error handler that answers every failure as an RFC 9457
// problem from one table of codes. It knows nothing of users or sessions.
package httpx

import (
	"context"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

// Options are the HTTP settings of the service.
type Options struct {
	// BodyLimit caps request bodies, in bytes. Required.
	BodyLimit int64
	// TrustedProxies are the peers whose X-Forwarded-For is believed. Empty: the
	// client IP is the direct peer.
	TrustedProxies []netip.Prefix
	// CORSOrigins are the exact origins (https://app.example.com) whose browser
	// pages may call the API. Empty: no cross-origin access.
	CORSOrigins []string
	// RequestDeadline bounds how long a request may wait, for the database
	// above all: past it, its queries are cancelled (and their connections
	// discarded), and it is answered as an outage. 0: no bound.
	RequestDeadline time.Duration
	// Observe, when set, is told of every answered request: its operationId
	// ("" outside the contract), status and duration (the metrics).
	Observe func(operation string, status int, took time.Duration)
	// Enrich, when set, adds to a request's context what the layers below
	// want of every request (the audit origin), from what RequestContext
	// learnt of it, before any handler runs: one context for the whole request.
	Enrich func(ctx context.Context, ri RequestInfo) context.Context
	// Trace starts a server span for every request (tracing is on). Off, a
	// caller's traceparent is still read, for the trace id of the access log,
	// and no span is started.
	Trace bool
	// InFlight, when set, counts the requests being served (CPUSlots.Contended
	// asks it whether a login burst competes with other requests).
	InFlight *atomic.Int64
	// UntrustedForwardedFor, when set, is told of every request that carries
	// X-Forwarded-For from a peer outside TrustedProxies (the metrics); the first
	// one is also logged at WARN.
	UntrustedForwardedFor func()
}

// NewEcho returns an Echo instance with the global middleware, in order: the
// request context and access log, panic recovery, the security headers, CORS
// when origins are configured, and the body limit. Failures go to the error
// handler.
func NewEcho(log *slog.Logger, o Options) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = ErrorHandler(log, o.BodyLimit)
	e.IPExtractor = IPExtractor(o.TrustedProxies, warnUntrustedForwardedFor(log, o.UntrustedForwardedFor))
	global := []echo.MiddlewareFunc{RequestContext(log, o), Recover(log), SecurityHeaders}
	if len(o.CORSOrigins) > 0 {
		// Before the body limit: a 413 reaches the page with its CORS
		// headers, not as an opaque network error.
		global = append(global, CORS(log, o.CORSOrigins))
	}
	e.Use(Once(append(global, LimitBody(o.BodyLimit))...))
	return e
}
