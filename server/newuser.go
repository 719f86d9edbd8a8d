package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
)

// newUser is a checked request to create a user.
type newUser struct {
	email, name, password string
}

// checkNewUser applies the rules the schema cannot express: a plain address, a
// name without control characters, and the password policy. It returns the
// normalised input, or the 400 problem to answer: VALIDATION_FAILED naming every
// bad field, or else WEAK_PASSWORD. An error means the check could not run.
func (s *Server) checkNewUser(ctx context.Context, email, name, password string) (newUser, *api.Problem, error) {
	var fields []api.FieldError
	email, err := auth.NormalizeEmail(email)
	if err != nil {
		fields = append(fields, fieldError("email", err.Error()))
	}
	name, err = auth.CheckName(name)
	if err != nil {
		fields = append(fields, fieldError("name", err.Error()))
	}
	if len(fields) > 0 {
		p := newProblem(ctx, http.StatusBadRequest, CodeValidationFailed, "The request has invalid fields.", fields...)
		return newUser{}, &p, nil
	}
	if p, err := s.checkPassword(ctx, password, email, name); p != nil || err != nil {
		return newUser{}, p, err
	}
	return newUser{email: email, name: name, password: password}, nil, nil
}

// checkPassword applies the password policy in the CPU pool; a refusal is the
// WEAK_PASSWORD problem. An error means the request was cancelled.
func (s *Server) checkPassword(ctx context.Context, password, email, name string) (*api.Problem, error) {
	var weak *auth.WeakPasswordError
	err := s.cpu.Do(ctx, func() error { return auth.CheckPassword(password, email, name) })
	if errors.As(err, &weak) {
		p := newProblem(ctx, http.StatusBadRequest, CodeWeakPassword, "The password "+weak.Reason+".",
			fieldError("password", weak.Reason))
		return &p, nil
	}
	return nil, err
}

// createUser hashes the password and inserts the user. A taken address fails
// with the unique violation of users_email_live_key.
func (s *Server) createUser(ctx context.Context, in newUser, role db.UserRole) (db.UserProfile, error) {
	hash, err := s.hasher.Hash(ctx, in.password)
	if err != nil {
		return db.UserProfile{}, fmt.Errorf("hashing: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return db.UserProfile{}, err
	}
	row, err := s.q.CreateUser(ctx, db.CreateUserParams{ID: id, Email: in.email, Name: in.name, Role: role, PasswordHash: hash})
	return db.UserProfile(row), err
}
