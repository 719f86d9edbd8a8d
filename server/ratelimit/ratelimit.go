// Package ratelimit limits how often a client may try something. Operations opt
// in through the spec (x-accounts-rate-limit: <scope>), and handlers never see a
// limiter: the server puts it in front of them. Limits hold across replicas:
// the shared tier lives in PostgreSQL, behind a cheap in-memory tier; failed
// logins back off per account (Backoff).
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/meridianhq/accounts/gen/db"
)

// Scope names a limit: what is counted, and per what.
type Scope string

// The scopes. A spec extension that names any other one fails at start.
const (
	// ScopeAuth counts attempts at credentials (login, registration, password
	// change) per client: an IPv4 address or an IPv6 /64.
	ScopeAuth Scope = "auth"
	// ScopeMail counts requests to the email endpoints (verification, reset,
	// email change) per client IP.
	ScopeMail Scope = "mail"
	// ScopeMailAddress counts the mails of one purpose to one address (a hash
	// of it: the address itself is never stored).
	ScopeMailAddress Scope = "mail_address"
)

// Scopes lists every scope.
var Scopes = []Scope{ScopeAuth, ScopeMail, ScopeMailAddress}

// Known reports whether s is one of Scopes.
func Known(s Scope) bool { return slices.Contains(Scopes, s) }

// Key is what one attempt is counted against: a scope, and the value within it
// (ClientKey of the client IP for ScopeAuth).
type Key struct {
	Scope Scope
	Value string
}

func (k Key) String() string { return string(k.Scope) + ":" + k.Value }

// ClientKey is the value a client IP is counted under: an IPv4 address as it
// is (IPv4-mapped IPv6 unmapped), an IPv6 address by its /64, since one
// subscriber holds a whole /64 and would otherwise get 2^64 buckets.
func ClientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// Decision is a limiter's answer to one attempt, with what the RateLimit
// header fields say.
type Decision struct {
	// Allowed is true when the attempt may go ahead; it has been counted.
	Allowed bool
	// RetryAfter is, when refused, how long until the next attempt is allowed.
	RetryAfter time.Duration
	// Limit is the attempts a full window allows; 0 when the limiter has none
	// to tell (a backoff).
	Limit int
	// Remaining is how many more attempts would be allowed now.
	Remaining int
	// Reset is how long until the full limit is available again.
	Reset time.Duration
}

// Refused is an attempt a limiter refused, as an error a domain call returns.
type Refused struct{ Decision Decision }

func (r *Refused) Error() string {
	return fmt.Sprintf("ratelimit: refused; retry in %s", r.Decision.RetryAfter.Round(time.Second))
}

// Limiter decides whether an attempt may go ahead. An error means the limiter
// could not decide (a shared store is down, say); the caller treats it as an
// outage, not as a refusal.
type Limiter interface {
	Allow(ctx context.Context, key Key) (Decision, error)
}

// TxLimiter is a Limiter that can count an attempt in the caller's
// transaction (AllowIn with the transaction's queries), so that the attempt
// is counted only if the transaction commits.
type TxLimiter interface {
	Limiter
	AllowIn(ctx context.Context, q *db.Queries, key Key) (Decision, error)
}

// Rule allows Limit attempts per Per, in bursts of up to Limit.
type Rule struct {
	Limit int
	Per   time.Duration
}

// PerMinute is n attempts a minute.
func PerMinute(n int) Rule { return Rule{Limit: n, Per: time.Minute} }

// interval is the time one attempt uses up.
func (r Rule) interval() time.Duration { return r.Per / time.Duration(r.Limit) }

// gcra applies the generic cell rate algorithm: tat is the key's theoretical
// arrival time (the zero time for a new key). An attempt is allowed when, after
// it, the bucket is at most Per ahead of now; the answer carries the new tat.
func (r Rule) gcra(tat, now time.Time) (time.Time, Decision) {
	next := later(tat, now).Add(r.interval())
	if next.Sub(now) > r.Per {
		return tat, r.decision(false, tat, now)
	}
	return next, r.decision(true, next, now)
}

// decision describes the bucket whose theoretical arrival time is tat.
func (r Rule) decision(allowed bool, tat, now time.Time) Decision {
	d := Decision{Allowed: allowed, Limit: r.Limit, Reset: max(0, tat.Sub(now))}
	d.Remaining = max(0, int(math.Floor(float64(r.Per-tat.Sub(now))/float64(r.interval()))))
	if !allowed {
		d.RetryAfter = max(time.Millisecond, tat.Add(r.interval()).Sub(now.Add(r.Per)))
		d.Remaining = 0
	}
	return d
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
