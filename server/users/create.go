package users

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/store"
)

// NewUser is a request to create a user, as the caller sent it.
type NewUser struct {
	Email, Name, Password string
	Role                  auth.Role
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
	row, err := us.q.CreateUser(ctx, db.CreateUserParams{ID: id, Email: email, EmailKey: auth.EmailKey(email), Name: name, Role: db.UserRole(in.Role), PasswordHash: hash})
	if store.IsUniqueViolation(err, store.UniqueUsersEmailLive) {
		return db.UserProfile{}, ErrEmailTaken
	}
	return db.UserProfile(row), err
}

// CheckPassword applies the password policy in the CPU slots: nil, a
// *auth.WeakPasswordError, or ctx's error.
func (us *Service) CheckPassword(ctx context.Context, password, email, name string) error {
	return us.slots.Do(ctx, func() error { return auth.CheckPassword(password, email, name) })
}
