package users

import (
	"context"
	"fmt"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/audit"
	"github.com/meridianhq/accounts/server/mail"
	"github.com/meridianhq/accounts/server/store"
)

// verifies reports whether new users are sent a verification mail.
func (us *Service) verifies() bool { return us.mailOn() && us.mail.Verification != VerificationOff }

// verifyInTx puts the verification mail of u into tx when addresses are
// verified, within the address's budget: a registration's mail commits with
// the account.
func (us *Service) verifyInTx(ctx context.Context, tx *store.Tx, u db.UserProfile) error {
	if !us.verifies() {
		return nil
	}
	if ok, err := us.withinBudget(ctx, tx, db.EmailTokenPurposeVerifyEmail, u.Email); err != nil || !ok {
		return err
	}
	return us.verificationMail(ctx, tx, u)
}

// verificationMail puts the verification mail of u into tx.
func (us *Service) verificationMail(ctx context.Context, tx *store.Tx, u db.UserProfile) error {
	t, err := us.issueToken(ctx, tx, u.ID, db.EmailTokenPurposeVerifyEmail, u.Email, verifyLinkTTL, nil, mail.PageVerifyEmail)
	if err != nil {
		return err
	}
	return us.mailTo(ctx, tx, mail.KindVerifyEmail, u, u.Email, t.mailData())
}

// sendVerification is the background part of RequestVerification, whose
// request already took the mail from the address's budget.
func (us *Service) sendVerification(ctx context.Context, email string) error {
	if !us.verifies() {
		return nil
	}
	u, ok, err := us.live(ctx, email)
	if err != nil || !ok || u.EmailVerifiedAt != nil {
		return err
	}
	return store.InTx(ctx, us.pool, func(tx *store.Tx) error { return us.verificationMail(ctx, tx, u) })
}

// VerifyEmail spends a verification token (or address and code) and marks
// the address verified. Its errors: ErrTokenInvalid (also when the address
// changed since the mail was sent), FieldErrors, ErrMailOff.
func (us *Service) VerifyEmail(ctx context.Context, s Secret) (db.UserProfile, error) {
	var u db.UserProfile
	err := us.withToken(ctx, db.EmailTokenPurposeVerifyEmail, s, func(tx *store.Tx, t db.EmailToken) error {
		cur, err := tokenUser(ctx, tx, t)
		if err != nil {
			return err
		}
		row, err := tx.MarkEmailVerified(ctx, t.UserID)
		if err != nil {
			return fmt.Errorf("marking verified: %w", err)
		}
		u = db.UserProfile(row)
		if cur.EmailVerifiedAt != nil {
			return nil
		}
		return audit.Record(ctx, tx.Queries, audit.Event{Action: audit.UserEmailVerified, Target: &t.UserID})
	})
	return u, err
}
