package users

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/pquerna/otp"

	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/ratelimit"
)

var (
	// ErrMFAOff: no encryption key set is configured, so no factor can be
	// stored.
	ErrMFAOff = errors.New("users: MFA is off: no encryption keys are configured")
	// ErrMFARequired: the operation needs a session at aal2, and the caller's
	// user has a factor this session has not verified (auth.Principal.StepUp).
	ErrMFARequired = auth.ErrMFARequired
	// ErrMFANotEnrolled: no factor (or no pending enrolment) to use.
	ErrMFANotEnrolled = errors.New("users: no second factor is enrolled")
	// ErrMFACodeInvalid: a wrong, reused or expired code, or a spent or
	// unknown recovery code.
	ErrMFACodeInvalid = errors.New("users: the code is invalid")
)

// Sealer encrypts secrets at rest (a secrets.KeySet): aad binds a sealed
// secret to its user.
type Sealer interface {
	Seal(plaintext, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
}

// MFAOptions configure second factors; a nil Sealer turns them off.
type MFAOptions struct {
	Sealer Sealer
	// Issuer names the service in authenticator apps (the otpauth issuer).
	Issuer string
	// Backoff limits wrong codes per user, whatever the client.
	Backoff *ratelimit.Backoff
}

// The TOTP parameters (RFC 6238's defaults, which every authenticator app
// reads): SHA-1, 6 digits, 30 s steps; one step of skew either way.
const (
	totpPeriod  = 30
	totpDigits  = otp.DigitsSix
	totpSkew    = 1
	secretBytes = 20
)

// Enrollment is a new, pending TOTP factor as the user's authenticator app
// takes it.
type Enrollment struct {
	// Secret is the base32 secret; URI the otpauth:// URI; QRCode a PNG of it.
	Secret, URI string
	QRCode      []byte
}

// MFAStatus is what a user has of second factors.
type MFAStatus struct {
	TOTP                   bool
	RecoveryCodesRemaining int
}

// mfaOn reports whether second factors can be stored.
func (us *Service) mfaOn() bool { return us.mfa.Sealer != nil }

// aad is the associated data of a user's sealed secret.
func aad(user uuid.UUID) []byte { return user[:] }

// Status returns the second factors of user.
func (us *Service) Status(ctx context.Context, user uuid.UUID) (MFAStatus, error) {
	active, err := us.q.HasActiveFactor(ctx, user)
	if err != nil {
		return MFAStatus{}, err
	}
	n, err := us.q.CountRecoveryCodes(ctx, user)
	return MFAStatus{TOTP: active, RecoveryCodesRemaining: int(n)}, err
}
