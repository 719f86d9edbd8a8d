package ratelimit

import "context"

// Tiered asks First, a cheap local limiter, then Then, the shared one: an
// attempt the replica already refuses costs no round trip to the database.
type Tiered struct{ First, Then Limiter }

// Allow is First's refusal, or Then's answer.
func (t Tiered) Allow(ctx context.Context, key Key) (Decision, error) {
	d, err := t.First.Allow(ctx, key)
	if err != nil || !d.Allowed {
		return d, err
	}
	return t.Then.Allow(ctx, key)
}
