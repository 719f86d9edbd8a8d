package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
)

// SetPassword changes a password. For yourself (admins too) it needs the current
// password and ends your other sessions; for an admin on another user it ends
// all of that user's sessions. Hash update and revocation are one transaction.
func (s *Server) SetPassword(ctx context.Context, req api.SetPasswordRequestObject) (api.SetPasswordResponseObject, error) {
	p := principal(ctx)
	if auth.Authorize(p, auth.ActionChangePassword, req.Id) != auth.Allow {
		return api.SetPassword404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	}
	self := p.UserID == req.Id
	if self && req.Body.CurrentPassword == nil {
		return api.SetPassword400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: invalid(ctx,
			fieldError("current_password", "is required to change your own password"))}, nil
	}
	u, err := s.q.GetUserByID(ctx, req.Id)
	if errors.Is(err, pgx.ErrNoRows) {
		return api.SetPassword404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("set password: %w", err)
	}
	if self {
		ok, err := s.currentPasswordMatches(ctx, req.Id, *req.Body.CurrentPassword)
		if err != nil {
			return nil, fmt.Errorf("set password: %w", err)
		}
		if !ok {
			return wrongCurrentPassword(ctx), nil
		}
	}
	err = s.users.CheckPassword(ctx, req.Body.NewPassword, u.Email, u.Name)
	if pr, ok := badRequest(ctx, err); ok {
		return api.SetPassword400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: api.BadRequestApplicationProblemPlusJSONResponse(pr)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("set password: %w", err)
	}
	revoked, err := s.replacePassword(ctx, req.Id, req.Body.NewPassword, self, p.SessionID)
	if err != nil {
		return nil, fmt.Errorf("set password: %w", err)
	}
	s.revocations.Add(revoked...)
	return api.SetPassword204Response{}, nil
}

// currentPasswordMatches verifies the caller's current password.
func (s *Server) currentPasswordMatches(ctx context.Context, id uuid.UUID, password string) (bool, error) {
	hash, err := s.q.GetPasswordHashByID(ctx, id)
	if err != nil {
		return false, err
	}
	v, err := s.hasher.Verify(ctx, hash, password)
	return v.Match, err
}

// replacePassword stores the new hash and ends sessions in one transaction:
// every session but the caller's when keepCurrent, otherwise all of them.
func (s *Server) replacePassword(ctx context.Context, id uuid.UUID, password string, keepCurrent bool, current uuid.UUID) ([]uuid.UUID, error) {
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	var revoked []uuid.UUID
	err = s.inTx(ctx, func(q *db.Queries) error {
		if _, err := q.SetPasswordHash(ctx, db.SetPasswordHashParams{ID: id, PasswordHash: hash}); err != nil {
			return err
		}
		arg := db.RevokeUserSessionsParams{UserID: id, Reason: "password_changed"}
		if keepCurrent {
			arg.KeepID = &current
		}
		revoked, err = q.RevokeUserSessions(ctx, arg)
		return err
	})
	return revoked, err
}

// wrongCurrentPassword is the 401 for a wrong current password. It is an
// operation behind a bearer token, so it carries the Bearer challenge; its code
// tells clients not to refresh their token over it.
func wrongCurrentPassword(ctx context.Context) api.SetPasswordResponseObject {
	return api.SetPassword401ApplicationProblemPlusJSONResponse{UnauthenticatedApplicationProblemPlusJSONResponse: unauthenticated(ctx,
		CodeInvalidCredentials, "The current password is wrong.", false, fieldError("current_password", "is wrong"))}
}
