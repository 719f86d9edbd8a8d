package ratelimit

import (
	"context"
	"errors"
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

// Take counts an attempt of key as a failure before it is made, so that
// attempts made at once see each other: from the After-th failure on, each
// attempt blocks the next for the delay its own failure earns, in the same
// statement, and concurrent guesses cannot all go through. An attempt that
// must wait is refused with a *Refused, and not counted. The caller Resets the
// run when the attempt succeeds (or proves the secret right); a failure needs
// nothing more. A nil Backoff allows everything.
func (b *Backoff) Take(ctx context.Context, key string) error {
	if b == nil {
		return nil
	}
	_, err := b.q.TakeLoginAttempt(ctx, db.TakeLoginAttemptParams{
		Key: key, After: int32(b.after), BaseSeconds: backoffBase.Seconds(), CapSeconds: backoffCap.Seconds(),
	})
	if !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	row, err := b.q.GetLoginFailures(ctx, key)
	switch {
	case errors.Is(err, pgx.ErrNoRows): // the run ended meanwhile
		return b.Take(ctx, key)
	case err != nil:
		return err
	}
	wait := time.Second
	if row.BlockedUntil != nil {
		wait = max(row.BlockedUntil.Sub(row.Now), time.Millisecond)
	}
	return &Refused{Decision: Decision{RetryAfter: wait, Reset: wait}}
}

// Reset ends key's run of failures.
func (b *Backoff) Reset(ctx context.Context, key string) error {
	if b == nil {
		return nil
	}
	return b.ResetIn(ctx, b.q, key)
}

// ResetIn is Reset with its statement run by q: in the transaction of the
// change that the attempt made, the run ends if and only if it commits.
func (b *Backoff) ResetIn(ctx context.Context, q *db.Queries, key string) error {
	if b == nil {
		return nil
	}
	return q.DeleteLoginFailures(ctx, key)
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
