package auth

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestCPUSlots_Queue fills one slot and checks what the next callers get: a
// place in the queue up to its length, then ErrOverloaded at once; and
// ErrOverloaded once the wait bound passes.
func TestCPUSlots_Queue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		queue   Queue
		waiters int
		want    error
	}{
		{"QueueFullRefusesAtOnce", Queue{Max: 2, Wait: time.Minute}, 2, ErrOverloaded},
		{"WaitBoundRefuses", Queue{Max: 10, Wait: 20 * time.Millisecond}, 0, ErrOverloaded},
		// The deadline passing in the queue is overload too (503 OVERLOADED,
		// not an outage of the database).
		{"UnboundedWaitsForTheContext", Queue{}, 3, context.DeadlineExceeded},
		{"UnboundedWaitsForTheContextOverloaded", Queue{}, 3, ErrOverloaded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewCPUSlots(1, tt.queue)
			release := make(chan struct{})
			started := make(chan struct{})
			go func() { _ = c.Do(context.Background(), func() error { close(started); <-release; return nil }) }()
			<-started
			done := make(chan error, tt.waiters)
			for range tt.waiters {
				go func() { done <- c.Do(context.Background(), func() error { return nil }) }()
			}
			for c.Waiting() < tt.waiters {
				time.Sleep(time.Millisecond)
			}
			if tt.queue.Max > 0 && tt.waiters >= tt.queue.Max {
				if err := c.Admit(); !errors.Is(err, ErrOverloaded) {
					t.Fatalf("Admit with a full queue = %v", err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if err := c.Do(ctx, func() error { t.Error("ran without a slot"); return nil }); !errors.Is(err, tt.want) {
				t.Fatalf("Do = %v; want %v", err, tt.want)
			}
			close(release)
			for range tt.waiters {
				if err := <-done; err != nil {
					t.Errorf("a queued caller got %v; want its turn", err)
				}
			}
			if err := c.Admit(); err != nil || c.Waiting() != 0 {
				t.Fatalf("after the queue drained: Admit %v, %d waiting", err, c.Waiting())
			}
		})
	}
}

func TestDefaultQueue(t *testing.T) {
	t.Parallel()
	if q := DefaultQueue(2, 1); q.Max != 16 || q.Wait != time.Second {
		t.Fatalf("DefaultQueue(2, 1) = %+v", q)
	}
	if q := DefaultQueue(1, DefaultShare); q.Max != 5 || q.Wait != time.Second {
		t.Fatalf("DefaultQueue(1, DefaultShare) = %+v", q)
	}
}

// TestCPUSlots_Share runs a job in a slot that may spend a fifth of its time on
// jobs: its caller goes on at once while the slot rests four times the job's
// duration, and the next job starts only after the rest.
func TestCPUSlots_Share(t *testing.T) {
	t.Parallel()
	c := NewCPUSlots(1, Queue{})
	c.Share(0.2)
	const job = 100 * time.Millisecond
	if err := c.Do(context.Background(), func() error { time.Sleep(job); return nil }); err != nil {
		t.Fatal(err)
	}
	ended := time.Now()
	if c.Running() != 0 || c.resting.Load() != 1 {
		t.Fatalf("after the job: %d running, %d resting; want 0 and 1", c.Running(), c.resting.Load())
	}
	var started time.Time
	if err := c.Do(context.Background(), func() error { started = time.Now(); return nil }); err != nil {
		t.Fatal(err)
	}
	if gap := started.Sub(ended); gap < 4*job {
		t.Errorf("the next job started %s after the first; want the rest of at least %s", gap, 4*job)
	}
}

// TestCPUSlots_FullShare checks that a share of 1 (or 0) frees the slot as
// soon as the job ends.
func TestCPUSlots_FullShare(t *testing.T) {
	t.Parallel()
	for _, share := range []float64{0, 1} {
		c := NewCPUSlots(1, Queue{})
		c.Share(share)
		if err := c.Do(context.Background(), func() error { return nil }); err != nil {
			t.Fatal(err)
		}
		if len(c.slots) != 0 {
			t.Errorf("share %v: the slot is still taken after the job", share)
		}
	}
}

// TestCPUSlots_RestOnlyWhenContended checks that a slot rests after a job only
// while Contended reports other work: a burst of logins alone is not slowed.
func TestCPUSlots_RestOnlyWhenContended(t *testing.T) {
	t.Parallel()
	for _, contended := range []bool{false, true} {
		c := NewCPUSlots(1, Queue{})
		c.Share(0.01)
		c.Contended(func() bool { return contended })
		if err := c.Do(context.Background(), func() error { time.Sleep(10 * time.Millisecond); return nil }); err != nil {
			t.Fatal(err)
		}
		if resting := c.resting.Load() == 1; resting != contended {
			t.Errorf("contended %v: resting %v after the job", contended, resting)
		}
	}
}
