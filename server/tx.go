package server

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/meridianhq/accounts/gen/db"
)

// inTx runs fn in one transaction: committed when fn returns nil, rolled back
// otherwise. Multi-step writes go through here, so nothing is half-written.
func (s *Server) inTx(ctx context.Context, fn func(q *db.Queries) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(s.q.WithTx(tx)) })
}

// isUniqueViolation reports whether err is SQLSTATE 23505 on the named constraint
// (or unique index).
func isUniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == constraint
}

// constraintEmailTaken is the partial unique index on lower(email) of live users.
const constraintEmailTaken = "users_email_live_key"
