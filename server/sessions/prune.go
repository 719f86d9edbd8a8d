package sessions

import (
	"context"

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
