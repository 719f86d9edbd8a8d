package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/sessions"
)

// The sessions of a user by id, for the user themself or an admin; anyone
// else gets 404 as for a user that does not exist, like GET /users/{id}.

// ListUserSessions lists a user's live sessions, newest first.
func (s *Server) ListUserSessions(ctx context.Context, req api.ListUserSessionsRequestObject) (api.ListUserSessionsResponseObject, error) {
	p := principal(ctx)
	if auth.Authorize(p, auth.ActionListUserSessions, req.Id) != auth.Allow {
		return api.ListUserSessions404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	}
	rows, err := s.Sessions.ListOfUser(ctx, req.Id)
	switch {
	case errors.Is(err, sessions.ErrUserNotFound):
		return api.ListUserSessions404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	case err != nil:
		return nil, fmt.Errorf("list user sessions: %w", err)
	}
	return api.ListUserSessions200JSONResponse(toSessionList(rows, p.SessionID)), nil
}

// DeleteUserSessions ends every live session of a user, on every replica.
func (s *Server) DeleteUserSessions(ctx context.Context, req api.DeleteUserSessionsRequestObject) (api.DeleteUserSessionsResponseObject, error) {
	if auth.Authorize(principal(ctx), auth.ActionEndUserSessions, req.Id) != auth.Allow {
		return api.DeleteUserSessions404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	}
	err := s.Sessions.EndAllOfUser(ctx, req.Id)
	switch {
	case errors.Is(err, sessions.ErrUserNotFound):
		return api.DeleteUserSessions404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	case err != nil:
		return nil, fmt.Errorf("delete user sessions: %w", err)
	}
	return api.DeleteUserSessions204Response{}, nil
}

// DeleteUserSession ends one live session of a user, on every replica. A
// session that is not this user's is not found.
func (s *Server) DeleteUserSession(ctx context.Context, req api.DeleteUserSessionRequestObject) (api.DeleteUserSessionResponseObject, error) {
	if auth.Authorize(principal(ctx), auth.ActionEndUserSessions, req.Id) != auth.Allow {
		return api.DeleteUserSession404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	}
	err := s.Sessions.EndOfUser(ctx, req.Id, req.Sid)
	switch {
	case errors.Is(err, sessions.ErrUserNotFound):
		return api.DeleteUserSession404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	case errors.Is(err, sessions.ErrNotFound):
		return api.DeleteUserSession404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: sessionNotFound(ctx,
			"The user has no live session with this id.")}, nil
	case err != nil:
		return nil, fmt.Errorf("delete user session: %w", err)
	}
	return api.DeleteUserSession204Response{}, nil
}
