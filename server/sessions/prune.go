package sessions

import (
	"context"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/store"
)

// Prune deletes the sessions (and their refresh tokens) that were revoked or
// expired more than the retention ago, in batches, and returns how many.
func (s *Service) Prune(ctx context.Context) (int64, error) {
	return store.PruneInBatches(ctx, func(ctx context.Context, batch int32) (int64, error) {
		return s.q.DeleteEndedSessions(ctx, db.DeleteEndedSessionsParams{RetentionSeconds: s.policy.Retention.Seconds(), Batch: batch})
	})
}
