package httpx

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/labstack/echo/v4"
)

// HeaderRequestID carries the request id in both directions.
const HeaderRequestID = "X-Request-ID"

// RequestInfo is what the middleware learns about a request: its id, the
// client, and the operationId once the route is known.
type RequestInfo struct {
	ID        string
	Operation string
	// IP is the client IP, as the configured IP extractor decided.
	IP        string
	UserAgent string
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
			req := c.Request()
			ri := &RequestInfo{ID: req.Header.Get(HeaderRequestID), IP: c.RealIP(), UserAgent: req.UserAgent()}
			if !validRequestID(ri.ID) {
				ri.ID = newRequestID()
			}
			ctx := context.WithValue(req.Context(), requestInfoKey{}, ri)
			if deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, deadline)
				defer cancel()
			}
			c.SetRequest(req.WithContext(ctx))
			c.Response().Header().Set(HeaderRequestID, ri.ID)
			if err := next(c); err != nil {
				c.Error(err)
			}
			res := c.Response()
			took := time.Since(start)
			if o.Observe != nil {
				o.Observe(ri.Operation, res.Status, took)
			}
			log.LogAttrs(req.Context(), slog.LevelInfo, "request",
				slog.String("request_id", ri.ID),
				slog.String("operation", ri.Operation),
				slog.String("method", req.Method),
				slog.String("route", c.Path()),
				slog.Int("status", res.Status),
				slog.Int64("bytes", res.Size),
				slog.Float64("duration_ms", float64(took.Microseconds())/1000),
				slog.String("ip", ri.IP),
			)
			return nil
		}
	}
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
