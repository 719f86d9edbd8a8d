package sessions

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/meridianhq/accounts/server/audit"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/store"
)

// Outcome is what a refresh decided.
type Outcome int

// The outcomes of Rotate.
const (
	// Rotated: the token was used up and a new pair issued.
	Rotated Outcome = iota
	// Invalid: the token is unknown, or its session ended, expired or went idle.
	Invalid
	// Reused: the token had been used before; its whole session is now ended.
	Reused
)

// Rotation is the result of Rotate; Pair is set when Outcome is Rotated.
type Rotation struct {
	Outcome Outcome
	Pair    Pair
}

// Rotate uses up a refresh token and issues the next, in one transaction that
// holds the token's row lock, so concurrent refreshes of one token serialize.
// Presenting a used token (outside the reuse leeway) ends its session; that is a
// result, not an error, because the revocation must commit.
func (s *Service) Rotate(ctx context.Context, refresh string) (Rotation, error) {
	var out Rotation
	err := store.InTx(ctx, s.pool, func(tx *store.Tx) (err error) {
		out, err = s.rotate(ctx, tx, refresh)
		return err
	})
	return out, err
}

func (s *Service) rotate(ctx context.Context, tx *store.Tx, refresh string) (Rotation, error) {
	hash := auth.HashOpaqueToken(refresh)
	row, err := tx.GetRefreshTokenForUpdate(ctx, hash[:])
	if errors.Is(err, pgx.ErrNoRows) {
		return Rotation{Outcome: Invalid}, nil
	}
	if err != nil {
		return Rotation{}, err
	}
	switch {
	case row.RevokedAt != nil || row.UserDeleted || row.UserDisabled || !row.Now.Before(row.ExpiresAt) ||
		!row.Now.Before(row.LastUsedAt.Add(s.policy.IdleTimeout)):
		return Rotation{Outcome: Invalid}, nil
	case row.UsedAt != nil && (row.ReplayedAt != nil || !s.withinReuseLeeway(row.Now.Sub(*row.UsedAt))):
		return Rotation{Outcome: Reused}, s.reused(ctx, tx, row.UserID, row.SessionID)
	}
	mark := tx.MarkRefreshTokenUsed
	if row.UsedAt != nil {
		mark = tx.MarkRefreshTokenReplayed // its one replay within the leeway
	}
	if err := mark(ctx, hash[:]); err != nil {
		return Rotation{}, err
	}
	// A refresh keeps the session's level; a factor enrolled since (in
	// another session) makes an aal1 session verify it.
	as := auth.Assurance{Level: auth.Level(row.Aal), Methods: row.Amr}
	pair, err := s.mint(ctx, tx, auth.Subject{UserID: row.UserID, SessionID: row.SessionID, Role: auth.Role(row.Role), EmailVerified: row.EmailVerified,
		Assurance: as, MFARequired: row.MfaActive && as.Level < auth.AAL2})
	if err != nil {
		return Rotation{}, err
	}
	if err := tx.TouchSession(ctx, row.SessionID); err != nil {
		return Rotation{}, err
	}
	return Rotation{Outcome: Rotated, Pair: pair}, nil
}

// reused ends the session of a refresh token presented again, records it, and
// says so at WARN: the signal of a stolen token.
func (s *Service) reused(ctx context.Context, tx *store.Tx, user, session uuid.UUID) error {
	if err := s.endByID(ctx, tx, session, ReasonRefreshReused); err != nil {
		return err
	}
	tx.AfterCommit(func() {
		s.log.LogAttrs(ctx, slog.LevelWarn, "refresh token reused; its session is ended",
			slog.String("user_id", user.String()), slog.String("session_id", session.String()),
			slog.String("request_id", audit.OriginFrom(ctx).RequestID))
	})
	return audit.Record(ctx, tx.Queries, audit.Event{Action: audit.SessionRefreshReused, Target: &user, Session: &session})
}

// withinReuseLeeway reports whether a token used age ago may be used again. A
// negative age is a refresh that raced the one that used the token.
func (s *Service) withinReuseLeeway(age time.Duration) bool {
	return s.policy.ReuseLeeway > 0 && age <= s.policy.ReuseLeeway
}
