// Package audit records who did what to which account, from where and when,
// in the transaction of the change itself: an event exists if and only if its
// change committed. The actor is the authenticated principal in the context;
// where the request came from is the Origin the HTTP layer put there.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/ctxval"
)

// Action is what happened: a stable dotted name, listed by the spec's
// AuditAction enum. An action is never renamed.
type Action string

// The actions.
const (
	UserRegistered           Action = "user.registered"
	UserCreatedByAdmin       Action = "user.created_by_admin"
	UserLoginSucceeded       Action = "user.login_succeeded"
	UserLoginFailed          Action = "user.login_failed"
	SessionRefreshReused     Action = "session.refresh_reused"
	SessionLoggedOut         Action = "session.logged_out"
	SessionRevoked           Action = "session.revoked"
	UserPasswordChanged      Action = "user.password_changed"
	UserPasswordResetByAdmin Action = "user.password_reset_by_admin"
	UserEmailChanged         Action = "user.email_changed"
	UserNameChanged          Action = "user.name_changed"
	UserRoleChanged          Action = "user.role_changed"
	UserDeleted              Action = "user.deleted"
	UserRestored             Action = "user.restored"
	UserDisabled             Action = "user.disabled"
	UserEnabled              Action = "user.enabled"
	UserEmailVerified        Action = "user.email_verified"
	UserPasswordReset        Action = "user.password_reset"
	UserEmailChangeRequested Action = "user.email_change_requested"
	MFAEnabled               Action = "mfa.enabled"
	MFADisabled              Action = "mfa.disabled"
	MFAVerified              Action = "mfa.verified"
	MFAVerifyFailed          Action = "mfa.verify_failed"
	MFARecoveryCodesReplaced Action = "mfa.recovery_codes_replaced"
	MFAResetByAdmin          Action = "mfa.reset_by_admin"
)

// Actions lists every action, in the order of the spec's enum.
var Actions = []Action{UserRegistered, UserCreatedByAdmin, UserLoginSucceeded, UserLoginFailed, SessionRefreshReused,
	SessionLoggedOut, SessionRevoked, UserPasswordChanged, UserPasswordResetByAdmin, UserEmailChanged, UserNameChanged,
	UserRoleChanged, UserDeleted, UserRestored, UserDisabled, UserEnabled,
	UserEmailVerified, UserPasswordReset, UserEmailChangeRequested,
	MFAEnabled, MFADisabled, MFAVerified, MFAVerifyFailed, MFARecoveryCodesReplaced, MFAResetByAdmin}

// maxUserAgent bounds the User-Agent kept with an event, in bytes.
const maxUserAgent = 512

// Origin is where a request came from.
type Origin struct {
	IP        netip.Addr
	UserAgent string
	RequestID string
}

type originKey struct{}

// WithOrigin returns ctx carrying o.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return ctxval.With[originKey](ctx, o)
}

// OriginFrom returns the origin in ctx: the zero Origin outside a request (the
// command line).
func OriginFrom(ctx context.Context) Origin {
	o, _ := ctxval.From[originKey, Origin](ctx)
	return o
}

// Event is one thing that happened to an account.
type Event struct {
	Action Action
	// Target is the user concerned; nil when there is none (a failed login of
	// an unknown address, whose address is not stored).
	Target *uuid.UUID
	// Session is the session concerned, if any.
	Session *uuid.UUID
	// Details is a small object: old and new role, the fields that changed.
	// Never the value of a secret.
	Details map[string]any
}

// Record writes e, with the actor and origin in ctx, through q: the queries of
// the caller's transaction, so that the event commits with its change.
func Record(ctx context.Context, q *db.Queries, e Event) error {
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	details := []byte("{}")
	if len(e.Details) > 0 {
		if details, err = json.Marshal(e.Details); err != nil {
			return fmt.Errorf("audit: details of %s: %w", e.Action, err)
		}
	}
	o := OriginFrom(ctx)
	arg := db.CreateAuditEventParams{
		ID: id, Action: string(e.Action), TargetID: e.Target, SessionID: e.Session,
		UserAgent: auth.HeaderText(o.UserAgent, maxUserAgent), RequestID: o.RequestID, Details: details,
	}
	if o.IP.IsValid() {
		arg.Ip = &o.IP
	}
	if p, ok := auth.PrincipalFrom(ctx); ok {
		role := db.UserRole(p.Role)
		arg.ActorID, arg.ActorRole = &p.UserID, &role
		if e.Session == nil && e.Target != nil && *e.Target == p.UserID {
			arg.SessionID = &p.SessionID
		}
	}
	if err := q.CreateAuditEvent(ctx, arg); err != nil {
		return fmt.Errorf("audit: recording %s: %w", e.Action, err)
	}
	return nil
}

// Ptr is a shorthand for the optional ids of an Event.
func Ptr(id uuid.UUID) *uuid.UUID { return &id }
