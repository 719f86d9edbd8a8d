package users

import (
	"context"
	"fmt"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/audit"
	"github.com/meridianhq/accounts/server/mail"
	"github.com/meridianhq/accounts/server/sessions"
	"github.com/meridianhq/accounts/server/store"
)

// sendReset is the background part of RequestPasswordReset: a reset mail to
// the account of email, when there is one.
func (us *Service) sendReset(ctx context.Context, email string) error {
	u, ok, err := us.live(ctx, email)
	if err != nil || !ok {
		return err
	}
	return store.InTx(ctx, us.pool, func(tx *store.Tx) error {
		t, err := us.issueToken(ctx, tx, u.ID, db.EmailTokenPurposeResetPassword, u.Email, resetTTL, nil, mail.PageResetPassword)
		if err != nil {
			return err
		}
		return us.mailTo(ctx, tx, mail.KindResetPassword, u, u.Email, t.mailData())
	})
}

// ResetPassword spends a reset token (or address and code) and sets the new
// password, in one transaction with what follows: the address counts as
// verified, every session of the user ends, and a notice goes to the address.
// Its errors: ErrTokenInvalid, *auth.WeakPasswordError, FieldErrors,
// auth.ErrOverloaded, ErrMailOff.
//
// The password is checked and hashed after the token is found and before the
// transaction that spends it, not inside: hashing waits for a CPU slot, and
// must not hold a connection and the token's and the user's locks meanwhile.
func (us *Service) ResetPassword(ctx context.Context, s Secret, password string) error {
	if err := us.slots.Admit(); err != nil {
		return err
	}
	owner, err := us.tokenOwner(ctx, db.EmailTokenPurposeResetPassword, s)
	if err != nil {
		return err
	}
	if err := us.CheckPassword(ctx, password, owner.Email, owner.Name); err != nil {
		return err
	}
	hash, err := us.hasher.Hash(ctx, password)
	if err != nil {
		return fmt.Errorf("hashing: %w", err)
	}
	return us.withToken(ctx, db.EmailTokenPurposeResetPassword, s, func(tx *store.Tx, t db.EmailToken) error {
		u, err := tokenUser(ctx, tx, t)
		switch {
		case err != nil:
			return err
		case u.ID != owner.ID: // the address moved to another account meanwhile
			return ErrTokenInvalid
		}
		if _, err := tx.SetPasswordHash(ctx, db.SetPasswordHashParams{ID: u.ID, PasswordHash: hash}); err != nil {
			return err
		}
		if _, err := tx.MarkEmailVerified(ctx, u.ID); err != nil {
			return err
		}
		if err := us.sessions.EndAllTx(ctx, tx, u.ID, nil, sessions.ReasonPasswordReset); err != nil {
			return err
		}
		if err := us.mailTo(ctx, tx, mail.KindPasswordChanged, u, u.Email, mail.Data{}); err != nil {
			return err
		}
		return audit.Record(ctx, tx.Queries, audit.Event{Action: audit.UserPasswordReset, Target: &u.ID})
	})
}
