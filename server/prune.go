package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/meridianhq/accounts/gen/db"
)

// pruneBatch is how many sessions one statement deletes.
const pruneBatch = 1000

// PruneSessions deletes the sessions (and their refresh tokens) that were
// revoked or expired more than retention ago, in batches, and returns how many.
func (s *Server) PruneSessions(ctx context.Context, retention time.Duration) (int64, error) {
	var total int64
	for {
		n, err := s.q.DeleteEndedSessions(ctx, db.DeleteEndedSessionsParams{
			RetentionSeconds: retention.Seconds(), Batch: pruneBatch,
		})
		total += n
		if err != nil || n < pruneBatch {
			return total, err
		}
	}
}

// PruneSessionsEvery runs PruneSessions every interval until ctx ends. Every
// replica may run it: the batches skip rows another one has locked.
func (s *Server) PruneSessionsEvery(ctx context.Context, interval, retention time.Duration) {
	for sleep(ctx, interval) {
		n, err := s.PruneSessions(ctx, retention)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("pruning ended sessions failed", slog.Any("error", err))
		case n > 0:
			s.log.Info("pruned ended sessions", slog.Int64("sessions", n))
		}
	}
}
