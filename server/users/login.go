package users

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/audit"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/sessions"
	"github.com/meridianhq/accounts/server/store"
)

// LoginFailure is a refused login. It matches ErrInvalidCredentials; what it
// says beyond that is for the log, never for the client.
type LoginFailure struct {
	// UserID is the user whose password was wrong; uuid.Nil for an unknown address.
	UserID uuid.UUID
	// Reason is "no such user" or "wrong password".
	Reason string
}

func (f *LoginFailure) Error() string { return "users: login refused: " + f.Reason }

// Is makes a LoginFailure match ErrInvalidCredentials.
func (f *LoginFailure) Is(target error) bool { return target == ErrInvalidCredentials }

// DisabledLogin is the refused login of a disabled account, whose password was
// correct. It matches ErrAccountDisabled.
type DisabledLogin struct {
	// UserID is the disabled user.
	UserID uuid.UUID
}

func (d *DisabledLogin) Error() string { return "users: login refused: account disabled" }

// Is makes a DisabledLogin match ErrAccountDisabled.
func (d *DisabledLogin) Is(target error) bool { return target == ErrAccountDisabled }

// Login checks an address and password and starts a session. Every failure
// (unknown address, deleted user, wrong password) is a *LoginFailure after one
// full password verification, against a dummy hash when there is no user, so
// that neither the answer nor its timing tells whether the address has an
// account. A hash of old parameters is replaced in the session's transaction.
// The correct password of a disabled account is a *DisabledLogin, after the
// same verification: only someone who knows the password learns that the
// account is disabled, and a wrong one fails (and is padded and counted) like
// any other. A malformed address is FieldErrors; a full hashing queue
// auth.ErrOverloaded; an address backing off after failures a
// *ratelimit.Refused.
func (us *Service) Login(ctx context.Context, email, password string, c sessions.Client) (sessions.Pair, error) {
	var fields FieldErrors
	email = fields.check("email", email, auth.NormalizeEmail)
	if err := fields.err(); err != nil {
		return sessions.Pair{}, err
	}
	// Shed before the lookup when the hashing queue is full: the answer is the
	// same whether or not the address has an account.
	if err := us.slots.Admit(); err != nil {
		return sessions.Pair{}, err
	}
	// Backing off per address, known or not, before the lookup: the answer is
	// the same for an address with an account and one without.
	key := "login:" + auth.EmailKey(email)
	if err := us.backoff.Take(ctx, key); err != nil {
		return sessions.Pair{}, err
	}
	start := time.Now()
	pair, err := us.login(ctx, email, password, c)
	var refused *LoginFailure
	var disabled *DisabledLogin
	var unverified *UnverifiedLogin
	switch {
	case errors.As(err, &refused): // Take counted the failure already
		if aerr := audit.Record(ctx, us.q, loginFailure(refused)); aerr != nil {
			return sessions.Pair{}, aerr
		}
		us.padFailure(ctx, start)
	case errors.As(err, &disabled):
		// The password was right: the run of failures ends, and there is
		// nothing to hide by padding.
		if aerr := errors.Join(us.backoff.Reset(ctx, key), us.recordRefusal(ctx, disabled.UserID, "account disabled")); aerr != nil {
			return sessions.Pair{}, aerr
		}
	case errors.As(err, &unverified):
		if aerr := errors.Join(us.backoff.Reset(ctx, key), us.recordRefusal(ctx, unverified.UserID, "email not verified")); aerr != nil {
			return sessions.Pair{}, aerr
		}
	case err == nil:
		if err := us.backoff.Reset(ctx, key); err != nil {
			return sessions.Pair{}, err
		}
	}
	return pair, err
}

// recordRefusal audits the refused login of a correct password.
func (us *Service) recordRefusal(ctx context.Context, user uuid.UUID, reason string) error {
	return audit.Record(ctx, us.q, audit.Event{Action: audit.UserLoginFailed, Target: audit.Ptr(user),
		Details: map[string]any{"reason": reason}})
}

// UnverifiedLogin is the refused login of an unverified address, whose
// password was correct, while verification is required. It matches
// ErrEmailNotVerified.
type UnverifiedLogin struct {
	// UserID is the account's.
	UserID uuid.UUID
}

func (n *UnverifiedLogin) Error() string {
	return "users: login refused: " + ErrEmailNotVerified.Error()
}

// Is makes an UnverifiedLogin match ErrEmailNotVerified.
func (n *UnverifiedLogin) Is(target error) bool { return target == ErrEmailNotVerified }

// login is Login after the limits: the lookup, the verification, the session.
func (us *Service) login(ctx context.Context, email, password string, c sessions.Client) (sessions.Pair, error) {
	cred, err := us.q.GetCredentialsByEmail(ctx, auth.EmailKey(email))
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := us.hasher.Verify(ctx, us.hasher.DummyHash(), password); err != nil {
			return sessions.Pair{}, fmt.Errorf("dummy verification: %w", err)
		}
		return sessions.Pair{}, &LoginFailure{Reason: "no such user"}
	}
	if err != nil {
		return sessions.Pair{}, err
	}
	v, err := us.hasher.Verify(ctx, cred.PasswordHash, password)
	if err != nil {
		return sessions.Pair{}, fmt.Errorf("verifying user %s: %w", cred.ID, err)
	}
	if !v.Match {
		return sessions.Pair{}, &LoginFailure{UserID: cred.ID, Reason: "wrong password"}
	}
	if cred.Disabled {
		return sessions.Pair{}, &DisabledLogin{UserID: cred.ID}
	}
	var newHash string
	if v.Rehash {
		if newHash, err = us.hasher.Hash(ctx, password); err != nil {
			return sessions.Pair{}, fmt.Errorf("re-hashing: %w", err)
		}
	}
	var pair sessions.Pair
	err = store.InTx(ctx, us.pool, func(tx *store.Tx) (err error) {
		pair, err = us.beginLogin(ctx, tx, cred.ID, cred.PasswordHash, newHash, c)
		return err
	})
	return pair, err
}

// beginLogin starts the session of a login whose password matched verified. It
// re-reads the user under a share lock first: a password change, a deletion, a
// disable or a demotion that committed while the password was being checked is
// seen here (the login is refused, or signed with the new role), and one that
// comes later waits for this session and then ends it.
func (us *Service) beginLogin(ctx context.Context, tx *store.Tx, id uuid.UUID, verified, newHash string, c sessions.Client) (sessions.Pair, error) {
	cur, err := tx.GetCredentialsByIDForShare(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return sessions.Pair{}, &LoginFailure{UserID: id, Reason: "deleted during login"}
	}
	if err != nil {
		return sessions.Pair{}, err
	}
	if cur.PasswordHash != verified {
		return sessions.Pair{}, &LoginFailure{UserID: id, Reason: "password changed during login"}
	}
	if cur.Disabled {
		return sessions.Pair{}, &DisabledLogin{UserID: id}
	}
	if newHash != "" {
		n, err := tx.UpdatePasswordHash(ctx, db.UpdatePasswordHashParams{ID: id, OldHash: verified, NewHash: newHash})
		switch {
		case err != nil:
			return sessions.Pair{}, fmt.Errorf("re-hash: %w", err)
		case n != 1:
			// The row is locked and its hash is the one verified: a miss here is
			// a bug, not a race.
			return sessions.Pair{}, fmt.Errorf("re-hash: updated %d rows, want 1", n)
		}
	}
	if us.mail.Verification == VerificationRequired && !cur.EmailVerified {
		// Told only after a correct password, so it tells nothing to whoever
		// does not know it.
		return sessions.Pair{}, &UnverifiedLogin{UserID: id}
	}
	pair, err := us.sessions.Begin(ctx, tx, sessions.Start{User: id, Role: auth.Role(cur.Role), EmailVerified: cur.EmailVerified, MFA: cur.MfaActive}, c)
	if err != nil {
		return sessions.Pair{}, err
	}
	return pair, audit.Record(ctx, tx.Queries, audit.Event{Action: audit.UserLoginSucceeded, Target: audit.Ptr(id), Session: audit.Ptr(pair.SessionID)})
}

// loginFailure is the event of a refused login: the account when there is one;
// for an unknown address nothing of it, not even the address.
func loginFailure(f *LoginFailure) audit.Event {
	e := audit.Event{Action: audit.UserLoginFailed, Details: map[string]any{"reason": f.Reason}}
	if f.UserID != uuid.Nil {
		e.Target = audit.Ptr(f.UserID)
	}
	return e
}
