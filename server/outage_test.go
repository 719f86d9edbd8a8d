package server_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/store"
	"github.com/meridianhq/accounts/server/testdb"
)

// proxied starts a service whose database connections go through a proxy the
// test can cut or freeze, with a request deadline of deadline.
func proxied(t *testing.T, deadline time.Duration) (*servertest.Env, *dbProxy) {
	t.Helper()
	_, dbURL := testdb.NewPool(t)
	proxy := newDBProxy(t, dbURL)
	cfg, err := pgxpool.ParseConfig(proxy.URL(t, dbURL))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.ConnectTimeout = time.Second
	store.Configure(cfg)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e := servertest.New(t, servertest.OnDatabase(pool, dbURL), func(o *servertest.Options) { o.Config.HTTP.RequestDeadline = deadline })
	return e, proxy
}

// TestDatabaseOutageIs503 cuts, then freezes, the database under a running
// service: requests that need it answer 503 DATABASE_UNAVAILABLE with
// Retry-After (never 500), within the request deadline when it hangs; what
// needs no database keeps working; the outage is logged once, not per
// request; and the service answers again once the database is back.
func TestDatabaseOutageIs503(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"Down", "Hung"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			const deadline = 2 * time.Second
			e, proxy := proxied(t, deadline)
			u := e.NewUser(t)
			if mode == "Down" {
				proxy.setDown(true)
			} else {
				proxy.setHung(true)
			}
			for range 3 {
				start := time.Now()
				res, b := e.Call(t, http.MethodGet, "/api/v1/users/me", u.Tokens.AccessToken, "")
				took := time.Since(start)
				secs, _ := strconv.Atoi(res.Header.Get("Retry-After"))
				if res.StatusCode != 503 || servertest.ProblemOf(t, b).Code != string(api.CodeDatabaseUnavailable) || secs < 1 {
					t.Fatalf("/users/me with the database %s: %d %s", mode, res.StatusCode, b)
				}
				if took > deadline+time.Second {
					t.Fatalf("/users/me took %s with a deadline of %s", took, deadline)
				}
			}
			for _, path := range []string{"/healthz", "/.well-known/jwks.json"} {
				if res, _ := e.Do(t, http.MethodGet, path, nil, nil); res.StatusCode != 200 {
					t.Fatalf("%s during the outage: %d", path, res.StatusCode)
				}
			}
			if n := strings.Count(e.Logs.String(), "database unavailable"); n != 1 {
				t.Fatalf("the outage is logged %d times; want once:\n%s", n, e.Logs.String())
			}
			if strings.Contains(e.Logs.String(), `"level":"ERROR"`) {
				t.Fatalf("an outage is logged as an error:\n%s", e.Logs.String())
			}
			proxy.setDown(false)
			proxy.setHung(false)
			var status int
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if status = e.Me(t, u.Tokens.AccessToken); status == 200 {
					break
				}
			}
			if status != 200 {
				t.Fatalf("after the database came back: %d", status)
			}
		})
	}
}

// TestClientGoneIsNotAnError: a client that gives up on a request the
// database holds is recorded as 499 client_gone in the access log (and the
// metrics), not as a 500 at ERROR, which would page someone.
func TestClientGoneIsNotAnError(t *testing.T) {
	t.Parallel()
	e, proxy := proxied(t, 30*time.Second)
	u := e.NewUser(t)
	proxy.setHung(true)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.URL+"/api/v1/users/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+u.Tokens.AccessToken)
	req.Header.Set("X-Request-ID", "client-gone")
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("the request answered %d while the database hung", res.StatusCode)
	}
	var line map[string]any
	for deadline := time.Now().Add(10 * time.Second); line == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if strings.Contains(e.Logs.String(), `"request_id":"client-gone"`) {
			line = accessLine(t, e, "client-gone")
		}
	}
	proxy.setHung(false)
	if line == nil || line["status"] != float64(499) || line["why"] != "client_gone" {
		t.Fatalf("the access line of a request whose client left: %v; want status 499, why client_gone", line)
	}
	if strings.Contains(e.Logs.String(), `"level":"ERROR"`) {
		t.Fatalf("a client that left is logged as an error:\n%s", e.Logs.String())
	}
}
