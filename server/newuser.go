package server

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
)

// NewUser is a request to create a user, as the caller sent it.
type NewUser struct {
	Email, Name, Password string
	Role                  auth.Role
}

// FieldErrors are request fields that break a rule the schema cannot express.
type FieldErrors []api.FieldError

func (fe FieldErrors) Error() string {
	parts := make([]string, len(fe))
	for i, f := range fe {
		parts[i] = f.Field + " " + f.Reason
	}
	return "invalid fields: " + strings.Join(parts, "; ")
}

// ErrEmailTaken is an address that a live user already has.
var ErrEmailTaken = errors.New("an account with this email address already exists")

// Users applies the rules of creating users and changing passwords, for the API
// and for `accounts admin create` alike.
type Users struct {
	q      *db.Queries
	hasher PasswordHasher
	cpu    *auth.Pool
}

// NewUsers returns Users over pool. cpu bounds the password strength estimates;
// nil: one slot per CPU.
func NewUsers(pool *pgxpool.Pool, hasher PasswordHasher, cpu *auth.Pool) *Users {
	if cpu == nil {
		cpu = auth.NewPool(runtime.GOMAXPROCS(0))
	}
	return &Users{q: db.New(pool), hasher: hasher, cpu: cpu}
}

// Create checks in and creates the user. Its errors: FieldErrors (address or
// name), *auth.WeakPasswordError, ErrEmailTaken, or anything else for a failure.
func (us *Users) Create(ctx context.Context, in NewUser) (db.UserProfile, error) {
	email, name, err := checkIdentity(in.Email, in.Name)
	if err != nil {
		return db.UserProfile{}, err
	}
	if err := us.CheckPassword(ctx, in.Password, email, name); err != nil {
		return db.UserProfile{}, err
	}
	hash, err := us.hasher.Hash(ctx, in.Password)
	if err != nil {
		return db.UserProfile{}, fmt.Errorf("hashing: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return db.UserProfile{}, err
	}
	row, err := us.q.CreateUser(ctx, db.CreateUserParams{ID: id, Email: email, Name: name, Role: db.UserRole(in.Role), PasswordHash: hash})
	if isUniqueViolation(err, constraintEmailTaken) {
		return db.UserProfile{}, ErrEmailTaken
	}
	return db.UserProfile(row), err
}

// CheckPassword applies the password policy in the CPU pool: nil, a
// *auth.WeakPasswordError, or ctx's error.
func (us *Users) CheckPassword(ctx context.Context, password, email, name string) error {
	return us.cpu.Do(ctx, func() error { return auth.CheckPassword(password, email, name) })
}

// checkIdentity normalises an address and a name, or names what is wrong.
func checkIdentity(email, name string) (string, string, error) {
	var fields FieldErrors
	email = fields.check("email", email, auth.NormalizeEmail)
	name = fields.check("name", name, auth.CheckName)
	if len(fields) > 0 {
		return "", "", fields
	}
	return email, name, nil
}

// check applies rule to the value of field: it returns the normalised value,
// or records why the field is refused.
func (fe *FieldErrors) check(field, value string, rule func(string) (string, error)) string {
	v, err := rule(value)
	if err != nil {
		*fe = append(*fe, fieldError(field, err.Error()))
	}
	return v
}

// badRequest maps the rule errors of Users to their 400 problem, if err is one.
func badRequest(ctx context.Context, err error) (api.Problem, bool) {
	var fields FieldErrors
	var weak *auth.WeakPasswordError
	switch {
	case errors.As(err, &fields):
		return newProblem(ctx, 400, CodeValidationFailed, "The request has invalid fields.", fields...), true
	case errors.As(err, &weak):
		return newProblem(ctx, 400, CodeWeakPassword, "The password "+weak.Reason+".", fieldError("password", weak.Reason)), true
	}
	return api.Problem{}, false
}
