package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/db"
)

// ListSessions lists the caller's live sessions, newest first.
func (s *Server) ListSessions(ctx context.Context, _ api.ListSessionsRequestObject) (api.ListSessionsResponseObject, error) {
	p := principal(ctx)
	rows, err := s.q.ListLiveSessionsByUser(ctx, db.ListLiveSessionsByUserParams{
		UserID: p.UserID, IdleTimeoutSeconds: s.sessions.IdleTimeout.Seconds(),
	})
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	items := make([]api.Session, len(rows))
	for i, r := range rows {
		items[i] = toSession(r, p.SessionID)
	}
	return api.ListSessions200JSONResponse{Items: items}, nil
}

// DeleteSession ends one of the caller's live sessions. Another user's session
// is not found, like one that does not exist.
func (s *Server) DeleteSession(ctx context.Context, req api.DeleteSessionRequestObject) (api.DeleteSessionResponseObject, error) {
	p := principal(ctx)
	n, err := s.q.RevokeSession(ctx, db.RevokeSessionParams{ID: req.Id, UserID: p.UserID, Reason: "session_deleted"})
	if err != nil {
		return nil, fmt.Errorf("delete session: %w", err)
	}
	if n == 0 {
		pr := newProblem(ctx, http.StatusNotFound, CodeSessionNotFound, "You have no live session with this id.")
		return api.DeleteSession404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: api.NotFoundApplicationProblemPlusJSONResponse(pr)}, nil
	}
	s.revocations.Add(req.Id)
	return api.DeleteSession204Response{}, nil
}
