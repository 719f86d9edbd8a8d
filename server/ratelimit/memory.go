package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

const (
	// memoryIdle is how long an idle key's bucket is kept.
	memoryIdle = 10 * time.Minute
	// memoryMax bounds how many keys are tracked; past it, idle ones go.
	memoryMax = 100_000
)

// Memory is a token bucket per key, in this process's memory: it holds for one
// replica only. A scope without a rule is not limited.
type Memory struct {
	rules map[Scope]Rule
	now   func() time.Time

	mu      sync.Mutex
	buckets map[Key]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewMemory returns a limiter applying rules, on the clock now.
func NewMemory(rules map[Scope]Rule, now func() time.Time) (*Memory, error) {
	for s, r := range rules {
		if !Known(s) {
			return nil, fmt.Errorf("ratelimit: unknown scope %q", s)
		}
		if r.Limit <= 0 || r.Per <= 0 {
			return nil, fmt.Errorf("ratelimit: scope %q: the limit and its period must be positive", s)
		}
	}
	return &Memory{rules: rules, now: now, buckets: map[Key]*bucket{}}, nil
}

// Allow takes one attempt for key, or says how long until the next one.
func (m *Memory) Allow(_ context.Context, key Key) (Decision, error) {
	rule, ok := m.rules[key.Scope]
	if !ok {
		return Decision{Allowed: true}, nil
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.buckets[key]
	if !ok {
		if len(m.buckets) >= memoryMax {
			m.forgetIdle(now)
		}
		b = &bucket{lim: rate.NewLimiter(rate.Every(rule.Per/time.Duration(rule.Limit)), rule.Limit)}
		m.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return Decision{RetryAfter: d}, nil
	}
	return Decision{Allowed: true}, nil
}

// forgetIdle drops the buckets of keys not seen for a while; if every key is
// recent, it starts over rather than grow without bound.
func (m *Memory) forgetIdle(now time.Time) {
	for k, b := range m.buckets {
		if now.Sub(b.seen) > memoryIdle {
			delete(m.buckets, k)
		}
	}
	if len(m.buckets) >= memoryMax {
		clear(m.buckets)
	}
}
