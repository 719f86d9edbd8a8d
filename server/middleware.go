package server

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/labstack/echo/v4"
)

// HeaderRequestID carries the request id in both directions.
const HeaderRequestID = "X-Request-ID"

// reqInfo is what the middleware learns about a request, kept in its context:
// the request id, the client, and the operationId once the route is known.
type reqInfo struct {
	id        string
	operation string
	ip        string
	userAgent string
}

// clientFrom returns the client IP (as the configured IP extractor decided) and
// User-Agent of the request in ctx.
func clientFrom(ctx context.Context) (ip, userAgent string) {
	if ri, ok := ctx.Value(reqInfoKey{}).(*reqInfo); ok {
		return ri.ip, ri.userAgent
	}
	return "", ""
}

type reqInfoKey struct{}

// requestIDFrom returns the request id kept in ctx, or "" outside a request.
func requestIDFrom(ctx context.Context) string {
	if ri, ok := ctx.Value(reqInfoKey{}).(*reqInfo); ok {
		return ri.id
	}
	return ""
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

// requestContext is the outermost middleware. It settles the request id, sets it
// on the response, and writes one access-log line when the request is done. A
// returned error is handed to the error handler here, so the line carries the
// final status.
func (s *Server) requestContext(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		req := c.Request()
		ri := &reqInfo{id: req.Header.Get(HeaderRequestID), ip: c.RealIP(), userAgent: req.UserAgent()}
		if !validRequestID(ri.id) {
			ri.id = newRequestID()
		}
		c.SetRequest(req.WithContext(context.WithValue(req.Context(), reqInfoKey{}, ri)))
		c.Response().Header().Set(HeaderRequestID, ri.id)
		if err := next(c); err != nil {
			c.Error(err)
		}
		res := c.Response()
		s.log.LogAttrs(req.Context(), slog.LevelInfo, "request",
			slog.String("request_id", ri.id),
			slog.String("operation", ri.operation),
			slog.String("method", req.Method),
			slog.String("route", c.Path()),
			slog.Int("status", res.Status),
			slog.Int64("bytes", res.Size),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("ip", ri.ip),
		)
		return nil
	}
}

// operationTag records the operationId of the route for the access log. It is the
// first per-operation middleware.
func operationTag(op string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if ri, ok := c.Request().Context().Value(reqInfoKey{}).(*reqInfo); ok {
				ri.operation = op
			}
			return next(c)
		}
	}
}

// errPanic stands for a recovered panic, already logged with its stack.
var errPanic = errors.New("panic recovered")

// recoverPanics turns a panic into a plain error, which the error handler answers
// with a generic 500. The stack goes to the log, never to the client.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.log.LogAttrs(c.Request().Context(), slog.LevelError, "panic",
					slog.String("request_id", requestIDFrom(c.Request().Context())),
					slog.String("panic", fmt.Sprint(r)),
					slog.String("stack", string(debug.Stack())))
				err = errPanic
			}
		}()
		return next(c)
	}
}

// limitBody refuses a declared Content-Length over the limit at once, and caps the
// body of every request, so that a body sent without a length (chunked) fails
// with *http.MaxBytesError when it passes the limit.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.ContentLength > s.bodyLimit {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		if req.Body != nil && req.Body != http.NoBody {
			req.Body = http.MaxBytesReader(c.Response(), req.Body, s.bodyLimit)
		}
		return next(c)
	}
}
