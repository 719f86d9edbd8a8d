// Package ratelimit limits how often a client may try something. Operations opt
// in through the spec (x-accounts-rate-limit: <scope>), and handlers never see a
// limiter: the server puts it in front of them.
package ratelimit

import (
	"context"
	"slices"
	"time"
)

// Scope names a limit: what is counted, and per what.
type Scope string

// The scopes. A spec extension that names any other one fails at start.
const (
	// ScopeAuth counts login and registration attempts per client IP.
	ScopeAuth Scope = "auth"
)

// Scopes lists every scope.
var Scopes = []Scope{ScopeAuth}

// Known reports whether s is one of Scopes.
func Known(s Scope) bool { return slices.Contains(Scopes, s) }

// Key is what one attempt is counted against: a scope, and the value within it
// (a client IP for ScopeAuth).
type Key struct {
	Scope Scope
	Value string
}

// Decision is a limiter's answer to one attempt.
type Decision struct {
	// Allowed is true when the attempt may go ahead; it has been counted.
	Allowed bool
	// RetryAfter is, when refused, how long until the next attempt is allowed.
	RetryAfter time.Duration
}

// Limiter decides whether an attempt may go ahead. An error means the limiter
// could not decide (a shared store is down, say); the caller treats it as an
// outage, not as a refusal.
type Limiter interface {
	Allow(ctx context.Context, key Key) (Decision, error)
}

// Rule allows Limit attempts per Per, in bursts of up to Limit.
type Rule struct {
	Limit int
	Per   time.Duration
}

// PerMinute is n attempts a minute.
func PerMinute(n int) Rule { return Rule{Limit: n, Per: time.Minute} }
