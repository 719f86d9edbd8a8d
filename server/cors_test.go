package server_test

import (
	"net/http"
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
	// Without the setting, no cross-origin access at all.
	plain := servertest.New(t)
	res, _ := plain.Do(t, http.MethodGet, "/healthz", nil, http.Header{"Origin": {"https://app.example.com"}})
	if res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS is on by default")
	}
}
