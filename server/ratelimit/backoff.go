package ratelimit

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/store"
)

// The backoff of an account: the first wait, its cap, and how long a run of
// failures is remembered after the last one.
const (
	backoffBase   = time.Second
	backoffCap    = 5 * time.Minute
	backoffForget = 24 * time.Hour
)

// Backoff slows guessing at one account, from however many clients: after
// After consecutive failures of a key (a normalised address, whether or not it
// has an account), each further attempt must wait 1 s, doubling with every
// failure, at most 5 min; a success ends the run. It never locks the owner out
// for longer than the cap. The counts live in PostgreSQL, shared by replicas.
type Backoff struct {
	q     *db.Queries
	after int
}

// NewBackoff returns the backoff over pool that starts after after failures;
// nil (no backoff) when after is 0.
func NewBackoff(pool *pgxpool.Pool, after int) *Backoff {
	if after <= 0 {
		return nil
	}
	return &Backoff{q: db.New(pool), after: after}
}

// Check refuses an attempt of key that must still wait, with a *Refused. It
// also reports whether key has failures to reset on success. A nil Backoff
// allows everything.
func (b *Backoff) Check(ctx context.Context, key string) (failed bool, err error) {
	if b == nil {
		return false, nil
	}
	row, err := b.q.GetLoginFailures(ctx, key)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	case row.BlockedUntil != nil && row.BlockedUntil.After(row.Now):
		wait := row.BlockedUntil.Sub(row.Now)
		return true, &Refused{Decision: Decision{RetryAfter: wait, Reset: wait}}
	}
	return true, nil
}

// Fail counts a failure of key, and blocks it once the run is long enough.
func (b *Backoff) Fail(ctx context.Context, key string) error {
	if b == nil {
		return nil
	}
	n, err := b.q.RecordLoginFailure(ctx, key)
	if err != nil || int(n) < b.after {
		return err
	}
	return b.q.BlockLogins(ctx, db.BlockLoginsParams{Key: key, DelaySeconds: delay(int(n) - b.after).Seconds()})
}

// Reset ends key's run of failures.
func (b *Backoff) Reset(ctx context.Context, key string) error {
	if b == nil {
		return nil
	}
	return b.q.DeleteLoginFailures(ctx, key)
}

// delay is the wait after the n-th failure past the allowed ones (from 0).
func delay(n int) time.Duration {
	d := float64(backoffBase) * math.Pow(2, float64(min(n, 30)))
	return time.Duration(min(d, float64(backoffCap)))
}

// Prune forgets runs of failures that stopped a day ago, in batches.
func (b *Backoff) Prune(ctx context.Context) (int64, error) {
	if b == nil {
		return 0, nil
	}
	return store.PruneInBatches(ctx, func(ctx context.Context, batch int32) (int64, error) {
		return b.q.DeleteStaleLoginFailures(ctx, db.DeleteStaleLoginFailuresParams{AgeSeconds: backoffForget.Seconds(), Batch: batch})
	})
}
