package ratelimit

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/store"
)

// Shared is a GCRA bucket per key in PostgreSQL, one row each, so that every
// replica counts against the same limit. One attempt costs one statement. The
// rows of full buckets are deleted by Prune.
type Shared struct {
	q     *db.Queries
	rules map[Scope]Rule
}

// NewShared returns a limiter applying rules over pool.
func NewShared(pool *pgxpool.Pool, rules map[Scope]Rule) (*Shared, error) {
	if err := checkRules(rules); err != nil {
		return nil, err
	}
	return &Shared{q: db.New(pool), rules: rules}, nil
}

// Allow takes one attempt for key, or says how long until the next one.
func (s *Shared) Allow(ctx context.Context, key Key) (Decision, error) {
	return s.AllowIn(ctx, s.q, key)
}

// AllowIn is Allow with its statements run by q: in the caller's transaction,
// an attempt is counted only if that transaction commits, and the caller needs
// no second connection while it holds one.
func (s *Shared) AllowIn(ctx context.Context, q *db.Queries, key Key) (Decision, error) {
	rule, ok := s.rules[key.Scope]
	if !ok {
		return Decision{Allowed: true}, nil
	}
	taken, err := q.TakeRateLimit(ctx, db.TakeRateLimitParams{
		Key: key.String(), IntervalSeconds: rule.interval().Seconds(), SlackSeconds: (rule.Per - rule.interval()).Seconds(),
	})
	if err == nil {
		return rule.decision(true, taken.Tat, taken.Now), nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Decision{}, err
	}
	cur, err := q.GetRateLimit(ctx, key.String())
	if errors.Is(err, pgx.ErrNoRows) {
		// Pruned between the two statements: the bucket is full again.
		return s.AllowIn(ctx, q, key)
	}
	if err != nil {
		return Decision{}, err
	}
	return rule.decision(false, cur.Tat, cur.Now), nil
}

// Prune deletes the rows of full buckets (and failures of logins that stopped
// long ago, see Backoff), in batches, and returns how many.
func (s *Shared) Prune(ctx context.Context) (int64, error) {
	return store.PruneInBatches(ctx, s.q.DeleteFullRateLimits)
}
