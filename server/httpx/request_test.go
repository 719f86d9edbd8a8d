package httpx

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/meridianhq/accounts/server/tracing"
)

// TestRequestIDKeyIsCanonical guards the key RequestContext reads and sets
// directly: net/http stores headers under their canonical form.
func TestRequestIDKeyIsCanonical(t *testing.T) {
	if got := http.CanonicalHeaderKey(HeaderRequestID); got != requestIDKey {
		t.Fatalf("requestIDKey %q; the canonical form of %q is %q", requestIDKey, HeaderRequestID, got)
	}
}

// TestInFlight checks that RequestContext counts a request while it is served
// and no longer once it is answered, failed or not.
func TestInFlight(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	e := NewEcho(slog.New(slog.NewJSONHandler(io.Discard, nil)), Options{BodyLimit: 1 << 10, InFlight: &n})
	var during []int64
	e.GET("/ok", func(c echo.Context) error {
		during = append(during, n.Load())
		return c.NoContent(http.StatusNoContent)
	})
	e.GET("/fail", func(c echo.Context) error { during = append(during, n.Load()); return errors.New("boom") })
	for _, path := range []string{"/ok", "/fail"} {
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
		if got := n.Load(); got != 0 {
			t.Errorf("after %s: %d in flight; want 0", path, got)
		}
	}
	if len(during) != 2 || during[0] != 1 || during[1] != 1 {
		t.Errorf("in flight while serving: %v; want [1 1]", during)
	}
}

// TestTraceContextHeaders guards carriesTraceContext against the propagators
// tracing.Setup installs: every header they read must be one it looks for.
func TestTraceContextHeaders(t *testing.T) {
	t.Parallel()
	for _, field := range tracing.Propagator().Fields() {
		if !carriesTraceContext(http.Header{http.CanonicalHeaderKey(field): {"x"}}) {
			t.Errorf("a request with only %s is not seen to carry trace context", field)
		}
	}
	if carriesTraceContext(http.Header{"Authorization": {"Bearer x"}}) {
		t.Error("a request without trace headers is seen to carry them")
	}
}
