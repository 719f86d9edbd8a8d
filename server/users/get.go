package users

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/meridianhq/accounts/gen/db"
)

// Get returns a live user, or ErrNotFound.
func (us *Service) Get(ctx context.Context, id uuid.UUID) (db.UserProfile, error) {
	u, err := us.q.GetUserByID(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return db.UserProfile{}, ErrNotFound
	}
	return u, err
}
