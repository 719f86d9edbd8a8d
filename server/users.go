package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/meridianhq/accounts/gen/api"
)

// GetMe returns the caller. A user deleted since the token was checked answers
// 401 like a revoked token: its sessions are being revoked.
func (s *Server) GetMe(ctx context.Context, _ api.GetMeRequestObject) (api.GetMeResponseObject, error) {
	p := principal(ctx)
	u, err := s.q.GetUserByID(ctx, p.UserID)
	if errors.Is(err, pgx.ErrNoRows) {
		pr := newProblem(ctx, http.StatusUnauthorized, CodeUnauthenticated, "The bearer token is invalid, expired or revoked.")
		return api.GetMe401ApplicationProblemPlusJSONResponse{UnauthenticatedApplicationProblemPlusJSONResponse: api.UnauthenticatedApplicationProblemPlusJSONResponse{
			Body: pr, Headers: api.UnauthenticatedResponseHeaders{WWWAuthenticate: bearerChallenge(true)},
		}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get me: %w", err)
	}
	return api.GetMe200JSONResponse(toUser(u)), nil
}
