package server_test

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/testdb"
)

// behindProxy makes loopback a trusted proxy, so tests choose the client IP.
func behindProxy(o *servertest.Options) {
	o.Config.HTTP.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
}

// attempt sends a wrong-password login for email from ip.
func attempt(t *testing.T, e *servertest.Env, ip, email string) *http.Response {
	t.Helper()
	res, _ := e.Do(t, http.MethodPost, "/api/v1/auth/login",
		strings.NewReader(`{"email":"`+email+`","password":"not the password"}`),
		http.Header{"Content-Type": {"application/json"}, "X-Forwarded-For": {ip}})
	return res
}

// TestAttemptLimitHoldsAcrossReplicas spreads attempts from one client round
// robin over three replicas on one database: together they accept the limit,
// not three times it.
func TestAttemptLimitHoldsAcrossReplicas(t *testing.T) {
	t.Parallel()
	const limit, sent = 10, 60
	pool, url := testdb.NewPool(t)
	var replicas []*servertest.Env
	for range 3 {
		replicas = append(replicas, servertest.New(t, servertest.OnDatabase(pool, url), behindProxy, func(o *servertest.Options) {
			o.Config.AuthAttemptsPerMinute = limit
		}))
	}
	accepted := 0
	for i := range sent {
		if attempt(t, replicas[i%3], "203.0.113.9", servertest.UniqueEmail("x")).StatusCode != 429 {
			accepted++
		}
	}
	t.Logf("3 replicas accepted %d of %d attempts at a limit of %d a minute", accepted, sent, limit)
	// One token may refill while the attempts run (one every 6 s).
	if accepted > limit+1 {
		t.Fatalf("3 replicas accepted %d of %d attempts; the limit is %d a minute", accepted, sent, limit)
	}
	if accepted < limit {
		t.Fatalf("accepted %d; want the %d the limit allows", accepted, limit)
	}
}

// TestAttemptLimitKeysIPv6By64 counts every address of one IPv6 /64 as one
// client: an attacker holds the whole /64.
func TestAttemptLimitKeysIPv6By64(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, behindProxy, func(o *servertest.Options) { o.Config.AuthAttemptsPerMinute = 3 })
	for i := range 3 {
		if res := attempt(t, e, "2001:db8:1:2::"+strconv.Itoa(i+1), servertest.UniqueEmail("x")); res.StatusCode == 429 {
			t.Fatalf("attempt %d refused early", i+1)
		}
	}
	if res := attempt(t, e, "2001:db8:1:2:ffff::9", servertest.UniqueEmail("x")); res.StatusCode != 429 {
		t.Fatalf("another address of the same /64: %d; want 429", res.StatusCode)
	}
	if res := attempt(t, e, "2001:db8:1:3::1", servertest.UniqueEmail("x")); res.StatusCode == 429 {
		t.Fatal("the next /64 shares the bucket")
	}
}

// TestAccountBackoff fails logins for one address from many clients: after the
// allowed failures, the address is refused with 429 and Retry-After, whatever
// the client, the same for an address with an account and one without; a
// success resets the count.
func TestAccountBackoff(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, behindProxy, func(o *servertest.Options) { o.Config.AccountFailuresBeforeBackoff = 3 })
	u := e.NewUser(t)
	for _, email := range []string{u.Email, "nobody-here@example.com"} {
		for i := range 3 {
			if res := attempt(t, e, "198.51.100."+strconv.Itoa(i+1), email); res.StatusCode != 401 {
				t.Fatalf("%s failure %d: %d; want 401", email, i+1, res.StatusCode)
			}
		}
		res := attempt(t, e, "192.0.2.77", email)
		secs, _ := strconv.Atoi(res.Header.Get("Retry-After"))
		if res.StatusCode != 429 || secs < 1 {
			t.Fatalf("%s after 3 failures, from a new client: %d Retry-After %q; want 429", email, res.StatusCode, res.Header.Get("Retry-After"))
		}
	}
	// Another account is not affected.
	other := e.NewUser(t)
	if res := attempt(t, e, "192.0.2.77", other.Email); res.StatusCode != 401 {
		t.Fatalf("another account: %d", res.StatusCode)
	}
	// A success resets: three more failures are allowed again.
	e.Login(t, other.Email, other.Password)
	for i := range 3 {
		if res := attempt(t, e, "192.0.2.78", other.Email); res.StatusCode != 401 {
			t.Fatalf("failure %d after a success: %d", i+1, res.StatusCode)
		}
	}
}

// TestAccountBackoffInParallel: guesses at one address sent at the same time,
// from as many clients, are counted against each other before any is
// checked: the allowed 3 get an answer, the rest wait (429).
func TestAccountBackoffInParallel(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, behindProxy, func(o *servertest.Options) { o.Config.AccountFailuresBeforeBackoff = 3 })
	u := e.NewUser(t)
	const guesses = 20
	statuses := make([]int, guesses)
	var wg sync.WaitGroup
	for i := range guesses {
		wg.Go(func() { statuses[i] = attempt(t, e, "198.51.100."+strconv.Itoa(i+1), u.Email).StatusCode })
	}
	wg.Wait()
	count := map[int]int{}
	for _, st := range statuses {
		count[st]++
	}
	if count[401] != 3 || count[429] != guesses-3 {
		t.Fatalf("answers to %d parallel guesses: %v; want 3 × 401 and the rest 429", guesses, count)
	}
}

// TestWrongCurrentPasswordIsLimited: guesses at the current password of a
// password change are limited per user like logins.
func TestWrongCurrentPasswordIsLimited(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, behindProxy, func(o *servertest.Options) { o.Config.AccountFailuresBeforeBackoff = 3 })
	u := e.NewUser(t)
	guess := func() *http.Response {
		res, _ := e.Call(t, http.MethodPut, userPath(u)+"/password", u.Tokens.AccessToken,
			`{"current_password":"a wrong guess","new_password":"purple monkey dishwasher lamp"}`)
		return res
	}
	for i := range 3 {
		if res := guess(); res.StatusCode != 401 {
			t.Fatalf("guess %d: %d; want 401", i+1, res.StatusCode)
		}
	}
	if res := guess(); res.StatusCode != 429 || res.Header.Get("Retry-After") == "" {
		t.Fatalf("the 4th guess: %d; want 429 with Retry-After", res.StatusCode)
	}
}

// TestRateLimitHeaders: a limited operation says its limit, what is left and
// when it resets (the IETF RateLimit header fields).
func TestRateLimitHeaders(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, behindProxy, func(o *servertest.Options) { o.Config.AuthAttemptsPerMinute = 5 })
	res := attempt(t, e, "203.0.113.50", servertest.UniqueEmail("x"))
	if res.Header.Get("RateLimit-Limit") != "5" || res.Header.Get("RateLimit-Remaining") != "4" || res.Header.Get("RateLimit-Reset") == "" {
		t.Fatalf("headers %v", res.Header)
	}
	for range 4 {
		attempt(t, e, "203.0.113.50", servertest.UniqueEmail("x"))
	}
	res = attempt(t, e, "203.0.113.50", servertest.UniqueEmail("x"))
	if res.StatusCode != 429 || res.Header.Get("RateLimit-Remaining") != "0" {
		t.Fatalf("refused: %d %v", res.StatusCode, res.Header)
	}
	_ = api.CodeRateLimited
}
