package ctxval

import (
	"context"
	"runtime"
	"testing"
)

type key struct{}
type otherKey struct{}

type pair struct{ a, b string }

// TestWithAndFrom covers a value carried, a value not carried, the parent's
// values, and a nearer value of the same key shadowing a farther one.
func TestWithAndFrom(t *testing.T) {
	parent := context.WithValue(context.Background(), otherKey{}, "parent's")
	ctx := With[key](parent, pair{"a", "b"})
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		want   pair
		wantOK bool
	}{
		{"Carried", ctx, pair{"a", "b"}, true},
		{"NotCarried", parent, pair{}, false},
		{"Nearer", With[key](ctx, pair{"c", "d"}), pair{"c", "d"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := From[key, pair](tc.ctx)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("From: %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
	if got := ctx.Value(otherKey{}); got != "parent's" {
		t.Errorf("the parent's value: %v", got)
	}
	if got, ok := From[otherKey, pair](ctx); ok {
		t.Errorf("a value of another type under another key: %v", got)
	}
}

// TestCancellationPassesThrough checks that the parent's cancellation reaches
// a child context, and that a context derived from one of ours registers
// with the parent's canceler instead of starting a goroutine to watch it
// (what the context package does for a parent it cannot see through).
func TestCancellationPassesThrough(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	ctx := With[key](parent, pair{})
	before := runtime.NumGoroutine()
	var cancels []context.CancelFunc
	for range 100 {
		_, c := context.WithCancel(ctx)
		cancels = append(cancels, c)
	}
	if n := runtime.NumGoroutine() - before; n > 10 {
		t.Errorf("%d more goroutines for 100 derived contexts; want none", n)
	}
	cancel()
	<-ctx.Done()
	if ctx.Err() != context.Canceled {
		t.Errorf("Err after the parent's cancel: %v", ctx.Err())
	}
	for _, c := range cancels {
		c()
	}
}
