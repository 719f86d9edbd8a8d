package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/meridianhq/accounts/server/ratelimit"
	"github.com/meridianhq/accounts/server/testdb"
)

// TestBackoff: the allowed failures go through, the next attempt waits about
// a second, the wait doubles with each failure, and a reset ends the run.
func TestBackoff(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.NewPool(t)
	ctx := context.Background()
	b := ratelimit.NewBackoff(pool, 3)
	for i := range 3 {
		if err := b.Take(ctx, "login:a"); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	var refused *ratelimit.Refused
	err := b.Take(ctx, "login:a")
	if !errors.As(err, &refused) || refused.Decision.RetryAfter <= 0 || refused.Decision.RetryAfter > time.Second {
		t.Fatalf("the 4th attempt: %v; want a refusal for at most 1 s", err)
	}
	// The block passes: the 4th attempt goes through and earns 2 s.
	if _, err := pool.Exec(ctx, "UPDATE login_failures SET blocked_until = now() WHERE key = 'login:a'"); err != nil {
		t.Fatal(err)
	}
	if err := b.Take(ctx, "login:a"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	if err := b.Take(ctx, "login:a"); !errors.As(err, &refused) || refused.Decision.RetryAfter <= time.Second || refused.Decision.RetryAfter > 2*time.Second {
		t.Fatalf("after 4 failures: %v; want a refusal for 1 to 2 s", err)
	}
	if err := b.Take(ctx, "login:b"); err != nil {
		t.Fatalf("another key: %v", err)
	}
	if err := b.Reset(ctx, "login:a"); err != nil {
		t.Fatal(err)
	}
	if err := b.Take(ctx, "login:a"); err != nil {
		t.Fatalf("after a reset: %v", err)
	}
	var off *ratelimit.Backoff
	if off.Take(ctx, "x") != nil || off.Reset(ctx, "x") != nil || ratelimit.NewBackoff(pool, 0) != nil {
		t.Fatal("no backoff limits something")
	}
	// Runs that stopped a day ago are forgotten.
	if _, err := pool.Exec(ctx, "INSERT INTO login_failures (key, failures, updated_at) VALUES ('old', 3, now() - interval '25 hours')"); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Prune(ctx); err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want the stale run", n, err)
	}
}

// TestBackoffInParallel: attempts made at the same time see each other's
// counts, so that as many go through as one after the other would.
func TestBackoffInParallel(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.NewPool(t)
	b := ratelimit.NewBackoff(pool, 3)
	const attempts = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	passed := 0
	for range attempts {
		wg.Go(func() {
			err := b.Take(context.Background(), "login:parallel")
			var refused *ratelimit.Refused
			switch {
			case err == nil:
				mu.Lock()
				passed++
				mu.Unlock()
			case !errors.As(err, &refused):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if passed != 3 {
		t.Fatalf("%d of %d parallel attempts went through; want the 3 allowed", passed, attempts)
	}
}
