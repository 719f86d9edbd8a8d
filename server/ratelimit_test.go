package server_test

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/servertest"
)

func TestAttemptsAreLimitedPerClient(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, func(o *servertest.Options) {
		o.Config.AuthAttemptsPerMinute = 3
		o.Config.HTTP.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	login := func(ip string) (*http.Response, []byte) {
		return e.Do(t, http.MethodPost, "/api/v1/auth/login",
			strings.NewReader(`{"email":"who@example.com","password":"not the password"}`),
			http.Header{"Content-Type": {"application/json"}, "X-Forwarded-For": {ip}})
	}
	for i := range 3 {
		if res, b := login("203.0.113.7"); res.StatusCode != 401 {
			t.Fatalf("attempt %d: %d %s", i+1, res.StatusCode, b)
		}
	}
	res, b := login("203.0.113.7")
	if res.StatusCode != 429 || servertest.ProblemOf(t, b).Code != string(api.CodeRateLimited) {
		t.Fatalf("the 4th attempt in a minute: %d %s", res.StatusCode, b)
	}
	if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 20 {
		t.Fatalf("Retry-After %q", res.Header.Get("Retry-After"))
	}
	// Registration shares the bucket; another client has its own.
	res, b = e.Do(t, http.MethodPost, "/api/v1/auth/register",
		strings.NewReader(`{"email":"new@example.com","password":"correct horse battery staple","name":"N"}`),
		http.Header{"Content-Type": {"application/json"}, "X-Forwarded-For": {"203.0.113.7"}})
	if res.StatusCode != 429 {
		t.Fatalf("register from the same client: %d %s", res.StatusCode, b)
	}
	if res, b := login("198.51.100.9"); res.StatusCode != 401 {
		t.Fatalf("another client: %d %s", res.StatusCode, b)
	}
	// Other operations are not limited.
	if res, _ := e.Do(t, http.MethodGet, "/healthz", nil, http.Header{"X-Forwarded-For": {"203.0.113.7"}}); res.StatusCode != 200 {
		t.Fatalf("/healthz: %d", res.StatusCode)
	}
}
