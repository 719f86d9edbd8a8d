package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/users"
)

// SetPassword changes a password. For yourself (admins too) it needs the current
// password and ends your other sessions; for an admin on another user it ends
// all of that user's sessions.
func (s *Server) SetPassword(ctx context.Context, req api.SetPasswordRequestObject) (api.SetPasswordResponseObject, error) {
	p := principal(ctx)
	if auth.Authorize(p, auth.ActionChangePassword, req.Id) != auth.Allow {
		return api.SetPassword404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	}
	change := users.PasswordChange{New: req.Body.NewPassword}
	if p.UserID == req.Id {
		if req.Body.CurrentPassword == nil {
			return api.SetPassword400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: invalid(ctx,
				httpx.Field("current_password", "is required to change your own password"))}, nil
		}
		change.Current, change.Keep = req.Body.CurrentPassword, &p.SessionID
	}
	err := s.Users.ChangePassword(ctx, req.Id, change)
	if pr, ok := badRequest(ctx, err); ok {
		return api.SetPassword400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: pr}, nil
	}
	switch {
	case errors.Is(err, users.ErrNotFound):
		return api.SetPassword404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	case errors.Is(err, users.ErrWrongPassword):
		return api.SetPassword401ApplicationProblemPlusJSONResponse{UnauthenticatedApplicationProblemPlusJSONResponse: wrongCurrentPassword(ctx)}, nil
	case err != nil:
		return nil, fmt.Errorf("set password: %w", err)
	}
	return api.SetPassword204Response{}, nil
}
