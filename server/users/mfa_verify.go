package users

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/audit"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/sessions"
	"github.com/meridianhq/accounts/server/store"
)

// recoveryCodes is how many recovery codes a user gets; each has 12 base32
// characters (60 bits), shown in groups of four.
const (
	recoveryCodes     = 10
	recoveryCodeBytes = 8 // 64 bits, cut to 60 by the 12 characters kept
)

// MFAProof is a second factor presented: a TOTP code or a recovery code.
type MFAProof struct {
	Code, RecoveryCode string
}

// VerifyMFA checks the second factor of the caller's aal1 session and raises
// it to aal2, with a new pair. Wrong codes count per user, whatever the client:
// past the limit every code is refused (*ratelimit.Refused) until it passes,
// a right one too. A TOTP code is good once. Its errors: ErrMFACodeInvalid,
// ErrMFANotEnrolled, *ratelimit.Refused, sessions.ErrSessionEnded, ErrMFAOff.
func (us *Service) VerifyMFA(ctx context.Context, p auth.Principal, proof MFAProof) (sessions.Pair, error) {
	if !us.mfaOn() {
		return sessions.Pair{}, ErrMFAOff
	}
	if (proof.Code == "") == (proof.RecoveryCode == "") {
		return sessions.Pair{}, FieldErrors{{Field: "code", Reason: "give either code or recovery_code"}}
	}
	key := mfaBackoffKey(p.UserID)
	if err := us.mfa.Backoff.Take(ctx, key); err != nil {
		return sessions.Pair{}, err
	}
	var pair sessions.Pair
	err := store.InTx(ctx, us.pool, func(tx *store.Tx) error {
		method, err := us.checkFactor(ctx, tx, p.UserID, proof)
		if err != nil {
			return err
		}
		if pair, err = us.sessions.Elevate(ctx, tx, p.UserID, p.SessionID, method); err != nil {
			return err
		}
		if err := us.mfa.Backoff.ResetIn(ctx, tx.Queries, key); err != nil {
			return err
		}
		return audit.Record(ctx, tx.Queries, audit.Event{Action: audit.MFAVerified, Target: &p.UserID, Session: &p.SessionID,
			Details: map[string]any{"method": method}})
	})
	if errors.Is(err, ErrMFACodeInvalid) { // Take counted the failure already
		if aerr := audit.Record(ctx, us.q, audit.Event{Action: audit.MFAVerifyFailed, Target: &p.UserID, Session: &p.SessionID}); aerr != nil {
			return sessions.Pair{}, aerr
		}
	}
	return pair, err
}

// mfaBackoffKey is the backoff key of user's second-factor codes: wrong ones
// count alike when a factor is verified and when one is confirmed.
func mfaBackoffKey(user uuid.UUID) string { return "mfa:" + user.String() }

// checkFactor checks proof against user's active factor in tx and spends it
// (the TOTP step, or the recovery code); it returns the amr method.
func (us *Service) checkFactor(ctx context.Context, tx *store.Tx, user uuid.UUID, proof MFAProof) (string, error) {
	f, err := tx.GetTOTPForUpdate(ctx, user)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && f.Secret == nil) {
		return "", ErrMFANotEnrolled
	}
	if err != nil {
		return "", err
	}
	if proof.RecoveryCode != "" {
		n, err := tx.UseRecoveryCode(ctx, db.UseRecoveryCodeParams{UserID: user, CodeHash: recoveryHash(proof.RecoveryCode)})
		if err != nil {
			return "", err
		}
		if n != 1 {
			return "", ErrMFACodeInvalid
		}
		return auth.MethodRecoveryCode, nil
	}
	step, ok, err := us.matchTOTP(f.Secret, user, proof.Code, f.LastStep)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrMFACodeInvalid
	}
	return auth.MethodOTP, tx.SetTOTPLastStep(ctx, db.SetTOTPLastStepParams{UserID: user, Step: step})
}

// ReplaceRecoveryCodes voids the caller's recovery codes and returns 10 new
// ones, from an aal2 session. Its errors: ErrMFANotEnrolled, ErrMFARequired.
func (us *Service) ReplaceRecoveryCodes(ctx context.Context, p auth.Principal) ([]string, error) {
	if err := p.StepUp(); err != nil {
		return nil, err
	}
	var codes []string
	err := store.InTx(ctx, us.pool, func(tx *store.Tx) error {
		active, err := tx.HasActiveFactor(ctx, p.UserID)
		if err != nil {
			return err
		}
		if !active {
			return ErrMFANotEnrolled
		}
		if codes, err = us.replaceRecoveryCodes(ctx, tx, p.UserID); err != nil {
			return err
		}
		return audit.Record(ctx, tx.Queries, audit.Event{Action: audit.MFARecoveryCodesReplaced, Target: &p.UserID, Session: &p.SessionID})
	})
	return codes, err
}

// replaceRecoveryCodes stores 10 new codes of user in tx, the old ones void.
func (us *Service) replaceRecoveryCodes(ctx context.Context, tx *store.Tx, user uuid.UUID) ([]string, error) {
	if err := tx.DeleteRecoveryCodes(ctx, user); err != nil {
		return nil, err
	}
	src := us.random()
	codes := make([]string, recoveryCodes)
	hashes := make([][]byte, recoveryCodes)
	for i := range codes {
		var b [recoveryCodeBytes]byte
		if _, err := src.Read(b[:]); err != nil {
			return nil, err
		}
		c := strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))[:12]
		codes[i] = c[:4] + "-" + c[4:8] + "-" + c[8:]
		hashes[i] = recoveryHash(codes[i])
	}
	if err := tx.CreateRecoveryCodes(ctx, db.CreateRecoveryCodesParams{UserID: user, CodeHashes: hashes}); err != nil {
		return nil, err
	}
	return codes, nil
}

// recoveryHash is the stored form of a recovery code, as typed: case, dashes
// and spaces do not matter.
func recoveryHash(code string) []byte {
	norm := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(code)))
	h := sha256.Sum256([]byte(norm))
	return h[:]
}

// ResetMFA is an admin's removal of a user's factors: the factor and the
// recovery codes go, and every session of the user ends. Its errors:
// ErrNotFound, ErrMFANotEnrolled.
func (us *Service) ResetMFA(ctx context.Context, user uuid.UUID) error {
	return store.InTx(ctx, us.pool, func(tx *store.Tx) error {
		if _, err := lockUser(ctx, tx, user); err != nil {
			return err
		}
		n, err := tx.DeleteTOTP(ctx, user)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrMFANotEnrolled
		}
		if err := tx.DeleteRecoveryCodes(ctx, user); err != nil {
			return err
		}
		if err := us.sessions.EndAllTx(ctx, tx, user, nil, sessions.ReasonMFAReset); err != nil {
			return err
		}
		return audit.Record(ctx, tx.Queries, audit.Event{Action: audit.MFAResetByAdmin, Target: &user})
	})
}
