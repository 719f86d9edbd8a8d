package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/ratelimit"
	"github.com/meridianhq/accounts/server/testdb"
)

func TestShared(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.NewPool(t)
	ctx := context.Background()
	rules := map[ratelimit.Scope]ratelimit.Rule{ratelimit.ScopeAuth: ratelimit.PerMinute(3)}
	a, err := ratelimit.NewShared(pool, rules)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ratelimit.NewShared(pool, rules) // another replica
	key := ratelimit.Key{Scope: ratelimit.ScopeAuth, Value: "203.0.113.7"}
	for i, l := range []*ratelimit.Shared{a, b, a} {
		d, err := l.Allow(ctx, key)
		if err != nil || !d.Allowed || d.Limit != 3 || d.Remaining != 2-i {
			t.Fatalf("attempt %d: %+v, %v", i+1, d, err)
		}
	}
	d, err := b.Allow(ctx, key)
	if err != nil || d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 20*time.Second {
		t.Fatalf("the 4th attempt, on the other replica: %+v, %v", d, err)
	}
	if d, _ := a.Allow(ctx, ratelimit.Key{Scope: ratelimit.ScopeAuth, Value: "198.51.100.1"}); !d.Allowed {
		t.Fatal("another key shares the bucket")
	}
	if d, _ := a.Allow(ctx, ratelimit.Key{Scope: "unlimited", Value: "x"}); !d.Allowed {
		t.Fatal("a scope without a rule is limited")
	}
	// Full buckets are pruned; a bucket in use is not.
	if _, err := pool.Exec(ctx, "UPDATE rate_limits SET tat = now() - interval '1 second' WHERE key = 'auth:198.51.100.1'"); err != nil {
		t.Fatal(err)
	}
	if n, err := a.Prune(ctx); err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want the one full bucket", n, err)
	}
	if d, _ := a.Allow(ctx, key); d.Allowed {
		t.Fatal("pruning emptied a bucket in use")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a.Allow(cctx, key); err == nil {
		t.Fatal("a database failure is a decision")
	}
	if _, err := ratelimit.NewShared(pool, map[ratelimit.Scope]ratelimit.Rule{"nope": ratelimit.PerMinute(1)}); err == nil {
		t.Fatal("NewShared with an unknown scope")
	}
}

// TestSharedInTx: an attempt counted in the caller's transaction counts only
// if that transaction commits.
func TestSharedInTx(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.NewPool(t)
	ctx := context.Background()
	l, err := ratelimit.NewShared(pool, map[ratelimit.Scope]ratelimit.Rule{ratelimit.ScopeAuth: ratelimit.PerMinute(2)})
	if err != nil {
		t.Fatal(err)
	}
	key := ratelimit.Key{Scope: ratelimit.ScopeAuth, Value: "203.0.113.8"}
	for _, commit := range []bool{false, true} {
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d, err := l.AllowIn(ctx, db.New(tx), key); err != nil || !d.Allowed {
			t.Fatalf("in a transaction: %+v, %v", d, err)
		}
		if commit {
			err = tx.Commit(ctx)
		} else {
			err = tx.Rollback(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// The rolled-back attempt left the bucket as it was: one attempt is left.
	if d, err := l.Allow(ctx, key); err != nil || !d.Allowed || d.Remaining != 0 {
		t.Fatalf("after a rolled-back and a committed attempt: %+v, %v; want the last one allowed", d, err)
	}
}

func TestTiered(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.NewPool(t)
	rules := map[ratelimit.Scope]ratelimit.Rule{ratelimit.ScopeAuth: ratelimit.PerMinute(2)}
	local, _ := ratelimit.NewMemory(rules, time.Now)
	shared, _ := ratelimit.NewShared(pool, rules)
	other, _ := ratelimit.NewShared(pool, rules)
	l := ratelimit.Tiered{First: local, Then: shared}
	key := ratelimit.Key{Scope: ratelimit.ScopeAuth, Value: "x"}
	if _, err := other.Allow(context.Background(), key); err != nil { // another replica's attempt
		t.Fatal(err)
	}
	if d, _ := l.Allow(context.Background(), key); !d.Allowed {
		t.Fatal("the second attempt in all was refused")
	}
	if d, _ := l.Allow(context.Background(), key); d.Allowed {
		t.Fatal("the third attempt in all (second here) was allowed: the shared tier was not asked")
	}
}
