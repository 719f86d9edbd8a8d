package sessions

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/audit"
	"github.com/meridianhq/accounts/server/store"
)

// The sessions of a user named by id (GET and DELETE /users/{id}/sessions, by
// the user themself or an admin: the caller is authorized already, and is the
// actor of the events). Unlike the caller's own sessions, the user may not
// exist: these check it, in the transaction of the change.

// The outcomes of the operations on a user's sessions.
var (
	// ErrUserNotFound: no live user has the id.
	ErrUserNotFound = errors.New("sessions: no live user has this id")
	// ErrNotFound: the user has no live session with the id.
	ErrNotFound = errors.New("sessions: the user has no live session with this id")
)

// ListOfUser returns the live sessions of user, newest first, or
// ErrUserNotFound.
func (s *Service) ListOfUser(ctx context.Context, user uuid.UUID) ([]db.ListLiveSessionsByUserRow, error) {
	if err := liveUser(ctx, s.q, user); err != nil {
		return nil, err
	}
	return s.List(ctx, user)
}

// EndOfUser ends one live session of user, and records session.revoked. Its
// errors: ErrUserNotFound, ErrNotFound (a session of another user included),
// or anything else for a failure.
func (s *Service) EndOfUser(ctx context.Context, user, session uuid.UUID) error {
	return store.InTx(ctx, s.pool, func(tx *store.Tx) error {
		if err := liveUser(ctx, tx.Queries, user); err != nil {
			return err
		}
		found, err := s.end(ctx, tx, user, session, ReasonSessionDeleted)
		if err == nil && !found {
			return ErrNotFound
		}
		return err
	})
}

// EndAllOfUser ends every live session of user (none is fine), and records
// one session.revoked with the number ended. Its errors: ErrUserNotFound, or
// anything else for a failure.
func (s *Service) EndAllOfUser(ctx context.Context, user uuid.UUID) error {
	return store.InTx(ctx, s.pool, func(tx *store.Tx) error {
		if err := liveUser(ctx, tx.Queries, user); err != nil {
			return err
		}
		n, err := s.revokeAll(ctx, tx, user, nil, ReasonSessionDeleted)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx.Queries, audit.Event{Action: endAction(ReasonSessionDeleted), Target: &user,
			Details: map[string]any{"reason": string(ReasonSessionDeleted), "sessions": n}})
	})
}

// liveUser is nil when a live user has the id, else ErrUserNotFound.
func liveUser(ctx context.Context, q *db.Queries, user uuid.UUID) error {
	_, err := q.GetUserByID(ctx, user)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrUserNotFound
	}
	return err
}
