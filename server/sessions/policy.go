// Package sessions owns login sessions and their tokens: the session policy,
// starting a session, rotating its refresh token, ending sessions (with the
// reason on record), this replica's set of revoked sessions, and pruning.
//
// Ending a session takes two steps: revoking it in the database and adding it to
// the revoked set that the bearer check reads. This package does both, the second
// after the transaction commits, so no caller pairs them by hand.
package sessions

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Policy sets how long sessions and their refresh tokens live.
type Policy struct {
	// Lifetime is a session's absolute lifetime, from login.
	Lifetime time.Duration
	// IdleTimeout ends a session not refreshed for this long.
	IdleTimeout time.Duration
	// ReuseLeeway lets a client that raced two refreshes of one token within
	// this long get a second new pair instead of losing the session. 0: none.
	ReuseLeeway time.Duration
	// Retention is how long ended sessions are kept before they are pruned.
	Retention time.Duration
}

// check reports what is wrong with p, given that an access token verifies for
// tokenValidFor after it was issued.
func (p Policy) check(tokenValidFor time.Duration) error {
	switch {
	case p.Lifetime <= 0 || p.IdleTimeout <= 0 || p.ReuseLeeway < 0:
		return errors.New("sessions: the lifetime and idle timeout must be positive, the reuse leeway not negative")
	case p.IdleTimeout > p.Lifetime:
		return fmt.Errorf("sessions: the idle timeout %s is longer than the lifetime %s", p.IdleTimeout, p.Lifetime)
	case p.Retention < MinRetention(tokenValidFor):
		return &RetentionError{Retention: p.Retention, Min: MinRetention(tokenValidFor)}
	}
	return nil
}

// MinRetention is the shortest retention that keeps every revocation readable
// while a token of the session may still verify: a replica that starts later
// loads the revocations of that window (and a margin) from the database, and a
// revocation pruned before then is never learnt, so its token is accepted.
func MinRetention(tokenValidFor time.Duration) time.Duration {
	return tokenValidFor + pollOverlap
}

// RetentionError is a retention shorter than MinRetention.
type RetentionError struct{ Retention, Min time.Duration }

func (e *RetentionError) Error() string {
	return fmt.Sprintf("sessions: a retention of %s is shorter than the %s a revocation must be kept (the access-token lifetime, its leeway and %s)",
		e.Retention, e.Min, pollOverlap)
}

// Client is who starts a session, as the HTTP layer saw them.
type Client struct {
	// IP is the client's address; the zero Addr when unknown.
	IP netip.Addr
	// UserAgent is the User-Agent header, cut to maxUserAgent bytes when stored.
	UserAgent string
}

// Reason says why a session ended; it is stored with the session.
type Reason string

// The reasons a session ends.
const (
	ReasonLogout          Reason = "logout"
	ReasonLogoutOthers    Reason = "logout_others"
	ReasonLogoutAll       Reason = "logout_all"
	ReasonSessionDeleted  Reason = "session_deleted"
	ReasonRefreshReused   Reason = "refresh_token_reused"
	ReasonPasswordChanged Reason = "password_changed"
	ReasonRoleChanged     Reason = "role_changed"
	ReasonUserDeleted     Reason = "user_deleted"
	ReasonUserDisabled    Reason = "user_disabled"
	ReasonPasswordReset   Reason = "password_reset"
	ReasonEmailChanged    Reason = "email_changed"
	ReasonMFAEnabled      Reason = "mfa_enabled"
	ReasonMFAReset        Reason = "mfa_reset"
)
