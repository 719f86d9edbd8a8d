package auth

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/server/ctxval"
)

// Role is what a user may do.
type Role string

// The roles.
const (
	RoleUser  Role = "user"
	RoleAdmin Role = "admin"
)

// Principal is the authenticated caller, as its access token says.
type Principal struct {
	UserID    uuid.UUID
	SessionID uuid.UUID
	Role      Role
	// ExpiresAt is the token's exp.
	ExpiresAt time.Time
	// EmailVerified is the token's email_verified claim.
	EmailVerified bool
	// Assurance is the token's aal and amr.
	Assurance Assurance
	// MFARequired: the user has a second factor this session has not
	// verified; the token is good only for the operations allowed at aal1.
	MFARequired bool
}

// IsAdmin reports whether the caller is an admin.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return ctxval.With[principalKey](ctx, p)
}

// PrincipalFrom returns the principal in ctx, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	return ctxval.From[principalKey, Principal](ctx)
}

// ErrMFARequired is an operation that needs a session at aal2, refused to a
// caller whose user has a factor this session has not verified.
var ErrMFARequired = errors.New("auth: this needs a verified second factor")

// StepUp refuses p, with ErrMFARequired, unless its session is at aal2 or its
// user has no second factor.
func (p Principal) StepUp() error {
	if p.MFARequired {
		return ErrMFARequired
	}
	return nil
}
