// Package users is the user lifecycle over the generated queries: create,
// log in, read, patch (disable and enable included), change password, delete
// and restore, with the rules that hold across them (normalised identities,
// the password policy, the last enabled admin). It speaks domain: sentinel
// errors and FieldErrors, never HTTP.
package users

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/ratelimit"
	"github.com/meridianhq/accounts/server/sessions"
)

// The outcomes that are not failures of the service.
var (
	// ErrNotFound: no live user has the id (or the caller may not know of it).
	ErrNotFound = errors.New("users: not found")
	// ErrEmailTaken: a live user already has the address.
	ErrEmailTaken = errors.New("users: an account with this email address already exists")
	// ErrPreconditionFailed: the user changed since the version the caller had.
	ErrPreconditionFailed = errors.New("users: the user changed since the version given")
	// ErrLastAdmin: the change would leave no live, enabled admin.
	ErrLastAdmin = errors.New("users: this is the last enabled admin")
	// ErrNotDeleted: a restore of a user that is not deleted.
	ErrNotDeleted = errors.New("users: the user is not deleted")
	// ErrInvalidCredentials: a login with an unknown address or a wrong password.
	// The error is a *LoginFailure, which says which, for the log only.
	ErrInvalidCredentials = errors.New("users: invalid credentials")
	// ErrWrongPassword: the current password given for a change is wrong.
	ErrWrongPassword = errors.New("users: the current password is wrong")
	// ErrAccountDisabled: a login with the correct password of a disabled
	// account. Only a correct password learns it; a wrong one is a LoginFailure
	// like any other.
	ErrAccountDisabled = errors.New("users: the account is disabled")
)

// FieldError is one input field that breaks a rule the schema cannot express.
type FieldError struct {
	Field  string
	Reason string
}

// FieldErrors are the fields of one request that break such rules.
type FieldErrors []FieldError

func (fe FieldErrors) Error() string {
	parts := make([]string, len(fe))
	for i, f := range fe {
		parts[i] = f.Field + " " + f.Reason
	}
	return "invalid fields: " + strings.Join(parts, "; ")
}

// check applies rule to the value of field: it returns the normalised value, or
// records why the field is refused.
func (fe *FieldErrors) check(field, value string, rule func(string) (string, error)) string {
	v, err := rule(value)
	if err != nil {
		*fe = append(*fe, FieldError{Field: field, Reason: err.Error()})
	}
	return v
}

// err returns fe as an error, or nil when it is empty.
func (fe FieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// Hasher hashes and verifies passwords. *auth.Hasher implements it; tests wrap
// it to count the work done.
type Hasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, encoded, password string) (auth.Verification, error)
	// DummyHash is verified against when there is no user, so that an unknown
	// address costs what a wrong password costs.
	DummyHash() string
}

// Service applies the rules of the user lifecycle, for the API and for
// `accounts admin create` alike.
type Service struct {
	pool     *pgxpool.Pool
	q        *db.Queries
	hasher   Hasher
	slots    *auth.CPUSlots
	sessions *sessions.Service
	backoff  *ratelimit.Backoff
	mail     MailOptions
	mfa      MFAOptions
	clock    func() time.Time
	rand     io.Reader
	floor    atomic.Int64 // FailureFloor, in nanoseconds
}

// Options are what a Service is built from.
type Options struct {
	// Pool is the database. Required.
	Pool *pgxpool.Pool
	// Hasher hashes and verifies passwords. Required.
	Hasher Hasher
	// Slots bound the password strength estimate and admit password work
	// (production passes the hasher's). Nil: auth.DefaultSlots, unbounded queue.
	Slots *auth.CPUSlots
	// Sessions starts sessions at login and ends them when a password, a role
	// or a deletion requires it. Nil only for a Service that only creates users.
	Sessions *sessions.Service
	// Backoff slows failed logins and wrong current passwords per account.
	// Nil: none.
	Backoff *ratelimit.Backoff
	// Mail configures the email flows; its zero value turns them off.
	Mail MailOptions
	// MFA configures second factors; its zero value turns them off.
	MFA MFAOptions
	// Now is the clock of mail tokens and second-factor codes; nil: time.Now.
	Now func() time.Time
	// Rand is the source of their tokens, codes and secrets; nil: crypto/rand.
	Rand io.Reader
}

// New returns a Service.
func New(o Options) *Service {
	if o.Slots == nil {
		o.Slots = auth.NewCPUSlots(0, auth.Queue{})
	}
	return &Service{pool: o.Pool, q: db.New(o.Pool), hasher: o.Hasher, slots: o.Slots, sessions: o.Sessions, backoff: o.Backoff, mail: o.Mail, mfa: o.MFA, clock: o.Now, rand: o.Rand}
}
