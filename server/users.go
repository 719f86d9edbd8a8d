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

// GetMe returns the caller. A user deleted since the token was checked answers
// 401 like a revoked token: its sessions are being revoked.
func (s *Server) GetMe(ctx context.Context, req api.GetMeRequestObject) (api.GetMeResponseObject, error) {
	u, err := s.Users.Get(ctx, principal(ctx).UserID)
	if errors.Is(err, users.ErrNotFound) {
		return api.GetMe401ApplicationProblemPlusJSONResponse{UnauthenticatedApplicationProblemPlusJSONResponse: tokenGone(ctx)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get me: %w", err)
	}
	if parseEntityTags(req.Params.IfNoneMatch).notModified(u.Version) {
		return api.GetMe304Response{Headers: api.GetMe304ResponseHeaders{ETag: etag(u.Version)}}, nil
	}
	return api.GetMe200JSONResponse{Body: toUser(u), Headers: api.GetMe200ResponseHeaders{ETag: etag(u.Version)}}, nil
}

// GetUser returns a user to themself or to an admin.
func (s *Server) GetUser(ctx context.Context, req api.GetUserRequestObject) (api.GetUserResponseObject, error) {
	if auth.Authorize(principal(ctx), auth.ActionReadUser, req.Id) != auth.Allow {
		return api.GetUser404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	}
	u, err := s.Users.Get(ctx, req.Id)
	if errors.Is(err, users.ErrNotFound) {
		return api.GetUser404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	if parseEntityTags(req.Params.IfNoneMatch).notModified(u.Version) {
		return api.GetUser304Response{Headers: api.GetUser304ResponseHeaders{ETag: etag(u.Version)}}, nil
	}
	return api.GetUser200JSONResponse{Body: toUser(u), Headers: api.GetUser200ResponseHeaders{ETag: etag(u.Version)}}, nil
}

// UpdateUser applies a merge patch of name, email and (admins only) role and
// disabled.
func (s *Server) UpdateUser(ctx context.Context, req api.UpdateUserRequestObject) (api.UpdateUserResponseObject, error) {
	p := principal(ctx)
	patch := req.JSONBody
	if patch == nil {
		patch = req.ApplicationMergePatchPlusJSONBody
	}
	if auth.Authorize(p, auth.ActionUpdateUser, req.Id) != auth.Allow {
		return api.UpdateUser404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	}
	if patch.Role != nil && auth.Authorize(p, auth.ActionChangeRole, req.Id) != auth.Allow {
		return api.UpdateUser403ApplicationProblemPlusJSONResponse{ForbiddenApplicationProblemPlusJSONResponse: forbidden(ctx, "Only an admin may change a role.")}, nil
	}
	if patch.Disabled != nil && auth.Authorize(p, auth.ActionDisableUser, req.Id) != auth.Allow {
		return api.UpdateUser403ApplicationProblemPlusJSONResponse{ForbiddenApplicationProblemPlusJSONResponse: forbidden(ctx,
			"Only an admin may disable or enable an account, and not their own.")}, nil
	}
	u, err := s.Users.Update(ctx, req.Id, toPatch(patch), parseEntityTags(req.Params.IfMatch).allows)
	if pr, ok := badRequest(ctx, err); ok {
		return api.UpdateUser400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: pr}, nil
	}
	switch {
	case errors.Is(err, users.ErrEmailChangeNeedsConfirmation):
		pr := httpx.Problem(ctx, api.CodeEmailChangeRequiresConfirmation,
			"Change your own address with POST /api/v1/users/me/email: the new address confirms it.", httpx.Field("email", "is changed through POST /api/v1/users/me/email"))
		return api.UpdateUser403ApplicationProblemPlusJSONResponse{ForbiddenApplicationProblemPlusJSONResponse: api.ForbiddenApplicationProblemPlusJSONResponse(pr)}, nil
	case errors.Is(err, users.ErrEmailTaken):
		return api.UpdateUser409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: emailTaken(ctx)}, nil
	case errors.Is(err, users.ErrNotFound):
		return api.UpdateUser404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	case errors.Is(err, users.ErrPreconditionFailed):
		pr := httpx.Problem(ctx, api.CodePreconditionFailed, "The user changed since the ETag in If-Match; get it again.")
		return api.UpdateUser412ApplicationProblemPlusJSONResponse{PreconditionFailedApplicationProblemPlusJSONResponse: api.PreconditionFailedApplicationProblemPlusJSONResponse(pr)}, nil
	case errors.Is(err, users.ErrLastAdmin):
		return api.UpdateUser409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: lastAdmin(ctx)}, nil
	case err != nil:
		return nil, fmt.Errorf("update user: %w", err)
	}
	return api.UpdateUser200JSONResponse{Body: toUser(u), Headers: api.UpdateUser200ResponseHeaders{ETag: etag(u.Version)}}, nil
}

// DeleteUser soft-deletes a user (self or admin) and ends all their sessions.
func (s *Server) DeleteUser(ctx context.Context, req api.DeleteUserRequestObject) (api.DeleteUserResponseObject, error) {
	if auth.Authorize(principal(ctx), auth.ActionDeleteUser, req.Id) != auth.Allow {
		return api.DeleteUser404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	}
	err := s.Users.Delete(ctx, req.Id)
	switch {
	case errors.Is(err, users.ErrNotFound):
		return api.DeleteUser404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	case errors.Is(err, users.ErrLastAdmin):
		return api.DeleteUser409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: lastAdmin(ctx)}, nil
	case err != nil:
		return nil, fmt.Errorf("delete user: %w", err)
	}
	return api.DeleteUser204Response{}, nil
}
