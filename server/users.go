package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
)

// GetMe returns the caller. A user deleted since the token was checked answers
// 401 like a revoked token: its sessions are being revoked.
func (s *Server) GetMe(ctx context.Context, _ api.GetMeRequestObject) (api.GetMeResponseObject, error) {
	p := principal(ctx)
	u, err := s.q.GetUserByID(ctx, p.UserID)
	if errors.Is(err, pgx.ErrNoRows) {
		return api.GetMe401ApplicationProblemPlusJSONResponse{UnauthenticatedApplicationProblemPlusJSONResponse: unauthenticated(ctx,
			CodeUnauthenticated, "The bearer token is invalid, expired or revoked.", true)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get me: %w", err)
	}
	return api.GetMe200JSONResponse(toUser(u)), nil
}

// GetUser returns a user to themself or to an admin.
func (s *Server) GetUser(ctx context.Context, req api.GetUserRequestObject) (api.GetUserResponseObject, error) {
	if auth.Authorize(principal(ctx), auth.ActionReadUser, req.Id) != auth.Allow {
		return api.GetUser404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	}
	u, err := s.q.GetUserByID(ctx, req.Id)
	if errors.Is(err, pgx.ErrNoRows) {
		return api.GetUser404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	return api.GetUser200JSONResponse{Body: toUser(u), Headers: api.GetUser200ResponseHeaders{ETag: etag(u.Version)}}, nil
}

// UpdateUser applies a merge patch of name, email and (admins only) role.
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
	change, fields := checkPatch(patch)
	if len(fields) > 0 {
		return api.UpdateUser400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: invalid(ctx, fields...)}, nil
	}
	var out patchOutcome
	err := s.inTx(ctx, func(q *db.Queries) (err error) {
		out, err = applyPatch(ctx, q, req.Id, change, parseIfMatch(req.Params.IfMatch))
		return err
	})
	switch {
	case isUniqueViolation(err, constraintEmailTaken):
		return api.UpdateUser409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: emailTaken(ctx)}, nil
	case err != nil:
		return nil, fmt.Errorf("update user: %w", err)
	}
	switch out.code {
	case CodeUserNotFound:
		return api.UpdateUser404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	case CodePreconditionFailed:
		pr := newProblem(ctx, http.StatusPreconditionFailed, CodePreconditionFailed, "The user changed since the ETag in If-Match; get it again.")
		return api.UpdateUser412ApplicationProblemPlusJSONResponse{PreconditionFailedApplicationProblemPlusJSONResponse: api.PreconditionFailedApplicationProblemPlusJSONResponse(pr)}, nil
	case CodeLastAdmin:
		return api.UpdateUser409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: lastAdmin(ctx)}, nil
	}
	s.revocations.Add(out.revoked...)
	return api.UpdateUser200JSONResponse{Body: toUser(out.user), Headers: api.UpdateUser200ResponseHeaders{ETag: etag(out.user.Version)}}, nil
}

// checkPatch normalises the members of a patch the schema cannot check, or
// names the ones it refuses.
func checkPatch(patch *api.UserPatch) (db.UpdateUserParams, FieldErrors) {
	var change db.UpdateUserParams
	var fields FieldErrors
	if patch.Email != nil {
		email := fields.check("email", *patch.Email, auth.NormalizeEmail)
		change.Email = &email
	}
	if patch.Name != nil {
		name := fields.check("name", *patch.Name, auth.CheckName)
		change.Name = &name
	}
	if patch.Role != nil {
		role := db.UserRole(*patch.Role)
		change.Role = &role
	}
	return change, fields
}

// patchOutcome is what the patch transaction decided.
type patchOutcome struct {
	code    string // "" on success
	user    db.UserProfile
	revoked []uuid.UUID
}

// applyPatch is the patch transaction: the precondition, the last-admin guard,
// the update, and the end of the user's sessions when the role changed.
func applyPatch(ctx context.Context, q *db.Queries, id uuid.UUID, change db.UpdateUserParams, pc precondition) (patchOutcome, error) {
	if change.Role != nil {
		if err := q.LockAdminChanges(ctx); err != nil {
			return patchOutcome{}, err
		}
	}
	cur, err := q.GetUserForUpdate(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return patchOutcome{code: CodeUserNotFound}, nil
	}
	if err != nil {
		return patchOutcome{}, err
	}
	if !pc.allows(cur.Version) {
		return patchOutcome{code: CodePreconditionFailed}, nil
	}
	roleChanged := change.Role != nil && *change.Role != cur.Role
	if roleChanged && cur.Role == db.UserRoleAdmin {
		if code, err := lastAdminGuard(ctx, q); code != "" || err != nil {
			return patchOutcome{code: code}, err
		}
	}
	change.ID = id
	row, err := q.UpdateUser(ctx, change)
	if err != nil {
		return patchOutcome{}, err
	}
	out := patchOutcome{user: db.UserProfile(row)}
	if roleChanged {
		out.revoked, err = q.RevokeUserSessions(ctx, db.RevokeUserSessionsParams{UserID: id, Reason: "role_changed"})
	}
	return out, err
}

// lastAdminGuard refuses to remove the only live admin. The caller holds the
// admin-changes lock, so the count cannot change under it.
func lastAdminGuard(ctx context.Context, q *db.Queries) (string, error) {
	n, err := q.CountLiveAdmins(ctx)
	if err != nil || n > 1 {
		return "", err
	}
	return CodeLastAdmin, nil
}

func lastAdmin(ctx context.Context) api.ConflictApplicationProblemPlusJSONResponse {
	return conflict(ctx, CodeLastAdmin, "This is the last admin; make another user admin first.")
}

// DeleteUser soft-deletes a user (self or admin) and ends all their sessions,
// in one transaction.
func (s *Server) DeleteUser(ctx context.Context, req api.DeleteUserRequestObject) (api.DeleteUserResponseObject, error) {
	if auth.Authorize(principal(ctx), auth.ActionDeleteUser, req.Id) != auth.Allow {
		return api.DeleteUser404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	}
	var code string
	var revoked []uuid.UUID
	err := s.inTx(ctx, func(q *db.Queries) error {
		if err := q.LockAdminChanges(ctx); err != nil {
			return err
		}
		cur, err := q.GetUserForUpdate(ctx, req.Id)
		if errors.Is(err, pgx.ErrNoRows) {
			code = CodeUserNotFound
			return nil
		}
		if err != nil {
			return err
		}
		if cur.Role == db.UserRoleAdmin {
			if code, err = lastAdminGuard(ctx, q); code != "" || err != nil {
				return err
			}
		}
		if _, err := q.SoftDeleteUser(ctx, req.Id); err != nil {
			return err
		}
		revoked, err = q.RevokeUserSessions(ctx, db.RevokeUserSessionsParams{UserID: req.Id, Reason: "user_deleted"})
		return err
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("delete user: %w", err)
	case code == CodeUserNotFound:
		return api.DeleteUser404ApplicationProblemPlusJSONResponse{NotFoundApplicationProblemPlusJSONResponse: userNotFound(ctx)}, nil
	case code == CodeLastAdmin:
		return api.DeleteUser409ApplicationProblemPlusJSONResponse{ConflictApplicationProblemPlusJSONResponse: lastAdmin(ctx)}, nil
	}
	s.revocations.Add(revoked...)
	return api.DeleteUser204Response{}, nil
}
