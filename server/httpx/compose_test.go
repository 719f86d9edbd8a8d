package httpx

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestComposingBuildsChainsOnce registers a route through Composing and checks
// that its middleware is applied once, not on every request as Echo's own
// registration does, and that the chain runs first-outermost, as Echo's.
func TestComposingBuildsChainsOnce(t *testing.T) {
	e := echo.New()
	var built int
	var order []string
	mw := recording(&built, &order)
	Composing{Echo: e}.GET("/x", func(c echo.Context) error {
		order = append(order, "handler")
		return c.NoContent(http.StatusNoContent)
	}, mw("first"), mw("second"))
	for range 3 {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
		if rec.Code != http.StatusNoContent {
			t.Fatalf("status %d", rec.Code)
		}
	}
	if built != 2 {
		t.Errorf("middleware applied %d times for 3 requests, want 2 (once each)", built)
	}
	if got, want := strings.Join(order[:3], ","), "first,second,handler"; got != want {
		t.Errorf("order %s, want %s", got, want)
	}
}

// TestOnceBuildsTheGlobalChainOnce: global middleware through Once is applied
// once, not on every request as Echo.Use alone does, runs first-outermost, and
// ends in the handler the router found, for a route, a 404 and a 405 alike.
func TestOnceBuildsTheGlobalChainOnce(t *testing.T) {
	e := echo.New()
	var built int
	var order []string
	mw := recording(&built, &order)
	e.Use(Once(mw("first"), mw("second")))
	e.GET("/x", func(c echo.Context) error {
		order = append(order, "handler")
		return c.NoContent(http.StatusNoContent)
	})
	for _, tc := range []struct {
		method, path string
		status       int
		order        string
	}{
		{http.MethodGet, "/x", http.StatusNoContent, "first,second,handler"},
		{http.MethodGet, "/x", http.StatusNoContent, "first,second,handler"},
		{http.MethodGet, "/nowhere", http.StatusNotFound, "first,second"},
		{http.MethodPost, "/x", http.StatusMethodNotAllowed, "first,second"},
	} {
		order = nil
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != tc.status || strings.Join(order, ",") != tc.order {
			t.Errorf("%s %s: status %d, order %v; want %d, %s", tc.method, tc.path, rec.Code, order, tc.status, tc.order)
		}
	}
	if built != 2 {
		t.Errorf("global middleware applied %d times for 4 requests, want 2 (once each)", built)
	}
}

// recording returns a maker of named middleware that counts in built each
// time it is applied and appends its name to order each time it runs.
func recording(built *int, order *[]string) func(name string) echo.MiddlewareFunc {
	return func(name string) echo.MiddlewareFunc {
		return func(next echo.HandlerFunc) echo.HandlerFunc {
			*built++
			return func(c echo.Context) error {
				*order = append(*order, name)
				return next(c)
			}
		}
	}
}
