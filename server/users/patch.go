package users

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/audit"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/mail"
	"github.com/meridianhq/accounts/server/sessions"
	"github.com/meridianhq/accounts/server/store"
)

// Patch is a merge patch of a user: a nil member stays as it is.
type Patch struct {
	Email, Name *string
	Role        *auth.Role
	// Disabled true disables the account (its sessions end), false enables it.
	Disabled *bool
}

// VersionCheck reports whether a change may apply to the user at version (the
// caller's If-Match, say). Nil: any version.
type VersionCheck func(version int64) bool

// Update applies a patch in one transaction: the version check, the last-admin
// guard, the update, the end of the user's sessions when the role changed or
// the account was disabled, and the audit events of what changed. Its errors:
// FieldErrors, ErrNotFound, ErrPreconditionFailed, ErrLastAdmin, ErrEmailTaken,
// or anything else for a failure.
//
// While the email flows are on, a user's change of their own address goes
// through RequestEmailChange (ErrEmailChangeNeedsConfirmation here); an
// admin's change of someone else's stays immediate, with a notice to the old
// address.
func (us *Service) Update(ctx context.Context, id uuid.UUID, p Patch, check VersionCheck) (db.UserProfile, error) {
	change, err := normalizePatch(p)
	if err != nil {
		return db.UserProfile{}, err
	}
	change.ID = id
	var out db.UserProfile
	err = store.InTx(ctx, us.pool, func(tx *store.Tx) (err error) {
		out, err = us.update(ctx, tx, change, check)
		return err
	})
	if store.IsUniqueViolation(err, store.UniqueUsersEmailLive) {
		return db.UserProfile{}, ErrEmailTaken
	}
	return out, err
}

// normalizePatch checks the members of a patch the schema cannot check.
func normalizePatch(p Patch) (db.UpdateUserParams, error) {
	var change db.UpdateUserParams
	var fields FieldErrors
	if p.Email != nil {
		email := fields.check("email", *p.Email, auth.NormalizeEmail)
		key := auth.EmailKey(email)
		change.Email, change.EmailKey = &email, &key
	}
	if p.Name != nil {
		name := fields.check("name", *p.Name, auth.CheckName)
		change.Name = &name
	}
	if p.Role != nil {
		role := db.UserRole(*p.Role)
		change.Role = &role
	}
	change.Disabled = p.Disabled
	return change, fields.err()
}

func (us *Service) update(ctx context.Context, tx *store.Tx, change db.UpdateUserParams, check VersionCheck) (db.UserProfile, error) {
	if change.Role != nil || change.Disabled != nil {
		if err := tx.LockAdminChanges(ctx); err != nil {
			return db.UserProfile{}, err
		}
	}
	cur, err := lockUser(ctx, tx, change.ID)
	if err != nil {
		return db.UserProfile{}, err
	}
	if check != nil && !check(cur.Version) {
		return db.UserProfile{}, ErrPreconditionFailed
	}
	if change.EmailKey != nil && *change.EmailKey != cur.EmailKey && us.selfService(ctx, cur.ID) {
		return db.UserProfile{}, ErrEmailChangeNeedsConfirmation
	}
	roleChanged := change.Role != nil && *change.Role != cur.Role
	disabling := change.Disabled != nil && *change.Disabled && cur.DisabledAt == nil
	if isEnabledAdmin(cur) && (roleChanged || disabling) {
		if err := lastAdminGuard(ctx, tx); err != nil {
			return db.UserProfile{}, err
		}
	}
	row, err := tx.UpdateUser(ctx, change)
	if err != nil {
		return db.UserProfile{}, err
	}
	if roleChanged || disabling {
		reason := sessions.ReasonRoleChanged
		if disabling {
			reason = sessions.ReasonUserDisabled
		}
		if err := us.sessions.EndAllTx(ctx, tx, change.ID, nil, reason); err != nil {
			return db.UserProfile{}, err
		}
	}
	if cur.EmailKey != row.EmailKey && us.mailOn() {
		if err := us.adminChangedEmail(ctx, tx, cur, db.UserProfile(row)); err != nil {
			return db.UserProfile{}, err
		}
	}
	for _, e := range changes(cur, db.UserProfile(row)) {
		if err := audit.Record(ctx, tx.Queries, e); err != nil {
			return db.UserProfile{}, err
		}
	}
	return db.UserProfile(row), nil
}

// adminChangedEmail tells the old address of an admin's change of it, and
// sends the new one its verification mail.
func (us *Service) adminChangedEmail(ctx context.Context, tx *store.Tx, before, after db.UserProfile) error {
	if err := us.mailTo(ctx, tx, mail.KindEmailChangedByAdmin, before, before.Email, mail.Data{NewEmail: after.Email}); err != nil {
		return err
	}
	return us.verifyInTx(ctx, tx, after)
}

// changes are the events of a patch: one per kind of change made.
func changes(before, after db.UserProfile) []audit.Event {
	var out []audit.Event
	target := audit.Ptr(after.ID)
	if before.EmailKey != after.EmailKey {
		out = append(out, audit.Event{Action: audit.UserEmailChanged, Target: target})
	}
	if before.Name != after.Name {
		out = append(out, audit.Event{Action: audit.UserNameChanged, Target: target})
	}
	if before.Role != after.Role {
		out = append(out, audit.Event{Action: audit.UserRoleChanged, Target: target,
			Details: map[string]any{"old_role": string(before.Role), "new_role": string(after.Role)}})
	}
	switch {
	case before.DisabledAt == nil && after.DisabledAt != nil:
		out = append(out, audit.Event{Action: audit.UserDisabled, Target: target})
	case before.DisabledAt != nil && after.DisabledAt == nil:
		out = append(out, audit.Event{Action: audit.UserEnabled, Target: target})
	}
	return out
}

// selfService reports whether the caller is user and the email flows are on:
// a change of their own address must then be confirmed from the new one.
func (us *Service) selfService(ctx context.Context, user uuid.UUID) bool {
	p, ok := auth.PrincipalFrom(ctx)
	return ok && p.UserID == user && us.mailOn()
}

// lockUser reads a live user and locks its row for the rest of tx.
func lockUser(ctx context.Context, tx *store.Tx, id uuid.UUID) (db.UserProfile, error) {
	u, err := tx.GetUserForUpdate(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return db.UserProfile{}, ErrNotFound
	}
	return u, err
}

// isEnabledAdmin reports whether u is an admin who can act: one who counts
// towards the last admin, and whose demotion, deletion or disabling is guarded.
func isEnabledAdmin(u db.UserProfile) bool {
	return u.Role == db.UserRoleAdmin && u.DisabledAt == nil
}

// lastAdminGuard refuses to remove the only live, enabled admin: a disabled
// admin cannot log in to enable anyone. The caller holds the admin-changes
// lock, so the count cannot change under it.
func lastAdminGuard(ctx context.Context, tx *store.Tx) error {
	n, err := tx.CountEnabledAdmins(ctx)
	switch {
	case err != nil:
		return err
	case n <= 1:
		return ErrLastAdmin
	}
	return nil
}
