package store

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// UniqueConstraint names a unique constraint or unique index of the schema
// (schema/*.sql); a test checks that each one exists.
type UniqueConstraint string

// UniqueUsersEmailLive is the partial unique index on email_key of live users.
const UniqueUsersEmailLive UniqueConstraint = "users_email_key_live_key"

// UniqueConstraints lists every named constraint above.
var UniqueConstraints = []UniqueConstraint{UniqueUsersEmailLive}

// IsUniqueViolation reports whether err is SQLSTATE 23505 on constraint c.
// Uniqueness is always left to the database: insert, then recognise this error;
// never check first.
func IsUniqueViolation(err error, c UniqueConstraint) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == string(c)
}
