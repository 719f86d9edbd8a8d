package httpx

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/meridianhq/accounts/gen/api"
)

// TestPanicIsA500 drives the real middleware chain and error handler with a
// handler that panics: no route of the contract panics on purpose.
func TestPanicIsA500(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	e := NewEcho(slog.New(slog.NewJSONHandler(&logs, nil)), Options{BodyLimit: 1024})
	e.GET("/boom", func(echo.Context) error { panic("secret detail 42") })

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("got %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	var p api.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Code != string(api.CodeInternal) || p.Detail != nil || strings.Contains(rec.Body.String(), "secret detail") {
		t.Fatalf("the 500 says too much: %s", rec.Body)
	}
	log := logs.String()
	if !strings.Contains(log, "secret detail 42") || !strings.Contains(log, "goroutine") || !strings.Contains(log, p.RequestId) {
		t.Fatalf("the panic is not logged with its stack and request id:\n%s", log)
	}
	if strings.Count(log, `"level":"ERROR"`) != 1 {
		t.Fatalf("the panic is logged more than once:\n%s", log)
	}
}
