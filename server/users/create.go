package users

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/audit"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/store"
)

// NewUser is a request to create a user, as the caller sent it.
type NewUser struct {
	Email, Name, Password string
	Role                  auth.Role
	// EmailVerified is an admin vouching for the address: no verification
	// mail is sent.
	EmailVerified bool
}

// Create checks in and creates the user. Its errors: FieldErrors (address or
// name), *auth.WeakPasswordError, ErrEmailTaken, or anything else for a failure.
func (us *Service) Create(ctx context.Context, in NewUser) (db.UserProfile, error) {
	var fields FieldErrors
	email := fields.check("email", in.Email, auth.NormalizeEmail)
	name := fields.check("name", in.Name, auth.CheckName)
	if err := fields.err(); err != nil {
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
	var u db.UserProfile
	err = store.InTx(ctx, us.pool, func(tx *store.Tx) error {
		row, err := tx.CreateUser(ctx, db.CreateUserParams{ID: id, Email: email, EmailKey: auth.EmailKey(email), Name: name, Role: db.UserRole(in.Role), PasswordHash: hash, EmailVerified: in.EmailVerified})
		if err != nil {
			return err
		}
		u = db.UserProfile(row)
		if !in.EmailVerified {
			if err := us.verifyInTx(ctx, tx, u); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx.Queries, creation(ctx, u))
	})
	if store.IsUniqueViolation(err, store.UniqueUsersEmailLive) {
		return db.UserProfile{}, ErrEmailTaken
	}
	return u, err
}

// creation is the event of a new user: registered by themself, or created by
// an admin (through the API, or by the command line, with no actor).
func creation(ctx context.Context, u db.UserProfile) audit.Event {
	e := audit.Event{Action: audit.UserRegistered, Target: audit.Ptr(u.ID), Details: map[string]any{"role": string(u.Role)}}
	if _, byAPI := auth.PrincipalFrom(ctx); byAPI || u.Role == db.UserRoleAdmin {
		e.Action = audit.UserCreatedByAdmin
	}
	return e
}

// CheckPassword applies the password policy in the CPU slots: nil, a
// *auth.WeakPasswordError, or ctx's error.
func (us *Service) CheckPassword(ctx context.Context, password, email, name string) error {
	return us.slots.Do(ctx, func() error { return auth.CheckPassword(password, email, name) })
}
