package users

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"image/png"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/audit"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/sessions"
	"github.com/meridianhq/accounts/server/store"
)

// qrSize is the width and height of the enrolment QR code, in pixels.
const qrSize = 256

// EnrollTOTP starts a TOTP enrolment for the caller after their current
// password: a new secret, pending until ConfirmTOTP, which replaces a pending
// one (and an active factor only once confirmed). Its errors: ErrWrongPassword,
// ErrMFARequired, ErrMFAOff, *ratelimit.Refused, auth.ErrOverloaded.
func (us *Service) EnrollTOTP(ctx context.Context, p auth.Principal, current string) (Enrollment, error) {
	if !us.mfaOn() {
		return Enrollment{}, ErrMFAOff
	}
	if err := p.StepUp(); err != nil {
		return Enrollment{}, err
	}
	if err := us.slots.Admit(); err != nil {
		return Enrollment{}, err
	}
	if _, err := us.checkCurrent(ctx, p.UserID, current); err != nil {
		return Enrollment{}, err
	}
	u, err := us.q.GetUserByID(ctx, p.UserID)
	if err != nil {
		return Enrollment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: us.mfa.Issuer, AccountName: u.Email, Period: totpPeriod,
		SecretSize: secretBytes, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1, Rand: us.random()})
	if err != nil {
		return Enrollment{}, fmt.Errorf("generating a secret: %w", err)
	}
	sealed, err := us.mfa.Sealer.Seal([]byte(key.Secret()), aad(p.UserID))
	if err != nil {
		return Enrollment{}, err
	}
	if err := us.q.UpsertPendingTOTP(ctx, db.UpsertPendingTOTPParams{UserID: p.UserID, PendingSecret: sealed}); err != nil {
		return Enrollment{}, err
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return Enrollment{}, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return Enrollment{}, err
	}
	return Enrollment{Secret: key.Secret(), URI: key.URL(), QRCode: b.Bytes()}, nil
}

// ConfirmTOTP activates the caller's pending factor with its first code: new
// recovery codes (shown once), the caller's other sessions end, and the
// caller's session is at aal2. Wrong codes count with VerifyMFA's, under the
// same backoff. Its errors: ErrMFANotEnrolled, ErrMFACodeInvalid,
// ErrMFARequired, *ratelimit.Refused, ErrNotFound (the user is gone), ErrMFAOff.
func (us *Service) ConfirmTOTP(ctx context.Context, p auth.Principal, code string) ([]string, sessions.Pair, error) {
	if !us.mfaOn() {
		return nil, sessions.Pair{}, ErrMFAOff
	}
	if err := p.StepUp(); err != nil {
		return nil, sessions.Pair{}, err
	}
	key := mfaBackoffKey(p.UserID)
	if err := us.mfa.Backoff.Take(ctx, key); err != nil {
		return nil, sessions.Pair{}, err
	}
	var codes []string
	var pair sessions.Pair
	err := store.InTx(ctx, us.pool, func(tx *store.Tx) error {
		if _, err := lockUser(ctx, tx, p.UserID); err != nil {
			return err
		}
		f, err := tx.GetTOTPForUpdate(ctx, p.UserID)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && f.PendingSecret == nil) {
			return ErrMFANotEnrolled
		}
		if err != nil {
			return err
		}
		step, ok, err := us.matchTOTP(f.PendingSecret, p.UserID, code, 0)
		if err != nil {
			return err // the secret cannot be opened: a fault, not a wrong code
		}
		if !ok {
			return ErrMFACodeInvalid
		}
		if err := tx.ConfirmTOTP(ctx, db.ConfirmTOTPParams{UserID: p.UserID, Step: step}); err != nil {
			return err
		}
		if codes, err = us.replaceRecoveryCodes(ctx, tx, p.UserID); err != nil {
			return err
		}
		if err := us.sessions.EndAllTx(ctx, tx, p.UserID, &p.SessionID, sessions.ReasonMFAEnabled); err != nil {
			return err
		}
		if pair, err = us.sessions.Elevate(ctx, tx, p.UserID, p.SessionID, auth.MethodOTP); err != nil {
			return err
		}
		if err := us.mfa.Backoff.ResetIn(ctx, tx.Queries, key); err != nil {
			return err
		}
		return audit.Record(ctx, tx.Queries, audit.Event{Action: audit.MFAEnabled, Target: &p.UserID, Session: &p.SessionID})
	})
	return codes, pair, err
}

// DisableTOTP removes the caller's factor and recovery codes, after their
// current password, from an aal2 session. Its errors: ErrWrongPassword,
// ErrMFANotEnrolled, ErrMFARequired, *ratelimit.Refused, auth.ErrOverloaded.
func (us *Service) DisableTOTP(ctx context.Context, p auth.Principal, current string) error {
	if err := p.StepUp(); err != nil {
		return err
	}
	if err := us.slots.Admit(); err != nil {
		return err
	}
	if _, err := us.checkCurrent(ctx, p.UserID, current); err != nil {
		return err
	}
	return store.InTx(ctx, us.pool, func(tx *store.Tx) error {
		n, err := tx.DeleteTOTP(ctx, p.UserID)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrMFANotEnrolled
		}
		if err := tx.DeleteRecoveryCodes(ctx, p.UserID); err != nil {
			return err
		}
		return audit.Record(ctx, tx.Queries, audit.Event{Action: audit.MFADisabled, Target: &p.UserID, Session: &p.SessionID})
	})
}

// matchTOTP checks code against a sealed secret of user at the current time,
// one step of skew either way, and returns the step it matched. Steps up to
// after are spent: a code is good once.
func (us *Service) matchTOTP(sealed []byte, user uuid.UUID, code string, after int64) (int64, bool, error) {
	secret, err := us.mfa.Sealer.Open(sealed, aad(user))
	if err != nil {
		return 0, false, fmt.Errorf("opening the TOTP secret: %w", err)
	}
	now := us.now()
	opts := totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1}
	for skew := -totpSkew; skew <= totpSkew; skew++ {
		at := now.Add(time.Duration(skew*totpPeriod) * time.Second)
		step := at.Unix() / totpPeriod
		want, err := totp.GenerateCodeCustom(string(secret), at, opts)
		if err != nil {
			return 0, false, err
		}
		if step > after && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true, nil
		}
	}
	return 0, false, nil
}
