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

// RequestEmailChange starts a user's change of their own address, after
// their current password: a confirmation goes to the new address (or, when
// another account has it, a notice saying someone tried), and a notice to the
// old one. It answers the same whether or not the new address is taken: nil,
// ErrWrongPassword, FieldErrors, *ratelimit.Refused, auth.ErrOverloaded, ErrMailOff.
func (us *Service) RequestEmailChange(ctx context.Context, user, session uuid.UUID, newEmail, current string) error {
	if !us.mailOn() {
		return ErrMailOff
	}
	if _, err := auth.NormalizeEmail(newEmail); err != nil {
		return FieldErrors{{Field: "new_email", Reason: err.Error()}}
	}
	if err := us.slots.Admit(); err != nil {
		return err
	}
	if _, err := us.checkCurrent(ctx, user, current); err != nil {
		return err
	}
	return us.request(ctx, MailRequest{Purpose: db.EmailTokenPurposeChangeEmail, Email: newEmail, UserID: user, SessionID: session},
		audit.Event{Action: audit.UserEmailChangeRequested, Target: &user, Session: &session})
}

// sendEmailChange is the background part of RequestEmailChange.
func (us *Service) sendEmailChange(ctx context.Context, r MailRequest) error {
	u, err := us.q.GetUserByID(ctx, r.UserID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // deleted since
	}
	if err != nil {
		return err
	}
	other, taken, err := us.live(ctx, r.Email)
	if err != nil {
		return err
	}
	return store.InTx(ctx, us.pool, func(tx *store.Tx) error {
		switch {
		case taken && other.ID == u.ID:
			return nil // the address is already theirs
		case taken:
			if err := us.mailTo(ctx, tx, mail.KindEmailChangeTaken, other, other.Email, mail.Data{}); err != nil {
				return err
			}
		default:
			t, err := us.issueToken(ctx, tx, u.ID, db.EmailTokenPurposeChangeEmail, r.Email, changeLinkTTL, &r.SessionID, mail.PageConfirmEmailChange)
			if err != nil {
				return err
			}
			if err := us.mailTo(ctx, tx, mail.KindConfirmEmailChange, u, r.Email, t.mailData()); err != nil {
				return err
			}
		}
		return us.mailTo(ctx, tx, mail.KindEmailChangeNotice, u, u.Email, mail.Data{NewEmail: r.Email})
	})
}

// ConfirmEmailChange spends an email-change token (or the new address and
// its code): the address becomes the user's, verified, and every other
// session of the user ends (the one that asked stays). The session that asked
// must still be on: a change asked from a stolen session dies when the user
// ends it (a password change or reset, a logout everywhere, a disable). Its
// errors: ErrTokenInvalid, ErrEmailTaken (registered meanwhile), FieldErrors,
// ErrMailOff.
func (us *Service) ConfirmEmailChange(ctx context.Context, s Secret) (db.UserProfile, error) {
	var u db.UserProfile
	err := us.withToken(ctx, db.EmailTokenPurposeChangeEmail, s, func(tx *store.Tx, t db.EmailToken) error {
		old, err := lockUser(ctx, tx, t.UserID)
		if errors.Is(err, ErrNotFound) {
			return ErrTokenInvalid
		}
		if err != nil {
			return err
		}
		if t.SessionID == nil {
			return ErrTokenInvalid
		}
		on, err := us.sessions.StillOn(ctx, tx, t.UserID, *t.SessionID)
		if err != nil {
			return err
		}
		if !on {
			return ErrTokenInvalid
		}
		row, err := tx.UpdateUser(ctx, db.UpdateUserParams{ID: t.UserID, Email: &t.Email, EmailKey: &t.EmailKey, EmailVerified: true})
		if store.IsUniqueViolation(err, store.UniqueUsersEmailLive) {
			return ErrEmailTaken
		}
		if err != nil {
			return err
		}
		u = db.UserProfile(row)
		if err := us.sessions.EndAllTx(ctx, tx, u.ID, t.SessionID, sessions.ReasonEmailChanged); err != nil {
			return err
		}
		return audit.Record(ctx, tx.Queries, audit.Event{Action: audit.UserEmailChanged, Target: &u.ID,
			Details: map[string]any{"confirmed": true, "was_verified": old.EmailVerifiedAt != nil}})
	})
	return u, err
}
