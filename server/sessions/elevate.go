package sessions

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/store"
)

// ErrSessionEnded: the session to elevate is not a live session of the user.
var ErrSessionEnded = errors.New("sessions: the session has ended")

// Elevate raises a live session of user to aal2 after a second factor by
// method, inside tx: its refresh tokens so far are spent, and the returned
// pair (a new refresh token, an aal2 access token) replaces them.
//
// It locks in the order a refresh does (the refresh tokens, then the session),
// so that a refresh racing the verification waits instead of deadlocking.
func (s *Service) Elevate(ctx context.Context, tx *store.Tx, user, session uuid.UUID, method string) (Pair, error) {
	if err := tx.SpendSessionRefreshTokens(ctx, session); err != nil {
		return Pair{}, err
	}
	n, err := tx.ElevateSession(ctx, db.ElevateSessionParams{ID: session, UserID: user, Method: method,
		IdleTimeoutSeconds: s.policy.IdleTimeout.Seconds()})
	if err != nil {
		return Pair{}, err
	}
	if n != 1 {
		return Pair{}, ErrSessionEnded
	}
	// Again, now that the session is locked: a refresh that committed while
	// the first statement waited left a token that statement could not see.
	if err := tx.SpendSessionRefreshTokens(ctx, session); err != nil {
		return Pair{}, err
	}
	row, err := tx.GetSessionAssurance(ctx, session)
	if err != nil {
		return Pair{}, err
	}
	return s.mint(ctx, tx, auth.Subject{UserID: user, SessionID: session, Role: auth.Role(row.Role), EmailVerified: row.EmailVerified,
		Assurance: auth.Assurance{Level: auth.Level(row.Aal), Methods: row.Amr}})
}
