package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/meridianhq/accounts/server/servertest"
)

func TestCORS(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, func(o *servertest.Options) { o.Config.HTTP.CORSOrigins = []string{"https://app.example.com"} })
	u := e.NewUser(t)
	tests := []struct {
		name, method, origin, allowed string
	}{
		{"PreflightAllowed", http.MethodOptions, "https://app.example.com", "https://app.example.com"},
		{"PreflightOtherOrigin", http.MethodOptions, "https://evil.example.com", ""},
		{"GetAllowed", http.MethodGet, "https://app.example.com", "https://app.example.com"},
		{"GetOtherOrigin", http.MethodGet, "https://evil.example.com", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"Origin": {tc.origin}, "Authorization": {"Bearer " + u.Tokens.AccessToken}}
			if tc.method == http.MethodOptions {
				h.Set("Access-Control-Request-Method", "GET")
				h.Set("Access-Control-Request-Headers", "authorization")
			}
			res, b := e.Do(t, tc.method, "/api/v1/users/me", nil, h)
			if got := res.Header.Get("Access-Control-Allow-Origin"); got != tc.allowed {
				t.Fatalf("Access-Control-Allow-Origin %q, want %q (%d %s)", got, tc.allowed, res.StatusCode, b)
			}
			if res.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Fatal("credentials are allowed: tokens are not cookies")
			}
			if tc.allowed != "" && tc.method == http.MethodGet && res.Header.Get("Access-Control-Expose-Headers") == "" {
				t.Fatal("no exposed headers: browsers could not read ETag or X-Request-ID")
			}
		})
	}
	// A page may send If-None-Match (getMe's and getUser's), read the
	// RateLimit fields, and learn of a 413.
	h := http.Header{"Origin": {"https://app.example.com"}, "Access-Control-Request-Method": {"GET"},
		"Access-Control-Request-Headers": {"authorization,if-none-match"}}
	res, b := e.Do(t, http.MethodOptions, "/api/v1/users/me", nil, h)
	if res.Header.Get("Access-Control-Allow-Origin") == "" || !strings.Contains(strings.ToLower(res.Header.Get("Access-Control-Allow-Headers")), "if-none-match") {
		t.Fatalf("a preflight asking for If-None-Match: %d %v %s", res.StatusCode, res.Header, b)
	}
	res, _ = e.Do(t, http.MethodGet, "/api/v1/users/me", nil, http.Header{"Origin": {"https://app.example.com"}, "Authorization": {"Bearer " + u.Tokens.AccessToken}})
	if !strings.Contains(res.Header.Get("Access-Control-Expose-Headers"), "RateLimit-Remaining") {
		t.Fatalf("exposed headers %q; want the RateLimit fields", res.Header.Get("Access-Control-Expose-Headers"))
	}
	big := strings.NewReader(`{"email":"x@example.com","password":"` + strings.Repeat("a", 70_000) + `"}`)
	res, _ = e.Do(t, http.MethodPost, "/api/v1/auth/login", big, http.Header{"Origin": {"https://app.example.com"}, "Content-Type": {"application/json"}})
	if res.StatusCode != 413 || res.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("an oversized body: %d, Access-Control-Allow-Origin %q; want 413 the page can read", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
	// Without the setting, no cross-origin access at all.
	plain := servertest.New(t)
	res, _ = plain.Do(t, http.MethodGet, "/healthz", nil, http.Header{"Origin": {"https://app.example.com"}})
	if res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS is on by default")
	}
}
