package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// clock is a settable clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// step advances the clock, then tries key: it wants allowed, and when refused a
// RetryAfter of at most wantWait.
type step struct {
	advance  time.Duration
	key      Key
	allowed  bool
	wantWait time.Duration
}

func TestMemory_Allow(t *testing.T) {
	t.Parallel()
	ip := func(v string) Key { return Key{Scope: ScopeAuth, Value: v} }
	tests := []struct {
		name  string
		steps []step
	}{
		{"BurstThenRefused", []step{
			{0, ip("a"), true, 0}, {0, ip("a"), true, 0}, {0, ip("a"), true, 0},
			{0, ip("a"), false, 20 * time.Second},
		}},
		{"KeysAreSeparate", []step{
			{0, ip("a"), true, 0}, {0, ip("a"), true, 0}, {0, ip("a"), true, 0},
			{0, ip("b"), true, 0},
		}},
		{"RefillsOverTime", []step{
			{0, ip("a"), true, 0}, {0, ip("a"), true, 0}, {0, ip("a"), true, 0},
			{10 * time.Second, ip("a"), false, 10 * time.Second},
			{10 * time.Second, ip("a"), true, 0},
			{0, ip("a"), false, 20 * time.Second},
		}},
		{"RefusalCostsNothing", []step{
			{0, ip("a"), true, 0}, {0, ip("a"), true, 0}, {0, ip("a"), true, 0},
			{0, ip("a"), false, 20 * time.Second}, {0, ip("a"), false, 20 * time.Second},
			{20 * time.Second, ip("a"), true, 0},
		}},
		{"ScopeWithoutRuleIsNotLimited", []step{
			{0, Key{Scope: "other", Value: "a"}, true, 0}, {0, Key{Scope: "other", Value: "a"}, true, 0},
			{0, Key{Scope: "other", Value: "a"}, true, 0}, {0, Key{Scope: "other", Value: "a"}, true, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &clock{t: time.Unix(1_700_000_000, 0)}
			m, err := NewMemory(map[Scope]Rule{ScopeAuth: PerMinute(3)}, c.now)
			if err != nil {
				t.Fatal(err)
			}
			for i, st := range tt.steps {
				c.t = c.t.Add(st.advance)
				d, err := m.Allow(context.Background(), st.key)
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if d.Allowed != st.allowed {
					t.Fatalf("step %d: allowed = %v; want %v", i, d.Allowed, st.allowed)
				}
				if !d.Allowed && (d.RetryAfter <= 0 || d.RetryAfter > st.wantWait) {
					t.Fatalf("step %d: RetryAfter = %s; want in (0, %s]", i, d.RetryAfter, st.wantWait)
				}
			}
		})
	}
}

func TestNewMemory_Rejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		rules map[Scope]Rule
	}{
		{"UnknownScope", map[Scope]Rule{"nope": PerMinute(3)}},
		{"ZeroLimit", map[Scope]Rule{ScopeAuth: {Limit: 0, Per: time.Minute}}},
		{"ZeroPeriod", map[Scope]Rule{ScopeAuth: {Limit: 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewMemory(tt.rules, time.Now); err == nil {
				t.Fatal("NewMemory: want an error")
			}
		})
	}
}

func TestKnown(t *testing.T) {
	t.Parallel()
	for _, s := range Scopes {
		if !Known(s) {
			t.Errorf("Known(%q) = false", s)
		}
	}
	if Known("nope") {
		t.Error(`Known("nope") = true`)
	}
}

// TestMemory_ForgetsIdleKeys fills the limiter to its bound: idle keys go first,
// and when every key is recent the limiter starts over rather than grow.
func TestMemory_ForgetsIdleKeys(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m, err := NewMemory(map[Scope]Rule{ScopeAuth: PerMinute(1)}, c.now)
	if err != nil {
		t.Fatal(err)
	}
	m.buckets[Key{ScopeAuth, "old"}] = &bucket{seen: c.t.Add(-memoryIdle - time.Second)}
	m.buckets[Key{ScopeAuth, "recent"}] = &bucket{seen: c.t}
	m.forgetIdle(c.t)
	if _, ok := m.buckets[Key{ScopeAuth, "old"}]; ok {
		t.Error("an idle key was kept")
	}
	if _, ok := m.buckets[Key{ScopeAuth, "recent"}]; !ok {
		t.Error("a recent key was dropped while under the bound")
	}
	for i := range memoryMax {
		m.buckets[Key{ScopeAuth, strconv.Itoa(i)}] = &bucket{seen: c.t}
	}
	m.forgetIdle(c.t)
	if len(m.buckets) != 0 {
		t.Errorf("%d keys left at the bound; want a fresh start", len(m.buckets))
	}
}
