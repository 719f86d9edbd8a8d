package servertest

import (
	"bytes"
	"sync"
	"sync/atomic"
	"time"
)

// Clock is a clock tests can move forward.
type Clock struct{ offset atomic.Int64 }

// NewClock returns a clock at the real time.
func NewClock() *Clock { return &Clock{} }

// Now is the real time plus every Advance so far.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// SyncBuffer is a bytes.Buffer safe for the logger and the test at once.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
