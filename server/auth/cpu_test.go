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
		{"UnboundedWaitsForTheContext", Queue{}, 3, context.DeadlineExceeded},
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
	if q := DefaultQueue(2); q.Max != 16 || q.Wait != time.Second {
		t.Fatalf("DefaultQueue(2) = %+v", q)
	}
}
