package server

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
)

const defaultPageSize = 20

// userFilter is a listing's filters and order, normalised.
type userFilter struct {
	email       *string
	q           *string
	role        *db.UserRole
	deleted     bool
	oldestFirst bool
	limit       int
}

// listFilter reads the query parameters the schema has already checked, and
// checks the address, which it cannot.
func listFilter(p api.ListUsersParams) (userFilter, FieldErrors) {
	f := userFilter{limit: defaultPageSize, q: p.Q}
	if p.Limit != nil {
		f.limit = *p.Limit
	}
	var fields FieldErrors
	if p.Email != nil {
		email := fields.check("email", *p.Email, auth.NormalizeEmail)
		f.email = &email
	}
	if p.Role != nil {
		role := db.UserRole(*p.Role)
		f.role = &role
	}
	f.deleted = p.Deleted != nil && *p.Deleted
	f.oldestFirst = p.Sort != nil && *p.Sort == api.CreatedAt
	return f, fields
}

// query returns the parameters of the listing, without the page size, as the
// Link header repeats them; their encoding is also the scope a cursor is bound to.
func (f userFilter) query() url.Values {
	v := url.Values{}
	if f.email != nil {
		v.Set("email", strings.ToLower(*f.email))
	}
	if f.q != nil {
		v.Set("q", *f.q)
	}
	if f.role != nil {
		v.Set("role", string(*f.role))
	}
	v.Set("deleted", strconv.FormatBool(f.deleted))
	v.Set("sort", "-created_at")
	if f.oldestFirst {
		v.Set("sort", "created_at")
	}
	return v
}

// ListUsers lists users by keyset pagination, for admins.
func (s *Server) ListUsers(ctx context.Context, req api.ListUsersRequestObject) (api.ListUsersResponseObject, error) {
	if auth.Authorize(principal(ctx), auth.ActionListUsers, uuid.Nil) != auth.Allow {
		return api.ListUsers403ApplicationProblemPlusJSONResponse{ForbiddenApplicationProblemPlusJSONResponse: forbidden(ctx, adminOnly)}, nil
	}
	f, fields := listFilter(req.Params)
	if len(fields) > 0 {
		return api.ListUsers400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: invalid(ctx, fields...)}, nil
	}
	scope := f.query().Encode()
	var after *auth.Cursor
	if req.Params.Cursor != nil {
		c, err := s.cursors.Decode(*req.Params.Cursor, scope)
		if err != nil {
			pr := newProblem(ctx, 400, CodeInvalidCursor, "The cursor was altered, or belongs to other filters or another sort.",
				fieldError("cursor", "is not a cursor of this listing"))
			return api.ListUsers400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: api.BadRequestApplicationProblemPlusJSONResponse(pr)}, nil
		}
		after = &c
	}
	rows, err := s.listUsers(ctx, f, after)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	page := api.UserList{Items: make([]api.User, 0, min(len(rows), f.limit))}
	for _, r := range rows[:min(len(rows), f.limit)] {
		page.Items = append(page.Items, toUser(r))
	}
	res := api.ListUsers200JSONResponse{Body: page}
	if len(rows) > f.limit {
		last := rows[f.limit-1]
		next := s.cursors.Encode(auth.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}, scope)
		link := f.query()
		link.Set("limit", strconv.Itoa(f.limit))
		link.Set("cursor", next)
		header := "</api/v1/users?" + link.Encode() + `>; rel="next"`
		res.Body.NextCursor, res.Headers.Link = &next, &header
	}
	return res, nil
}

// listUsers runs the page query, one row more than the page to know whether
// another page follows.
func (s *Server) listUsers(ctx context.Context, f userFilter, after *auth.Cursor) ([]db.UserProfile, error) {
	arg := db.ListUsersNewestFirstParams{Deleted: f.deleted, Email: f.email, Role: f.role, PageSize: int32(f.limit + 1)}
	if after != nil {
		arg.AfterCreatedAt, arg.AfterID = &after.CreatedAt, &after.ID
	}
	switch {
	case f.q == nil && f.oldestFirst:
		return s.q.ListUsersOldestFirst(ctx, db.ListUsersOldestFirstParams(arg))
	case f.q == nil:
		return s.q.ListUsersNewestFirst(ctx, arg)
	}
	rows, err := s.q.ListUsersByPrefix(ctx, db.ListUsersByPrefixParams{
		Pattern: likePrefix(*f.q), OldestFirst: f.oldestFirst, Deleted: arg.Deleted, Email: arg.Email,
		Role: arg.Role, AfterCreatedAt: arg.AfterCreatedAt, AfterID: arg.AfterID, PageSize: arg.PageSize,
	})
	out := make([]db.UserProfile, len(rows))
	for i, r := range rows {
		out[i] = db.UserProfile(r)
	}
	return out, err
}

// likePrefix is a LIKE pattern matching strings that start with s, with the
// pattern characters of s escaped.
func likePrefix(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}
