package users

import (
	"context"
	"strings"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
)

// Filter selects and orders a listing. Nil members do not filter.
type Filter struct {
	// Email is an exact address, already normalised (NormalizeFilterEmail).
	Email *string
	// Prefix matches the start of the address or the name.
	Prefix *string
	Role   *auth.Role
	// Deleted lists deleted users instead of live ones.
	Deleted bool
	// Disabled lists only disabled (true) or enabled (false) users.
	Disabled *bool
	// OldestFirst orders by creation, oldest first; otherwise newest first.
	OldestFirst bool
}

// NormalizeFilterEmail checks an address to filter by: FieldErrors naming
// field, or the normalised address.
func NormalizeFilterEmail(field, email string) (string, error) {
	var fields FieldErrors
	email = fields.check(field, email, auth.NormalizeEmail)
	return email, fields.err()
}

// List returns up to limit users of f after the row after (nil: from the
// start), in f's order, by keyset: the cost never grows with the depth of the
// page.
func (us *Service) List(ctx context.Context, f Filter, after *auth.Cursor, limit int) ([]db.UserProfile, error) {
	arg := db.ListUsersNewestFirstParams{Deleted: f.Deleted, Disabled: f.Disabled, PageSize: int32(limit)}
	if f.Email != nil {
		key := auth.EmailKey(*f.Email)
		arg.EmailKey = &key
	}
	if f.Role != nil {
		role := db.UserRole(*f.Role)
		arg.Role = &role
	}
	if after != nil {
		arg.AfterCreatedAt, arg.AfterID = &after.CreatedAt, &after.ID
	}
	switch {
	case f.Prefix == nil && f.OldestFirst:
		return us.q.ListUsersOldestFirst(ctx, db.ListUsersOldestFirstParams(arg))
	case f.Prefix == nil:
		return us.q.ListUsersNewestFirst(ctx, arg)
	}
	rows, err := us.q.ListUsersByPrefix(ctx, db.ListUsersByPrefixParams{
		Pattern: likePrefix(*f.Prefix), OldestFirst: f.OldestFirst, Deleted: arg.Deleted, EmailKey: arg.EmailKey,
		Role: arg.Role, Disabled: arg.Disabled, AfterCreatedAt: arg.AfterCreatedAt, AfterID: arg.AfterID, PageSize: arg.PageSize,
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
