package sessions

import (
	"context"

	"github.com/meridianhq/accounts/server/auth"
)

// Scope is which sessions of the caller a logout ends.
type Scope int

// The scopes of a logout.
const (
	// ScopeCurrent is the caller's own session.
	ScopeCurrent Scope = iota
	// ScopeOthers is every other session of the caller.
	ScopeOthers
	// ScopeAll is every session of the caller.
	ScopeAll
)

// Logout ends the sessions of scope for the caller p. Ending the others or
// all of them is a step-up operation: a password alone must not log the
// owner out everywhere, so a session whose user has a second factor it has
// not verified gets auth.ErrMFARequired.
func (s *Service) Logout(ctx context.Context, p auth.Principal, scope Scope) error {
	if scope == ScopeCurrent {
		_, err := s.End(ctx, p.UserID, p.SessionID, ReasonLogout)
		return err
	}
	if err := p.StepUp(); err != nil {
		return err
	}
	if scope == ScopeOthers {
		return s.EndAll(ctx, p.UserID, &p.SessionID, ReasonLogoutOthers)
	}
	return s.EndAll(ctx, p.UserID, nil, ReasonLogoutAll)
}
