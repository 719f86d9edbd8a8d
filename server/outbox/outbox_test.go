package outbox_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/meridianhq/accounts/server/outbox"
	"github.com/meridianhq/accounts/server/store"
	"github.com/meridianhq/accounts/server/testdb"
)

// noteArgs is a job of the tests: a note to record.
type noteArgs struct {
	Note string `json:"note"`
}

func (noteArgs) Kind() string { return "test_note" }

// noteWorker records the notes it works, and which queue worked them.
type noteWorker struct {
	river.WorkerDefaults[noteArgs]
	mu    sync.Mutex
	notes map[string]int
}

func (w *noteWorker) Work(_ context.Context, job *river.Job[noteArgs]) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.notes[job.Args.Note]++
	return nil
}

func (w *noteWorker) count(note string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.notes[note]
}

func newQueue(t *testing.T, pool *pgxpool.Pool, w *noteWorker, tasks ...outbox.Task) *outbox.Queue {
	t.Helper()
	q, err := outbox.New(outbox.Options{
		Pool: pool, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), PollEvery: 20 * time.Millisecond, Test: true,
		Register: func(ws *river.Workers) { river.AddWorker(ws, w) }, Tasks: tasks,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	return q
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
	}
}

// TestEnqueueCommitsWithTheChange: a job enqueued in a transaction that
// rolls back is never worked; one in a transaction that commits is worked
// once, even with two replicas working the queue.
func TestEnqueueCommitsWithTheChange(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.NewPool(t)
	w1, w2 := &noteWorker{notes: map[string]int{}}, &noteWorker{notes: map[string]int{}}
	q := newQueue(t, pool, w1)
	newQueue(t, pool, w2) // a second replica
	ctx := context.Background()
	errRollback := errors.New("roll back")
	err := store.InTx(ctx, pool, func(tx *store.Tx) error {
		if err := q.Enqueue(ctx, tx, noteArgs{Note: "rolled back"}, nil); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := store.InTx(ctx, pool, func(tx *store.Tx) error {
			return q.Enqueue(ctx, tx, noteArgs{Note: "committed"}, nil)
		}); err != nil {
			t.Fatalf("enqueue %d: %v", i, err)
		}
	}
	eventually(t, "20 committed jobs worked", func() bool { return w1.count("committed")+w2.count("committed") == 20 })
	time.Sleep(200 * time.Millisecond) // time for a duplicate or the rolled-back job to show up
	if n := w1.count("committed") + w2.count("committed"); n != 20 {
		t.Fatalf("committed jobs worked %d times, want 20", n)
	}
	if w1.count("rolled back")+w2.count("rolled back") != 0 {
		t.Fatal("a job of a rolled-back transaction was worked")
	}
	st, err := q.Stats(ctx)
	if err != nil || st.Queued != 0 || st.Failed != 0 {
		t.Fatalf("stats %+v, %v; want an empty queue", st, err)
	}
}

// TestTasksRunOncePerInterval: a scheduled task runs at start and then every
// interval, on one of the replicas at a time.
func TestTasksRunOncePerInterval(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.NewPool(t)
	var runs atomic.Int64
	task := outbox.Task{Name: "count", Run: func(context.Context) (int64, error) { runs.Add(1); return 1, nil }}
	a := newQueue(t, pool, &noteWorker{notes: map[string]int{}}, task)
	b := newQueue(t, pool, &noteWorker{notes: map[string]int{}}, task)
	a.Schedule(time.Second)
	b.Schedule(time.Second)
	eventually(t, "the task ran at start", func() bool { return runs.Load() >= 1 })
	time.Sleep(2500 * time.Millisecond)
	// At start, then about every second: 3 or 4 runs in 2.5 s, never one per
	// replica per interval (6 or more).
	if n := runs.Load(); n < 2 || n > 4 {
		t.Fatalf("the task ran %d times in about 2.5s at a 1s interval over two replicas", n)
	}
}

func TestNewRefusesBadTasks(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.NewPool(t)
	run := func(context.Context) (int64, error) { return 0, nil }
	for name, tasks := range map[string][]outbox.Task{
		"NoName":    {{Run: run}},
		"NoRun":     {{Name: "x"}},
		"Duplicate": {{Name: "x", Run: run}, {Name: "x", Run: run}},
	} {
		if _, err := outbox.New(outbox.Options{Pool: pool, Logger: slog.Default(), Tasks: tasks}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := outbox.New(outbox.Options{}); err == nil {
		t.Error("no pool: accepted")
	}
}
