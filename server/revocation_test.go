package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/meridianhq/accounts/gen/client"
)

// refusedWithin polls until e refuses token or the deadline passes, and reports
// how long it took. Revocation is asynchronous across replicas, so the test waits
// for the condition instead of sleeping a fixed time.
func refusedWithin(t *testing.T, e *env, token string, deadline time.Duration) (time.Duration, bool) {
	t.Helper()
	start := time.Now()
	for time.Since(start) < deadline {
		if e.me(t, token) == 401 {
			return time.Since(start), true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start), false
}

func TestRevocationReachesOtherReplica(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		killListen bool
	}{
		{"Notify", false},
		{"PollWhileListenIsDown", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pool, dbURL := newEnvDB(t)
			a := newEnvOn(t, pool, dbURL)
			b := newEnvOn(t, pool, dbURL)
			u := a.newUser(t)
			if b.me(t, u.tokens.AccessToken) != 200 {
				t.Fatal("replica B refuses a fresh token")
			}
			if tc.killListen {
				mustExec(t, a, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'")
			}
			res, err := a.client.LogoutWithResponse(context.Background(), client.LogoutRequest{}, bearer(u.tokens.AccessToken))
			if err != nil || res.StatusCode() != 204 {
				t.Fatalf("logout through A: %v", err)
			}
			if a.me(t, u.tokens.AccessToken) != 401 {
				t.Fatal("replica A still accepts the token it revoked")
			}
			if took, ok := refusedWithin(t, b, u.tokens.AccessToken, time.Second); !ok {
				t.Fatalf("replica B still accepts the token %s after the logout", took)
			}
		})
	}
}

func TestRevocationsLoadedOnStart(t *testing.T) {
	t.Parallel()
	pool, dbURL := newEnvDB(t)
	a := newEnvOn(t, pool, dbURL)
	u := a.newUser(t)
	res, err := a.client.LogoutWithResponse(context.Background(), client.LogoutRequest{}, bearer(u.tokens.AccessToken))
	if err != nil || res.StatusCode() != 204 {
		t.Fatalf("logout: %v", err)
	}
	// A replica started after the logout has never seen its notification.
	late := newEnvOn(t, pool, dbURL)
	if late.me(t, u.tokens.AccessToken) != 401 {
		t.Fatal("a replica started later accepts a token revoked before it started")
	}
}
