package ratelimit

import (
	"context"
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

// TestMemory_EvictsLeastRecentlyUsed fills the limiter to its bound: the key
// used longest ago goes, one at a time, and the others keep their state (a
// flood of new keys never resets everyone).
func TestMemory_EvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	m, err := NewMemory(map[Scope]Rule{ScopeAuth: PerMinute(1)}, c.now)
	if err != nil {
		t.Fatal(err)
	}
	m.max = 3
	key := func(v string) Key { return Key{ScopeAuth, v} }
	for _, v := range []string{"a", "b", "c"} {
		if d, _ := m.Allow(context.Background(), key(v)); !d.Allowed {
			t.Fatalf("first attempt of %s refused", v)
		}
	}
	// a is used again (and refused: its one attempt is spent), so b is now the
	// least recently used; d pushes it out.
	if d, _ := m.Allow(context.Background(), key("a")); d.Allowed {
		t.Fatal("a second attempt of a within the minute was allowed")
	}
	if d, _ := m.Allow(context.Background(), key("d")); !d.Allowed {
		t.Fatal("d refused")
	}
	if _, ok := m.keys[key("b")]; ok || len(m.keys) != 3 {
		t.Fatalf("keys %v; want b evicted and 3 left", m.keys)
	}
	if d, _ := m.Allow(context.Background(), key("a")); d.Allowed {
		t.Fatal("a lost its state when another key was evicted")
	}
}

func TestClientKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not an address", "not an address"},
	}
	for _, tt := range tests {
		if got := ClientKey(tt.in); got != tt.want {
			t.Errorf("ClientKey(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// TestGCRADecision checks the figures of the RateLimit header fields.
func TestGCRADecision(t *testing.T) {
	t.Parallel()
	r := Rule{Limit: 5, Per: time.Minute}
	now := time.Unix(1_700_000_000, 0)
	tat, d := r.gcra(time.Time{}, now)
	if !d.Allowed || d.Limit != 5 || d.Remaining != 4 || d.Reset != 12*time.Second {
		t.Fatalf("first attempt: %+v", d)
	}
	for range 4 {
		tat, d = r.gcra(tat, now)
	}
	if !d.Allowed || d.Remaining != 0 || d.Reset != time.Minute {
		t.Fatalf("fifth attempt: %+v", d)
	}
	if _, d = r.gcra(tat, now); d.Allowed || d.RetryAfter != 12*time.Second || d.Remaining != 0 {
		t.Fatalf("sixth attempt: %+v", d)
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	var err error = &Refused{Decision: Decision{RetryAfter: 1500 * time.Millisecond}}
	if err.Error() != "ratelimit: refused; retry in 2s" {
		t.Fatalf("Error() = %q", err.Error())
	}
	if (Key{ScopeAuth, "x"}).String() != "auth:x" {
		t.Fatal("Key.String")
	}
}
