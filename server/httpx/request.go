package httpx

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/meridianhq/accounts/server/tracing"
)

// HeaderRequestID carries the request id in both directions.
const HeaderRequestID = "X-Request-ID"

// requestIDKey is HeaderRequestID in the canonical form net/http stores it
// under: a key already canonical is looked up and set without an allocation.
const requestIDKey = "X-Request-Id"

// RequestInfo is what the middleware learns about a request: its id, the
// client, the operationId once the route is known, and as it goes on who is
// calling and why it was refused.
type RequestInfo struct {
	ID        string
	Operation string
	// IP is the client IP, as the configured IP extractor decided.
	IP        string
	UserAgent string
	// Actor is the authenticated caller's user id (SetActor); "" when anonymous.
	Actor string
	// Why is the reason of a refusal, for the log only (Explain): the client
	// gets the same answer whatever it is.
	Why string
	// echo is the request's Echo context (EchoContext).
	echo echo.Context
}

type requestInfoKey struct{}

// Info returns what is known of the request in ctx; the zero RequestInfo
// outside a request.
func Info(ctx context.Context) RequestInfo {
	if ri, ok := ctx.Value(requestInfoKey{}).(*RequestInfo); ok {
		return *ri
	}
	return RequestInfo{}
}

// SetActor records the authenticated caller of the request in ctx.
func SetActor(ctx context.Context, id string) {
	if ri, ok := ctx.Value(requestInfoKey{}).(*RequestInfo); ok {
		ri.Actor = id
	}
}

// Explain records why the request in ctx is refused (a token "expired", a
// session "revoked", "rate_limited:login"): a closed set of words for the
// access log, never for the response.
func Explain(ctx context.Context, why string) {
	if ri, ok := ctx.Value(requestInfoKey{}).(*RequestInfo); ok {
		ri.Why = why
	}
}

// validRequestID reports whether an incoming X-Request-ID is kept: at most 128
// characters from [A-Za-z0-9._-].
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// newRequestID returns 128 random bits as 32 hex digits. A request id needs to
// be unique, not secret: the runtime's ChaCha8 generator costs no system call.
func newRequestID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

// RequestContext is the outermost middleware. It settles the request id, sets it
// on the response, bounds the request by o.RequestDeadline (0: none), and when
// the request is done writes one access-log line and tells o.Observe. A
// returned error is handed to the error handler here, so both see the final
// status.
func RequestContext(log *slog.Logger, o Options) echo.MiddlewareFunc {
	deadline := o.RequestDeadline
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if o.InFlight != nil {
				o.InFlight.Add(1)
				defer o.InFlight.Add(-1)
			}
			req := c.Request()
			ri := &RequestInfo{ID: req.Header.Get(requestIDKey), IP: c.RealIP(), UserAgent: req.UserAgent(), echo: c}
			if !validRequestID(ri.ID) {
				ri.ID = newRequestID()
			}
			ctx := context.WithValue(req.Context(), requestInfoKey{}, ri)
			if o.Enrich != nil {
				ctx = o.Enrich(ctx, *ri)
			}
			ctx, span := continueTrace(ctx, req, o.Trace)
			defer span.End()
			if deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, deadline)
				defer cancel()
			}
			c.SetRequest(req.WithContext(ctx))
			c.Response().Header().Set(requestIDKey, ri.ID)
			if err := next(c); err != nil {
				c.Error(err)
			}
			res := c.Response()
			took := time.Since(start)
			if o.Observe != nil {
				o.Observe(ri.Operation, res.Status, took)
			}
			endSpan(span, ri.Operation, req.Method, c.Path(), res.Status)
			logAccess(log, req, ri, traceID(span), c.Path(), res, start.Add(took), took)
			return nil
		}
	}
}

// serverSpan is the kind of a request's span.
var serverSpan = trace.WithSpanKind(trace.SpanKindServer)

// continueTrace continues the caller's trace (W3C traceparent) when it sends
// one and, with tracing on, starts the request's span in it, named after the
// operation once the route is known (endSpan). With tracing off the span is
// the caller's remote one, or none: it records nothing, and ending it does
// nothing, but it gives the access log the caller's trace id.
func continueTrace(ctx context.Context, req *http.Request, on bool) (context.Context, trace.Span) {
	if carriesTraceContext(req.Header) {
		ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.HeaderCarrier(req.Header))
	}
	if !on {
		return ctx, trace.SpanFromContext(ctx)
	}
	return tracing.Tracer().Start(ctx, "HTTP "+req.Method, serverSpan)
}

// carriesTraceContext reports whether h has any header of the propagators
// tracing.Setup installs (W3C trace context and baggage). Without one there is
// nothing to extract, and the propagators' lookups of lowercase names would
// canonicalize each name again (an allocation each) on every request.
func carriesTraceContext(h http.Header) bool {
	_, tp := h["Traceparent"]
	_, ts := h["Tracestate"]
	_, bg := h["Baggage"]
	return tp || ts || bg
}

// logAccess writes the access-log line of a request that ended at end; the
// actor and the reason of a refusal only when there are some. The record goes
// to the handler directly, without the caller's program counter (a source
// location, which would always be this line) that Logger.LogAttrs captures.
// The attributes are added in one call: a record keeps five inline, and each
// further call would grow its overflow slice again.
func logAccess(log *slog.Logger, req *http.Request, ri *RequestInfo, trace, route string, res *echo.Response, end time.Time, took time.Duration) {
	ctx, h := req.Context(), log.Handler()
	if !h.Enabled(ctx, slog.LevelInfo) {
		return
	}
	attrs := [...]slog.Attr{
		slog.String("request_id", ri.ID),
		slog.String("trace_id", trace),
		slog.String("operation", ri.Operation),
		slog.String("method", req.Method),
		slog.String("route", route),
		slog.Int("status", res.Status),
		slog.Int64("bytes", res.Size),
		// Whole microseconds: the JSON handler writes a float through
		// encoding/json, an integer directly.
		slog.Int64("duration_us", took.Microseconds()),
		slog.String("ip", ri.IP),
		{}, {}, // actor and why, when set
	}
	n := len(attrs) - 2
	if ri.Actor != "" {
		attrs[n] = slog.String("actor", ri.Actor)
		n++
	}
	if ri.Why != "" {
		attrs[n] = slog.String("why", ri.Why)
		n++
	}
	r := slog.NewRecord(end, slog.LevelInfo, "request", 0)
	r.AddAttrs(attrs[:n]...)
	_ = h.Handle(ctx, r)
}

// endSpan names the request's span after its operation (or its method and
// route outside the contract) and records the outcome: method, route and
// status, nothing of the caller's data. A span that records nothing (tracing
// off) costs nothing more.
func endSpan(span trace.Span, operation, method, route string, status int) {
	if !span.IsRecording() {
		return
	}
	if operation != "" {
		span.SetName(operation)
	} else {
		span.SetName(method + " " + route)
	}
	span.SetAttributes(semconv.HTTPRequestMethodKey.String(method), semconv.HTTPRoute(route),
		semconv.HTTPResponseStatusCode(status), attribute.String("accounts.operation", operation))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
}

// traceID is the request's trace id for the access log; empty without tracing.
func traceID(span trace.Span) string {
	if sc := span.SpanContext(); sc.HasTraceID() {
		return sc.TraceID().String()
	}
	return ""
}

// OperationTag records the operationId of the route for the access log. It is
// the first per-operation middleware.
func OperationTag(op string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if ri, ok := c.Request().Context().Value(requestInfoKey{}).(*RequestInfo); ok {
				ri.Operation = op
			}
			return next(c)
		}
	}
}
