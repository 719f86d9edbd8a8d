package server

import (
	"context"
	"fmt"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/sessions"
)

// RefreshToken rotates a refresh token (see sessions.Service.Rotate).
func (s *Server) RefreshToken(ctx context.Context, req api.RefreshTokenRequestObject) (api.RefreshTokenResponseObject, error) {
	r, err := s.Sessions.Rotate(ctx, req.Body.RefreshToken)
	if err != nil {
		return nil, fmt.Errorf("refresh: %w", err)
	}
	switch r.Outcome {
	case sessions.Reused:
		s.Metrics.Refresh("reused")
		httpx.Explain(ctx, "refresh_reused")
		return refreshRefused(ctx, api.CodeRefreshTokenReused, "This refresh token was already used; its session is now ended. Log in again."), nil
	case sessions.Invalid:
		s.Metrics.Refresh("invalid")
		httpx.Explain(ctx, "refresh_invalid")
		return refreshRefused(ctx, api.CodeInvalidRefreshToken, "The refresh token is unknown, expired or revoked."), nil
	}
	s.Metrics.Refresh("rotated")
	return api.RefreshToken200JSONResponse(toTokenPair(r.Pair)), nil
}

func refreshRefused(ctx context.Context, code api.ProblemCode, detail string) api.RefreshTokenResponseObject {
	p := httpx.Problem(ctx, code, detail)
	return api.RefreshToken401ApplicationProblemPlusJSONResponse{InvalidRefreshTokenApplicationProblemPlusJSONResponse: api.InvalidRefreshTokenApplicationProblemPlusJSONResponse(p)}
}

// Logout ends the caller's current session, the others, or all of them.
func (s *Server) Logout(ctx context.Context, req api.LogoutRequestObject) (api.LogoutResponseObject, error) {
	scope := api.Current
	if req.Body != nil && req.Body.Scope != nil {
		scope = *req.Body.Scope
	}
	err := s.Sessions.Logout(ctx, principal(ctx), toScope(scope))
	if err != nil {
		return nil, fmt.Errorf("logout: %w", err)
	}
	return api.Logout204Response{}, nil
}

// GetJwks publishes the public half of every verifying key.
func (s *Server) GetJwks(ctx context.Context, _ api.GetJwksRequestObject) (api.GetJwksResponseObject, error) {
	return api.GetJwks200JSONResponse{
		Body:    s.jwks,
		Headers: api.GetJwks200ResponseHeaders{CacheControl: "public, max-age=300"},
	}, nil
}
