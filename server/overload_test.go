package server_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/servertest"
)

// TestHashingOverloadIsShed fills the one hashing slot (and, in one case, its
// queue) and sends every operation that hashes: each is answered 503 OVERLOADED
// with Retry-After instead of waiting for as long as the client does.
func TestHashingOverloadIsShed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		queue auth.Queue
		// waiters are callers parked in the queue first.
		waiters int
	}{
		{"QueueFull", auth.Queue{Max: 1, Wait: time.Minute}, 1},
		{"WaitedTooLong", auth.Queue{Max: 100, Wait: 50 * time.Millisecond}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			slots := auth.NewCPUSlots(1, tt.queue)
			h, err := auth.NewHasher(servertest.FastArgon2, slots, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			e := servertest.New(t, func(o *servertest.Options) { o.Hasher = h })
			admin, u := e.NewAdmin(t), e.NewUser(t)
			release := make(chan struct{})
			defer close(release)
			occupy := func() {
				started := make(chan struct{})
				go func() { _ = slots.Do(context.Background(), func() error { close(started); <-release; return nil }) }()
				<-started
			}
			occupy()
			for range tt.waiters {
				go func() { _ = slots.Do(context.Background(), func() error { return nil }) }()
			}
			waitForWaiters(t, slots, tt.waiters)
			requests := []struct{ method, path, token, body string }{
				{http.MethodPost, "/api/v1/auth/login", "", `{"email":"` + u.Email + `","password":"` + u.Password + `"}`},
				{http.MethodPost, "/api/v1/auth/login", "", `{"email":"nobody@example.com","password":"` + u.Password + `"}`},
				{http.MethodPost, "/api/v1/auth/register", "", `{"email":"new@example.com","name":"New","password":"` + servertest.StrongPassword + `"}`},
				{http.MethodPost, "/api/v1/users", admin.Tokens.AccessToken, `{"email":"new2@example.com","name":"New","password":"` + servertest.StrongPassword + `","role":"user"}`},
				{http.MethodPut, userPath(u) + "/password", u.Tokens.AccessToken, `{"current_password":"` + u.Password + `","new_password":"purple monkey dishwasher lamp"}`},
			}
			for _, r := range requests {
				res, b := e.Call(t, r.method, r.path, r.token, r.body)
				secs, _ := strconv.Atoi(res.Header.Get("Retry-After"))
				if res.StatusCode != 503 || servertest.ProblemOf(t, b).Code != string(api.CodeOverloaded) || secs < 1 {
					t.Errorf("%s %s: %d %s (Retry-After %q); want 503 OVERLOADED with Retry-After",
						r.method, r.path, res.StatusCode, strings.TrimSpace(string(b)), res.Header.Get("Retry-After"))
				}
			}
		})
	}
}

// waitForWaiters waits until n callers queue for slots.
func waitForWaiters(t *testing.T, slots *auth.CPUSlots, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); slots.Waiting() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d waiters after 5s; want %d", slots.Waiting(), n)
		}
	}
}
