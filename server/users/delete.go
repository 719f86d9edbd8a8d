package users

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/audit"
	"github.com/meridianhq/accounts/server/sessions"
	"github.com/meridianhq/accounts/server/store"
)

// Delete soft-deletes a user and ends all their sessions, in one transaction.
// Its errors: ErrNotFound, ErrLastAdmin, or anything else for a failure.
func (us *Service) Delete(ctx context.Context, id uuid.UUID) error {
	return store.InTx(ctx, us.pool, func(tx *store.Tx) error {
		if err := tx.LockAdminChanges(ctx); err != nil {
			return err
		}
		cur, err := lockUser(ctx, tx, id)
		if err != nil {
			return err
		}
		if isEnabledAdmin(cur) {
			if err := lastAdminGuard(ctx, tx); err != nil {
				return err
			}
		}
		if _, err := tx.SoftDeleteUser(ctx, id); err != nil {
			return err
		}
		if err := us.sessions.EndAllTx(ctx, tx, id, nil, sessions.ReasonUserDeleted); err != nil {
			return err
		}
		return audit.Record(ctx, tx.Queries, audit.Event{Action: audit.UserDeleted, Target: audit.Ptr(id)})
	})
}

// Restore undoes a soft delete. Its errors: ErrEmailTaken (a live user has
// taken the address since), ErrNotDeleted, ErrNotFound, or anything else.
func (us *Service) Restore(ctx context.Context, id uuid.UUID) (db.UserProfile, error) {
	var row db.RestoreUserRow
	err := store.InTx(ctx, us.pool, func(tx *store.Tx) (err error) {
		if row, err = tx.RestoreUser(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx.Queries, audit.Event{Action: audit.UserRestored, Target: audit.Ptr(id)})
	})
	switch {
	case store.IsUniqueViolation(err, store.UniqueUsersEmailLive):
		return db.UserProfile{}, ErrEmailTaken
	case errors.Is(err, pgx.ErrNoRows):
		exists, err := us.q.UserExists(ctx, id)
		switch {
		case err != nil:
			return db.UserProfile{}, err
		case exists:
			return db.UserProfile{}, ErrNotDeleted
		}
		return db.UserProfile{}, ErrNotFound
	}
	return db.UserProfile(row), err
}
