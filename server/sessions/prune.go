package sessions

import (
	"context"
	"log/slog"
	"time"

	"github.com/meridianhq/accounts/gen/db"
)

// pruneBatch is how many sessions one statement deletes.
const pruneBatch = 1000

// Prune deletes the sessions (and their refresh tokens) that were revoked or
// expired more than the retention ago, in batches, and returns how many.
func (s *Service) Prune(ctx context.Context) (int64, error) {
	var total int64
	for {
		n, err := s.q.DeleteEndedSessions(ctx, db.DeleteEndedSessionsParams{
			RetentionSeconds: s.policy.Retention.Seconds(), Batch: pruneBatch,
		})
		total += n
		if err != nil || n < pruneBatch {
			return total, err
		}
	}
}

// PruneEvery runs Prune every interval until ctx ends. Every replica may run
// it: the batches skip rows another one has locked.
func (s *Service) PruneEvery(ctx context.Context, interval time.Duration) {
	for sleep(ctx, interval) {
		n, err := s.Prune(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("pruning ended sessions failed", slog.Any("error", err))
		case n > 0:
			s.log.Info("pruned ended sessions", slog.Int64("sessions", n))
		}
	}
}
