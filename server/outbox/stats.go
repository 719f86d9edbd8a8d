package outbox

import (
	"context"
	"time"
)

// Stats is the state of the queue, for the metrics.
type Stats struct {
	// Queued are the jobs waiting to be worked: available, scheduled or
	// waiting for a retry.
	Queued int64
	// Failed are the jobs River gave up on (discarded), kept a day.
	Failed int64
	// OldestAge is how long the oldest available job has waited; 0: none.
	OldestAge time.Duration
}

// Stats reads the state of the queue in one query over River's table.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	var oldest float64
	err := q.pool.QueryRow(ctx, `SELECT
		count(*) FILTER (WHERE state IN ('available', 'scheduled', 'retryable')),
		count(*) FILTER (WHERE state = 'discarded'),
		coalesce(extract(epoch FROM now() - min(scheduled_at) FILTER (WHERE state = 'available')), 0)
		FROM river_job`).Scan(&s.Queued, &s.Failed, &oldest)
	s.OldestAge = time.Duration(oldest * float64(time.Second))
	return s, err
}
