package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/auth"
)

// Register creates an account with the user role.
func (s *Server) Register(ctx context.Context, req api.RegisterRequestObject) (api.RegisterResponseObject, error) {
	u, err := s.users.Create(ctx, NewUser{Email: req.Body.Email, Name: req.Body.Name, Password: req.Body.Password, Role: auth.RoleUser})
	if p, ok := badRequest(ctx, err); ok {
		return api.Register400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: api.BadRequestApplicationProblemPlusJSONResponse(p)}, nil
	}
	if errors.Is(err, ErrEmailTaken) {
		return api.Register409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: emailTaken(ctx)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	return api.Register201JSONResponse{
		Body:    toUser(u),
		Headers: api.Register201ResponseHeaders{Location: userLocation(u.ID)},
	}, nil
}

// Login checks an address and password and starts a session. Every failure
// (unknown address, deleted user, wrong password) answers the same 401 after one
// full password verification, so neither the answer nor its timing tells
// whether the address has an account.
func (s *Server) Login(ctx context.Context, req api.LoginRequestObject) (api.LoginResponseObject, error) {
	email, err := auth.NormalizeEmail(req.Body.Email)
	if err != nil {
		return api.Login400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: invalid(ctx, fieldError("email", err.Error()))}, nil
	}
	cred, err := s.q.GetCredentialsByEmail(ctx, email)
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := s.hasher.Verify(ctx, s.hasher.DummyHash(), req.Body.Password); err != nil {
			return nil, fmt.Errorf("login: dummy verification: %w", err)
		}
		s.logLogin(ctx, "login failed", uuid.Nil, "no such user")
		return invalidCredentials(ctx), nil
	}
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	v, err := s.hasher.Verify(ctx, cred.PasswordHash, req.Body.Password)
	if err != nil {
		return nil, fmt.Errorf("login: verifying user %s: %w", cred.ID, err)
	}
	if !v.Match {
		s.logLogin(ctx, "login failed", cred.ID, "wrong password")
		return invalidCredentials(ctx), nil
	}
	var rehash *passwordRehash
	if v.Rehash {
		if rehash, err = s.rehash(ctx, cred.PasswordHash, req.Body.Password); err != nil {
			return nil, fmt.Errorf("login: %w", err)
		}
	}
	pair, err := s.startSession(ctx, cred.ID, cred.Role, rehash)
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	s.logLogin(ctx, "login succeeded", cred.ID, "")
	return api.Login200JSONResponse(pair), nil
}

// invalidCredentials is the one answer to every failed login.
func invalidCredentials(ctx context.Context) api.LoginResponseObject {
	p := newProblem(ctx, http.StatusUnauthorized, CodeInvalidCredentials, "The email address or password is wrong.")
	return api.Login401ApplicationProblemPlusJSONResponse{InvalidCredentialsApplicationProblemPlusJSONResponse: api.InvalidCredentialsApplicationProblemPlusJSONResponse(p)}
}

// logLogin records a login event: the user when known, the request and the
// client IP. Never the address, the password or a token.
func (s *Server) logLogin(ctx context.Context, msg string, user uuid.UUID, reason string) {
	ip, _ := clientFrom(ctx)
	attrs := []slog.Attr{slog.String("request_id", requestIDFrom(ctx)), slog.String("ip", ip)}
	if user != uuid.Nil {
		attrs = append(attrs, slog.String("user_id", user.String()))
	}
	if reason != "" {
		attrs = append(attrs, slog.String("reason", reason))
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, msg, attrs...)
}

// passwordRehash replaces a user's hash by one of the current parameters.
type passwordRehash struct{ old, new string }

func (s *Server) rehash(ctx context.Context, old, password string) (*passwordRehash, error) {
	h, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, fmt.Errorf("re-hashing: %w", err)
	}
	return &passwordRehash{old: old, new: h}, nil
}

// emailTaken is the 409 for an address that a live account already has.
func emailTaken(ctx context.Context) api.ConflictApplicationProblemPlusJSONResponse {
	return conflict(ctx, CodeEmailTaken, "An account with this email address already exists.",
		fieldError("email", "is already registered"))
}

// userLocation is the URL of a user.
func userLocation(id uuid.UUID) string { return "/api/v1/users/" + id.String() }
