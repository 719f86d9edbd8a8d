package ratelimit

import (
	"context"

	"github.com/meridianhq/accounts/gen/db"
)

// Tiered asks First, a cheap local limiter, then Then, the shared one: an
// attempt the replica already refuses costs no round trip to the database.
type Tiered struct {
	First Limiter
	Then  TxLimiter
}

// Allow is First's refusal, or Then's answer.
func (t Tiered) Allow(ctx context.Context, key Key) (Decision, error) {
	if d, err := t.First.Allow(ctx, key); err != nil || !d.Allowed {
		return d, err
	}
	return t.Then.Allow(ctx, key)
}

// AllowIn is First's refusal, or Then's answer with its statements run by q.
func (t Tiered) AllowIn(ctx context.Context, q *db.Queries, key Key) (Decision, error) {
	if d, err := t.First.Allow(ctx, key); err != nil || !d.Allowed {
		return d, err
	}
	return t.Then.AllowIn(ctx, q, key)
}
