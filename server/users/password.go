package users

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/audit"
	"github.com/meridianhq/accounts/server/sessions"
	"github.com/meridianhq/accounts/server/store"
)

// PasswordChange is a new password for a user.
type PasswordChange struct {
	New string
	// Current, when set, must be the user's password: a user changing their own.
	Current *string
	// Keep is a session that stays (the caller's own); nil: every session ends.
	Keep *uuid.UUID
}

// ChangePassword checks the current password when given and the new one
// against the policy, then stores the new hash and ends the user's sessions
// (but Keep) in one transaction. Its errors: ErrNotFound, ErrWrongPassword,
// *auth.WeakPasswordError, auth.ErrOverloaded, *ratelimit.Refused, or anything
// else for a failure.
func (us *Service) ChangePassword(ctx context.Context, id uuid.UUID, pc PasswordChange) error {
	if err := us.slots.Admit(); err != nil {
		return err
	}
	u, err := us.Get(ctx, id)
	if err != nil {
		return err
	}
	var verified *string // the hash the current password matched
	if pc.Current != nil {
		h, err := us.checkCurrent(ctx, id, *pc.Current)
		if err != nil {
			return err
		}
		verified = &h
	}
	if err := us.CheckPassword(ctx, pc.New, u.Email, u.Name); err != nil {
		return err
	}
	hash, err := us.hasher.Hash(ctx, pc.New)
	if err != nil {
		return err
	}
	return store.InTx(ctx, us.pool, func(tx *store.Tx) error {
		n, err := tx.SetPasswordHash(ctx, db.SetPasswordHashParams{ID: id, PasswordHash: hash, OldHash: verified})
		switch {
		case err != nil:
			return err
		case n == 0 && verified != nil:
			return ErrWrongPassword // changed (or the user deleted) since it was checked
		case n == 0:
			return ErrNotFound
		}
		if err := us.sessions.EndAllTx(ctx, tx, id, pc.Keep, sessions.ReasonPasswordChanged); err != nil {
			return err
		}
		action := audit.UserPasswordChanged
		if pc.Current == nil {
			action = audit.UserPasswordResetByAdmin
		}
		return audit.Record(ctx, tx.Queries, audit.Event{Action: action, Target: audit.Ptr(id)})
	})
}

// checkCurrent checks the current password under the account's backoff, and
// returns the hash it matched: a guess counts like a login attempt, and past
// the allowed failures the next guess waits (*ratelimit.Refused).
func (us *Service) checkCurrent(ctx context.Context, id uuid.UUID, password string) (string, error) {
	key := "password:" + id.String()
	if err := us.backoff.Take(ctx, key); err != nil {
		return "", err
	}
	hash, err := us.verifyCurrent(ctx, id, password)
	if err != nil {
		return "", err
	}
	return hash, us.backoff.Reset(ctx, key)
}

// verifyCurrent checks a user's current password and returns its hash; its
// errors: ErrWrongPassword, ErrNotFound.
func (us *Service) verifyCurrent(ctx context.Context, id uuid.UUID, password string) (string, error) {
	hash, err := us.q.GetPasswordHashByID(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", err
	}
	v, err := us.hasher.Verify(ctx, hash, password)
	switch {
	case err != nil:
		return "", err
	case !v.Match:
		return "", ErrWrongPassword
	}
	return hash, nil
}
