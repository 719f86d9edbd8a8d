package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/users"
)

// CreateUser creates a user with any role, by the rules of registration.
func (s *Server) CreateUser(ctx context.Context, req api.CreateUserRequestObject) (api.CreateUserResponseObject, error) {
	if auth.Authorize(principal(ctx), auth.ActionCreateUser, uuid.Nil) != auth.Allow {
		return api.CreateUser403ApplicationProblemPlusJSONResponse{ForbiddenApplicationProblemPlusJSONResponse: forbidden(ctx, adminOnly)}, nil
	}
	b := req.Body
	u, err := s.Users.Create(ctx, users.NewUser{Email: b.Email, Name: b.Name, Password: b.Password, Role: auth.Role(b.Role),
		EmailVerified: b.EmailVerified != nil && *b.EmailVerified})
	if p, ok := badRequest(ctx, err); ok {
		return api.CreateUser400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: p}, nil
	}
	if errors.Is(err, users.ErrEmailTaken) {
		return api.CreateUser409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: emailTaken(ctx)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return api.CreateUser201JSONResponse{Body: toUser(u), Headers: api.CreateUser201ResponseHeaders{Location: userLocation(u.ID), ETag: etag(u.Version)}}, nil
}

// RestoreUser undoes a soft delete.
func (s *Server) RestoreUser(ctx context.Context, req api.RestoreUserRequestObject) (api.RestoreUserResponseObject, error) {
	if auth.Authorize(principal(ctx), auth.ActionRestoreUser, req.Id) != auth.Allow {
		return api.RestoreUser403ApplicationProblemPlusJSONResponse{ForbiddenApplicationProblemPlusJSONResponse: forbidden(ctx, adminOnly)}, nil
	}
	u, err := s.Users.Restore(ctx, req.Id)
	switch {
	case errors.Is(err, users.ErrEmailTaken):
		return api.RestoreUser409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: conflict(ctx, api.CodeEmailTaken,
			"Another account has registered this user's email address since the deletion.", httpx.Field("email", "is already registered"))}, nil
	case errors.Is(err, users.ErrNotDeleted):
		return api.RestoreUser409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: conflict(ctx, api.CodeUserNotDeleted, "The user is not deleted.")}, nil
	case errors.Is(err, users.ErrNotFound):
		return api.RestoreUser404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	case err != nil:
		return nil, fmt.Errorf("restore user: %w", err)
	}
	return api.RestoreUser200JSONResponse{Body: toUser(u), Headers: api.RestoreUser200ResponseHeaders{ETag: etag(u.Version)}}, nil
}
