package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

func cacheKey(i int) [32]byte { return sha256.Sum256(fmt.Appendf(nil, "token-%d", i)) }

// livePrincipal expires an hour after t0, so put always stores it.
func livePrincipal(i int) Principal {
	return Principal{UserID: uuid.New(), SessionID: uuid.New(), Role: RoleUser, ExpiresAt: t0.Add(time.Hour + time.Duration(i)*time.Second)}
}

func TestTokenCache_NeverExceedsSize(t *testing.T) {
	t.Parallel()
	for _, size := range []int{1, 2, 3, 10} {
		t.Run(fmt.Sprintf("Size%d", size), func(t *testing.T) {
			t.Parallel()
			c := newTokenCache(size)
			for i := range 3*size + 1 {
				c.put(cacheKey(i), livePrincipal(i), t0)
				if n := c.len(); n > size || n != min(i+1, size) {
					t.Fatalf("after %d puts len = %d; want %d", i+1, n, min(i+1, size))
				}
			}
			// The last size entries are the ones kept.
			for i := 2*size + 1; i <= 3*size; i++ {
				if _, ok := c.get(cacheKey(i)); !ok {
					t.Errorf("entry %d of the last %d is missing", i, size)
				}
			}
		})
	}
}

func TestTokenCache_EvictsOldestFirst(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		puts    []int
		present []int
		absent  []int
	}{
		{"NotFull", []int{1, 2}, []int{1, 2}, nil},
		{"Full", []int{1, 2, 3}, []int{1, 2, 3}, nil},
		{"OneOver", []int{1, 2, 3, 4}, []int{2, 3, 4}, []int{1}},
		{"TwoOver", []int{1, 2, 3, 4, 5}, []int{3, 4, 5}, []int{1, 2}},
		{"WrapsAround", []int{1, 2, 3, 4, 5, 6, 7}, []int{5, 6, 7}, []int{1, 2, 3, 4}},
		// Putting a cached token again does not refresh it or take a slot.
		{"RePutKeepsOrder", []int{1, 2, 3, 1, 4}, []int{2, 3, 4}, []int{1}},
		{"RePutNoDuplicate", []int{1, 1, 1, 2, 3}, []int{1, 2, 3}, nil},
		// An evicted token can come back, as the newest.
		{"EvictedComesBack", []int{1, 2, 3, 4, 1}, []int{3, 4, 1}, []int{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newTokenCache(3)
			for _, i := range tt.puts {
				c.put(cacheKey(i), livePrincipal(i), t0)
			}
			for _, i := range tt.present {
				if _, ok := c.get(cacheKey(i)); !ok {
					t.Errorf("entry %d evicted; want present", i)
				}
			}
			for _, i := range tt.absent {
				if _, ok := c.get(cacheKey(i)); ok {
					t.Errorf("entry %d present; want evicted", i)
				}
			}
			if n := c.len(); n != len(tt.present) {
				t.Errorf("len = %d; want %d", n, len(tt.present))
			}
		})
	}
}

func TestTokenCache_Put(t *testing.T) {
	t.Parallel()
	p := livePrincipal(0)
	tests := []struct {
		name   string
		size   int
		now    time.Time
		stored bool
	}{
		{"Live", 2, t0, true},
		{"OneNanoBeforeExp", 2, p.ExpiresAt.Add(-time.Nanosecond), true},
		{"AtExp", 2, p.ExpiresAt, false},
		{"AfterExp", 2, p.ExpiresAt.Add(time.Minute), false},
		{"Disabled", 0, t0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newTokenCache(tt.size)
			c.put(cacheKey(0), p, tt.now)
			got, ok := c.get(cacheKey(0))
			wantLen := 0
			if tt.stored {
				wantLen = 1
			}
			if ok != tt.stored || ok && !reflect.DeepEqual(got, p) || c.len() != wantLen {
				t.Errorf("get = %+v, %v (len %d); want stored=%v", got, ok, c.len(), tt.stored)
			}
		})
	}
}

// TestTokens_VerifyUsesCache proves Verify answers from the cache: a principal
// planted under the SHA-256 of a string that is no token at all comes back.
func TestTokens_VerifyUsesCache(t *testing.T) {
	t.Parallel()
	e := newTokenEnv(t, 4)
	planted := livePrincipal(0)
	e.tokens.cache.put(sha256.Sum256([]byte("planted")), planted, t0)
	if p, err := e.tokens.Verify("planted"); err != nil || !reflect.DeepEqual(p, planted) {
		t.Fatalf("Verify(planted) = %+v, %v; want the cached principal", p, err)
	}
	tok, user, _ := e.issue(t, RoleUser)
	if n := e.tokens.cache.len(); n != 1 {
		t.Fatalf("cache len before Verify = %d; want 1 (Issue must not cache)", n)
	}
	for range 3 {
		if p, err := e.tokens.Verify(tok); err != nil || p.UserID != user {
			t.Fatalf("Verify = %+v, %v", p, err)
		}
	}
	if n := e.tokens.cache.len(); n != 2 {
		t.Errorf("cache len after verifying one token 3 times = %d; want 2", n)
	}
}

// TestTokens_CachedTokenExpires verifies a token once (so it is cached), then
// moves the clock: a cached token must be refused exactly when an uncached one
// would be (TestTokens_Leeway).
func TestTokens_CachedTokenExpires(t *testing.T) {
	t.Parallel()
	exp := t0.Truncate(time.Second).Add(testTTL)
	tests := []struct {
		name string
		now  time.Time
		ok   bool
	}{
		{"BeforeExp", exp.Add(-time.Second), true},
		{"WithinLeeway", exp.Add(testLeeway - time.Nanosecond), true},
		// jwx refuses at exactly exp+leeway (!now.Before); the cache must agree.
		{"AtLeewayEnd", exp.Add(testLeeway), false},
		{"BeyondLeeway", exp.Add(testLeeway + time.Second), false},
		{"LongAfter", exp.Add(24 * time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTokenEnv(t, 4)
			tok, _, _ := e.issue(t, RoleUser)
			if _, err := e.tokens.Verify(tok); err != nil {
				t.Fatal(err)
			}
			if n := e.tokens.cache.len(); n != 1 {
				t.Fatalf("cache len = %d; want 1", n)
			}
			e.clock.Set(tt.now)
			_, err := e.tokens.Verify(tok)
			if tt.ok && err != nil || !tt.ok && !errors.Is(err, ErrInvalidToken) {
				t.Errorf("cached Verify at exp%+v = %v; want ok=%v", tt.now.Sub(exp), err, tt.ok)
			}
		})
	}
}

func TestTokens_CacheDisabled(t *testing.T) {
	t.Parallel()
	e := newTokenEnv(t, 0)
	tok, user, _ := e.issue(t, RoleUser)
	for range 2 {
		if p, err := e.tokens.Verify(tok); err != nil || p.UserID != user {
			t.Fatalf("Verify = %+v, %v", p, err)
		}
	}
	e.tokens.cache.put(sha256.Sum256([]byte("planted")), livePrincipal(0), t0)
	if n := e.tokens.cache.len(); n != 0 {
		t.Errorf("cache len = %d; want 0 with CacheSize 0", n)
	}
	if _, err := e.tokens.Verify("planted"); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("Verify(planted) = %v; want ErrInvalidToken (nothing is cached)", err)
	}
}

// TestTokens_VerifyConcurrent runs Verify from many goroutines over more tokens
// than the cache holds, for the race detector and the size bound.
func TestTokens_VerifyConcurrent(t *testing.T) {
	t.Parallel()
	const size, tokens, workers = 4, 12, 8
	e := newTokenEnv(t, size)
	toks := make([]string, tokens)
	users := make([]uuid.UUID, tokens)
	for i := range toks {
		toks[i], users[i], _ = e.issue(t, RoleUser)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range 3 * tokens {
				i := (w + r) % tokens
				if p, err := e.tokens.Verify(toks[i]); err != nil || p.UserID != users[i] {
					t.Errorf("Verify(token %d) = %+v, %v", i, p, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := e.tokens.cache.len(); n > size {
		t.Errorf("cache len = %d; want at most %d", n, size)
	}
}

// TestTokenCache_AllocatesAsUsed: the bound is not allocated up front; an idle
// replica with the largest cache costs almost nothing.
func TestTokenCache_AllocatesAsUsed(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c := newTokenCache(1_000_000)
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
		t.Fatalf("an empty cache of 1,000,000 took %d KiB at start; want under 64", grew>>10)
	}
	c.put([32]byte{1}, Principal{ExpiresAt: time.Now().Add(time.Minute)}, time.Now())
	if c.len() != 1 {
		t.Fatalf("len %d after one put", c.len())
	}
}
