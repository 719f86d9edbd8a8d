package auth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync/atomic"
	"time"
)

// ErrOverloaded is CPU-heavy work refused because no slot came free in time,
// or too many callers already wait for one. It is an outage of the moment, not
// a failure: the caller may retry shortly.
var ErrOverloaded = errors.New("auth: overloaded: no CPU slot free in time")

// Queue bounds the callers waiting for a slot.
type Queue struct {
	// Max is how many callers may wait at once; the next one is refused at
	// once. 0: no bound.
	Max int
	// Wait is how long a caller waits for a slot before it is refused. 0: no
	// bound (until its context ends).
	Wait time.Duration
}

// DefaultQueue is the queue of n slots that hash share of their time (Share;
// 1: all of it) when none is configured: 8 waiters per slot times the share
// (5 at 0.6), at least 1, and 1 s at most. A slot that rests between hashes
// drains its queue more slowly; at 30-40 ms an argon2id hash, a full queue
// still drains in about 0.3-0.5 s, so an admitted login answers within a
// second.
func DefaultQueue(n int, share float64) Queue {
	return Queue{Max: max(1, int(math.Round(float64(8*n)*share))), Wait: time.Second}
}

// CPUSlots is a counting semaphore for CPU-heavy work (password hashing, the
// strength estimate): at most n jobs run at once, a bounded number wait their
// turn for a bounded time, and the excess is refused with ErrOverloaded rather
// than queued until clients give up.
type CPUSlots struct {
	slots chan struct{}
	queue Queue
	share float64
	// contended, when set, tells whether other work wants the CPU; the slots
	// rest only then.
	contended func() bool
	waiting   atomic.Int64
	resting   atomic.Int64
	done      atomic.Uint64
	observe   func(wait time.Duration, shed bool)
}

// Done is how many jobs have finished in a slot since the start.
func (c *CPUSlots) Done() uint64 { return c.done.Load() }

// Observe makes every acquisition tell f how long it waited, or that it was
// shed (the metrics). Call it before the slots are used.
func (c *CPUSlots) Observe(f func(wait time.Duration, shed bool)) { c.observe = f }

// Share caps the time each slot spends on jobs at share of its time: after a
// job of duration t the slot rests for t·(1−share)/share before the next one
// may start, while the job's caller goes on at once. A burst of logins then
// takes at most share of a core per slot, and leaves the rest to requests that
// need no hashing; a lone login is as fast as before. 1 (or 0): no rest. Call
// it before the slots are used.
func (c *CPUSlots) Share(share float64) {
	if share > 0 && share < 1 {
		c.share = share
	}
}

// Contended makes the slots rest (Share) only when f, asked as a job ends,
// reports that other work wants the CPU: a burst of logins alone then runs at
// full speed. nil: always rest. Call it before the slots are used.
func (c *CPUSlots) Contended(f func() bool) { c.contended = f }

// Running is how many jobs hold a slot now (not counting resting slots).
func (c *CPUSlots) Running() int { return len(c.slots) - int(c.resting.Load()) }

// DefaultSlots is the number of slots when none is configured: every CPU but
// one (at least one), so that a burst of logins leaves a core to the requests
// that need no hashing. Measured on 2 cores at 64 concurrent logins: with 2
// slots authenticated reads fell to 0.10x their rate alone (p99 1.2 -> 50 ms),
// with 1 slot to 0.62x (p99 1.1 -> 3.4 ms).
func DefaultSlots() int { return max(1, runtime.GOMAXPROCS(0)-1) }

// DefaultShare is the share of each slot's time that hashing takes when none is
// configured (Share). Measured on 2 cores (1 slot) with 16 connections reading
// GET /users/{id} during a 64-connection login burst (make bench-load): with no
// rest the reads kept 0.51× their rate alone (p99 2.84×); with 0.6, resting
// only while other requests are in flight and 5 waiters a slot, 0.74–0.79×
// (p99 1.85–1.99×), with accepted logins at p99 626–789 ms.
const DefaultShare = 0.6

// NewCPUSlots returns n slots (0 or less: DefaultSlots) with queue q.
func NewCPUSlots(n int, q Queue) *CPUSlots {
	if n <= 0 {
		n = DefaultSlots()
	}
	return &CPUSlots{slots: make(chan struct{}, n), queue: q}
}

// Admit reports ErrOverloaded when the queue is full now: a cheap check before
// work (a database query) that would only end waiting for a slot.
func (c *CPUSlots) Admit() error {
	if c.queue.Max > 0 && len(c.slots) == cap(c.slots) && c.waiting.Load() >= int64(c.queue.Max) {
		return ErrOverloaded
	}
	return nil
}

// Queue is the queue's bound.
func (c *CPUSlots) Queue() Queue { return c.queue }

// Waiting is how many callers wait for a slot now.
func (c *CPUSlots) Waiting() int { return int(c.waiting.Load()) }

// Do waits for a slot, within the queue's bounds or until ctx ends, then runs
// fn in it.
func (c *CPUSlots) Do(ctx context.Context, fn func() error) error {
	if err := c.acquire(ctx); err != nil {
		return err
	}
	start := time.Now()
	defer func() { c.done.Add(1); c.release(time.Since(start)) }()
	return fn()
}

// release frees the slot of a job that ran for busy: at once, or after the
// rest that Share asks for.
func (c *CPUSlots) release(busy time.Duration) {
	if c.share == 0 || c.contended != nil && !c.contended() {
		<-c.slots
		return
	}
	c.resting.Add(1)
	time.AfterFunc(time.Duration(float64(busy)*(1-c.share)/c.share), func() {
		c.resting.Add(-1)
		<-c.slots
	})
}

func (c *CPUSlots) acquire(ctx context.Context) error {
	start := time.Now()
	err := c.wait(ctx)
	if c.observe != nil && !errors.Is(err, context.Canceled) {
		c.observe(time.Since(start), errors.Is(err, ErrOverloaded))
	}
	return err
}

func (c *CPUSlots) wait(ctx context.Context) error {
	select {
	case c.slots <- struct{}{}:
		return nil
	default:
	}
	if n := c.waiting.Add(1); c.queue.Max > 0 && n > int64(c.queue.Max) {
		c.waiting.Add(-1)
		return ErrOverloaded
	}
	defer c.waiting.Add(-1)
	var timeout <-chan time.Time
	if c.queue.Wait > 0 {
		t := time.NewTimer(c.queue.Wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case c.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// The request's deadline passed in the queue: a lack of CPU,
			// not of the database.
			return fmt.Errorf("%w: %w", ErrOverloaded, ctx.Err())
		}
		return ctx.Err()
	case <-timeout:
		return ErrOverloaded
	}
}
