package auth

import (
	"context"
	"runtime"
)

// CPUSlots is a counting semaphore for CPU-heavy work (password hashing, the
// strength estimate): at most n jobs run at once, the others wait their turn.
type CPUSlots struct{ slots chan struct{} }

// NewCPUSlots returns n slots; n of 0 or less means one per CPU.
func NewCPUSlots(n int) *CPUSlots {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return &CPUSlots{slots: make(chan struct{}, n)}
}

// Do waits for a slot (or for ctx to end), then runs fn in it.
func (c *CPUSlots) Do(ctx context.Context, fn func() error) error {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.slots }()
	return fn()
}
