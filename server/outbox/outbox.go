// Package outbox is the service's transactional outbox and job queue, on
// River (github.com/riverqueue/river): a job (a mail to send, say) is
// inserted in the same transaction as the change that causes it, so a crash
// can neither send a mail for a change that did not commit nor lose one for a
// change that did; any number of replicas work the queue, each job locked by
// one of them, retried with backoff when it fails. Periodic maintenance (the
// pruning of ended sessions, old audit events and spent rate limits) runs on
// it too, once per interval across all replicas rather than once per replica.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/meridianhq/accounts/server/store"
)

// Retention and timing of jobs. A finished job's arguments (a mail's link
// token among them) leave the database a minute after it is done; a job that
// failed for good stays a day, for an operator to look at.
const (
	completedRetention = time.Minute
	discardedRetention = 24 * time.Hour
	jobTimeout         = 30 * time.Second
	rescueAfter        = 2 * time.Minute
	workers            = 4
)

// Options configure a Queue.
type Options struct {
	// Pool is where the jobs live. Required.
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// PollOnly finds new jobs by polling rather than LISTEN, for a pool behind
	// a transaction pooler (PgBouncer), where LISTEN cannot work.
	PollOnly bool
	// PollEvery is how often idle workers look for jobs; 0: River's 1s.
	PollEvery time.Duration
	// Register adds the workers of the jobs the service enqueues.
	Register func(*river.Workers)
	// Tasks are the periodic tasks; Schedule sets them going.
	Tasks []Task
	// Test shortens River's start-up jitter; never in production.
	Test bool
}

// Queue enqueues jobs inside transactions and works them.
type Queue struct {
	client *river.Client[pgx.Tx]
	pool   *pgxpool.Pool
	tasks  *taskWorker
}

// New builds the queue of o; Start works it.
func New(o Options) (*Queue, error) {
	if o.Pool == nil || o.Logger == nil {
		return nil, errors.New("outbox: Options.Pool and Logger are required")
	}
	ws := river.NewWorkers()
	if o.Register != nil {
		o.Register(ws)
	}
	tasks, err := registerTasks(ws, o.Tasks, o.Logger)
	if err != nil {
		return nil, err
	}
	client, err := river.NewClient(riverpgxv5.New(o.Pool), &river.Config{
		Logger:                      riverLog(o.Logger),
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workers}},
		Workers:                     ws,
		PollOnly:                    o.PollOnly,
		FetchPollInterval:           o.PollEvery,
		FetchCooldown:               min(o.PollEvery, river.FetchCooldownDefault),
		CompletedJobRetentionPeriod: completedRetention,
		DiscardedJobRetentionPeriod: discardedRetention,
		JobTimeout:                  jobTimeout,
		RescueStuckJobsAfter:        rescueAfter,
		TestOnly:                    o.Test,
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return &Queue{client: client, pool: o.Pool, tasks: tasks}, nil
}

// Enqueue inserts a job in tx: it exists, and will be worked, if and only if
// tx commits.
func (q *Queue) Enqueue(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if _, err := q.client.InsertTx(ctx, tx.Pgx(), args, opts); err != nil {
		return fmt.Errorf("outbox: enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// Start works the queue until Stop, or until ctx ends.
func (q *Queue) Start(ctx context.Context) error { return q.client.Start(ctx) }

// Stop lets running jobs finish (within ctx) and stops.
func (q *Queue) Stop(ctx context.Context) error { return q.client.Stop(ctx) }
