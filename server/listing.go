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
	"github.com/meridianhq/accounts/server/users"
)

const defaultPageSize = 20

// listing is a listing's filters and page size, normalised.
type listing struct {
	users.Filter
	limit int
}

// listingOf reads the query parameters the schema has already checked, and
// checks the address, which it cannot.
func listingOf(p api.ListUsersParams) (listing, error) {
	l := listing{limit: pageSize(p.Limit), Filter: users.Filter{Prefix: p.Q}}
	if p.Email != nil {
		email, err := users.NormalizeFilterEmail("email", *p.Email)
		if err != nil {
			return l, err
		}
		l.Email = &email
	}
	if p.Role != nil {
		role := auth.Role(*p.Role)
		l.Role = &role
	}
	l.Deleted = p.Deleted != nil && *p.Deleted
	l.Disabled = p.Disabled
	l.OldestFirst = p.Sort != nil && *p.Sort == api.CreatedAt
	return l, nil
}

// query returns the parameters of the listing, without the page size, as the
// Link header repeats them; their encoding is also the scope a cursor is bound to.
func (l listing) query() url.Values {
	v := url.Values{}
	if l.Email != nil {
		v.Set("email", strings.ToLower(*l.Email))
	}
	if l.Prefix != nil {
		v.Set("q", *l.Prefix)
	}
	if l.Role != nil {
		v.Set("role", string(*l.Role))
	}
	v.Set("deleted", strconv.FormatBool(l.Deleted))
	if l.Disabled != nil {
		v.Set("disabled", strconv.FormatBool(*l.Disabled))
	}
	v.Set("sort", "-created_at")
	if l.OldestFirst {
		v.Set("sort", "created_at")
	}
	return v
}

// ListUsers lists users by keyset pagination, for admins.
func (s *Server) ListUsers(ctx context.Context, req api.ListUsersRequestObject) (api.ListUsersResponseObject, error) {
	if auth.Authorize(principal(ctx), auth.ActionListUsers, uuid.Nil) != auth.Allow {
		return api.ListUsers403ApplicationProblemPlusJSONResponse{ForbiddenApplicationProblemPlusJSONResponse: forbidden(ctx, adminOnly)}, nil
	}
	l, err := listingOf(req.Params)
	if p, ok := badRequest(ctx, err); ok {
		return api.ListUsers400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: p}, nil
	}
	scope := l.query().Encode()
	after, ok := s.afterCursor(req.Params.Cursor, scope)
	if !ok {
		return api.ListUsers400ApplicationProblemPlusJSONResponse{BadRequestApplicationProblemPlusJSONResponse: invalidCursor(ctx)}, nil
	}
	// One row more than the page, to know whether another page follows.
	rows, err := s.Users.List(ctx, l.Filter, after, l.limit+1)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return s.userPage(rows, l, scope), nil
}

// userPage is the page of rows (up to one more than the page size): the items
// and, when more follow, the next cursor and its Link.
func (s *Server) userPage(rows []db.UserProfile, l listing, scope string) api.ListUsers200JSONResponse {
	n := min(len(rows), l.limit)
	res := api.ListUsers200JSONResponse{Body: api.UserList{Items: make([]api.User, n)}}
	for i, r := range rows[:n] {
		res.Body.Items[i] = toUser(r)
	}
	if len(rows) > l.limit {
		last := rows[l.limit-1]
		res.Body.NextCursor, res.Headers.Link = s.nextPage("/api/v1/users", l.query(), scope, l.limit, auth.Cursor{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	return res
}
