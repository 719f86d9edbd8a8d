package server

import (
	"context"
	"fmt"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/sessions"
)

// ListSessions lists the caller's live sessions, newest first.
func (s *Server) ListSessions(ctx context.Context, _ api.ListSessionsRequestObject) (api.ListSessionsResponseObject, error) {
	p := principal(ctx)
	rows, err := s.Sessions.List(ctx, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return api.ListSessions200JSONResponse(toSessionList(rows, p.SessionID)), nil
}

// DeleteSession ends one of the caller's live sessions. Another user's session
// is not found, like one that does not exist.
func (s *Server) DeleteSession(ctx context.Context, req api.DeleteSessionRequestObject) (api.DeleteSessionResponseObject, error) {
	p := principal(ctx)
	found, err := s.Sessions.End(ctx, p.UserID, req.Id, sessions.ReasonSessionDeleted)
	if err != nil {
		return nil, fmt.Errorf("delete session: %w", err)
	}
	if !found {
		return api.DeleteSession404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: sessionNotFound(ctx,
			"You have no live session with this id.")}, nil
	}
	return api.DeleteSession204Response{}, nil
}
