package audit

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/store"
)

// Log reads and prunes the audit events.
type Log struct {
	q         *db.Queries
	retention time.Duration
}

// NewLog returns the log over pool; events older than retention are pruned.
func NewLog(pool *pgxpool.Pool, retention time.Duration) *Log {
	return &Log{q: db.New(pool), retention: retention}
}

// Filter selects events. Nil members and no actions do not filter.
type Filter struct {
	Actor, Target *uuid.UUID
	Actions       []Action
	Since, Until  *time.Time
}

// List returns up to limit events of f after the row after (nil: from the
// newest), newest first, by keyset: the cost never grows with the depth.
func (l *Log) List(ctx context.Context, f Filter, after *auth.Cursor, limit int) ([]db.AuditEvent, error) {
	arg := db.ListAuditEventsParams{ActorID: f.Actor, TargetID: f.Target, Since: f.Since, Until: f.Until,
		Actions: make([]string, len(f.Actions)), PageSize: int32(limit)}
	for i, a := range f.Actions {
		arg.Actions[i] = string(a)
	}
	if after != nil {
		arg.AfterAt, arg.AfterID = &after.CreatedAt, &after.ID
	}
	return l.q.ListAuditEvents(ctx, arg)
}

// Prune deletes the events older than the retention, in batches.
func (l *Log) Prune(ctx context.Context) (int64, error) {
	return store.PruneInBatches(ctx, func(ctx context.Context, batch int32) (int64, error) {
		return l.q.DeleteOldAuditEvents(ctx, db.DeleteOldAuditEventsParams{RetentionSeconds: l.retention.Seconds(), Batch: batch})
	})
}
