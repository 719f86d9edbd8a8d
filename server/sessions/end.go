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

// End ends one live session of user. It reports false when the user has no
// live session with that id (another user's session is not theirs to end).
func (s *Service) End(ctx context.Context, user, session uuid.UUID, reason Reason) (bool, error) {
	var found bool
	err := store.InTx(ctx, s.pool, func(tx *store.Tx) (err error) {
		found, err = s.end(ctx, tx, user, session, reason)
		return err
	})
	return found, err
}

// end is End inside tx: the revocation, the revoked set after commit, and the
// event, when user has a live session with that id.
func (s *Service) end(ctx context.Context, tx *store.Tx, user, session uuid.UUID, reason Reason) (bool, error) {
	n, err := tx.RevokeSession(ctx, db.RevokeSessionParams{ID: session, UserID: user, Reason: string(reason)})
	if err != nil || n == 0 {
		return false, err
	}
	s.markRevokedAfterCommit(tx, session)
	return true, audit.Record(ctx, tx.Queries, audit.Event{Action: endAction(reason), Target: &user, Session: &session,
		Details: map[string]any{"reason": string(reason)}})
}

// endAction is the audit action of sessions ended for reason: a logout, or
// the session ended from the list of sessions. Sessions ended by a password,
// role or deletion change are in that change's event.
func endAction(reason Reason) audit.Action {
	if reason == ReasonSessionDeleted {
		return audit.SessionRevoked
	}
	return audit.SessionLoggedOut
}

// EndAll ends every live session of user but keep (nil: all of them): a
// logout of the others or of all, which is audited.
func (s *Service) EndAll(ctx context.Context, user uuid.UUID, keep *uuid.UUID, reason Reason) error {
	return store.InTx(ctx, s.pool, func(tx *store.Tx) error {
		if err := s.EndAllTx(ctx, tx, user, keep, reason); err != nil {
			return err
		}
		return audit.Record(ctx, tx.Queries, audit.Event{Action: endAction(reason), Target: &user, Session: keep,
			Details: map[string]any{"reason": string(reason)}})
	})
}

// EndAllTx is EndAll inside the caller's transaction: a password change, a role
// change or a deletion ends the user's sessions in the transaction that makes it.
func (s *Service) EndAllTx(ctx context.Context, tx *store.Tx, user uuid.UUID, keep *uuid.UUID, reason Reason) error {
	_, err := s.revokeAll(ctx, tx, user, keep, reason)
	return err
}

// revokeAll revokes every live session of user but keep inside tx, adds them
// to the revoked set after commit, and returns how many it revoked.
func (s *Service) revokeAll(ctx context.Context, tx *store.Tx, user uuid.UUID, keep *uuid.UUID, reason Reason) (int, error) {
	ids, err := tx.RevokeUserSessions(ctx, db.RevokeUserSessionsParams{UserID: user, KeepID: keep, Reason: string(reason)})
	if err != nil {
		return 0, err
	}
	s.markRevokedAfterCommit(tx, ids...)
	return len(ids), nil
}

// endByID ends a session whatever its owner, inside tx.
func (s *Service) endByID(ctx context.Context, tx *store.Tx, session uuid.UUID, reason Reason) error {
	if err := tx.RevokeSessionByID(ctx, db.RevokeSessionByIDParams{ID: session, Reason: string(reason)}); err != nil {
		return err
	}
	s.markRevokedAfterCommit(tx, session)
	return nil
}

// markRevokedAfterCommit adds the sessions to this replica's revoked set once tx has
// committed, before their notification comes back; the other replicas learn of
// them through the notification.
func (s *Service) markRevokedAfterCommit(tx *store.Tx, sessions ...uuid.UUID) {
	if len(sessions) > 0 {
		tx.AfterCommit(func() { s.revoked.add(sessions...) })
	}
}

// StillOn reports, in tx, whether session of user has been neither ended
// (revoked) nor outlived, and holds it so until tx ends: a change that the
// session asked for applies only while it is on (an email change confirmed
// from the new address, say, after the user ended a stolen session).
func (s *Service) StillOn(ctx context.Context, tx *store.Tx, user, session uuid.UUID) (bool, error) {
	_, err := tx.LockUnendedSession(ctx, db.LockUnendedSessionParams{ID: session, UserID: user})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
