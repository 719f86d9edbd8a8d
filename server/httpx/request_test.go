package httpx

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

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

// TestAccessLogAllocations guards the access line's cost on every request: a
// record holds five attributes inline, so the rest take one allocation, and
// the line of an authenticated, refused request (actor and why) no more.
func TestAccessLogAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own; make test runs this without it too")
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	req := httptest.NewRequest(http.MethodGet, "/api/v1/users/x", nil)
	res := echo.NewResponse(httptest.NewRecorder(), echo.New())
	for _, tc := range []struct {
		name string
		ri   RequestInfo
	}{
		{"Anonymous", RequestInfo{ID: "id", Operation: "getUser", IP: "192.0.2.1"}},
		{"ActorAndWhy", RequestInfo{ID: "id", Operation: "getUser", IP: "192.0.2.1", Actor: "u", Why: "forbidden"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := testing.AllocsPerRun(100, func() {
				logAccess(log, req, &tc.ri, "", "/api/v1/users/:id", res, time.Now(), time.Millisecond)
			})
			if got > 1 {
				t.Errorf("%v allocations a line; want at most 1", got)
			}
		})
	}
}
