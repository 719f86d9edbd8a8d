package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/testdb"
)

// refusedWithin polls until e refuses token or the deadline passes, and reports
// how long it took. Revocation is asynchronous across replicas, so the test waits
// for the condition instead of sleeping a fixed time.
func refusedWithin(t *testing.T, e *servertest.Env, token string, deadline time.Duration) (time.Duration, bool) {
	t.Helper()
	start := time.Now()
	for time.Since(start) < deadline {
		if e.Me(t, token) == 401 {
			return time.Since(start), true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start), false
}

// TestRevocationReachesOtherReplica revokes a session through replica A and
// waits for B to refuse its token: within a second whether B's listener works,
// was killed, or stays connected but silent (its proxy stops forwarding: only
// the missing heartbeats tell).
func TestRevocationReachesOtherReplica(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		listen func(t *testing.T, a *servertest.Env, proxy *dbProxy)
	}{
		{"Notify", nil},
		{"ListenerKilled", func(t *testing.T, a *servertest.Env, _ *dbProxy) {
			mustExec(t, a, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'")
		}},
		{"ListenerSilenced", func(_ *testing.T, _ *servertest.Env, proxy *dbProxy) { proxy.setHung(true) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pool, dbURL := testdb.NewPool(t)
			proxy := newDBProxy(t, dbURL)
			listenB := func(o *servertest.Options) { o.ListenURL = proxy.URL(t, dbURL) }
			a := servertest.New(t, servertest.OnDatabase(pool, dbURL))
			b := servertest.New(t, servertest.OnDatabase(pool, dbURL), listenB)
			u := a.NewUser(t)
			if b.Me(t, u.Tokens.AccessToken) != 200 {
				t.Fatal("replica B refuses a fresh token")
			}
			if tc.listen != nil {
				tc.listen(t, a, proxy)
			}
			res, err := a.Client.LogoutWithResponse(context.Background(), client.LogoutRequest{}, servertest.Bearer(u.Tokens.AccessToken))
			if err != nil || res.StatusCode() != 204 {
				t.Fatalf("logout through A: %v", err)
			}
			if a.Me(t, u.Tokens.AccessToken) != 401 {
				t.Fatal("replica A still accepts the token it revoked")
			}
			if took, ok := refusedWithin(t, b, u.Tokens.AccessToken, time.Second); !ok {
				t.Fatalf("replica B still accepts the token %s after the logout", took)
			}
			if tc.listen != nil {
				// B finds out that its listener is gone (by the error, or by the
				// missing heartbeats), says so, and polls often until it is back.
				waitForLog(t, b, "revocation listener down", 10*time.Second)
			}
		})
	}
}

// waitForLog waits until e has logged msg.
func waitForLog(t *testing.T, e *servertest.Env, msg string, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); !strings.Contains(e.Logs.String(), msg); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log after %s:\n%s", msg, within, e.Logs.String())
		}
	}
}

func TestRevocationsLoadedOnStart(t *testing.T) {
	t.Parallel()
	pool, dbURL := testdb.NewPool(t)
	a := servertest.New(t, servertest.OnDatabase(pool, dbURL))
	u := a.NewUser(t)
	res, err := a.Client.LogoutWithResponse(context.Background(), client.LogoutRequest{}, servertest.Bearer(u.Tokens.AccessToken))
	if err != nil || res.StatusCode() != 204 {
		t.Fatalf("logout: %v", err)
	}
	// A replica started after the logout has never seen its notification.
	late := servertest.New(t, servertest.OnDatabase(pool, dbURL))
	if late.Me(t, u.Tokens.AccessToken) != 401 {
		t.Fatal("a replica started later accepts a token revoked before it started")
	}
}
