package wiring

import (
	"context"
	"time"

	"github.com/meridianhq/accounts/server/auth"
)

// releaseEvery is how often the memory releaser looks at the hashing.
const releaseEvery = 5 * time.Second

// memoryReleaser gives the memory that password hashing grew the heap to back
// to the operating system once hashing is idle. Each argon2id hash takes its
// working memory (19 MiB at OWASP's parameters), so startup (the dummy hash,
// the failure floor) and every login burst leave the heap far larger than
// the service needs between them, and Go's background scavenger returns that
// only slowly: an idle replica held 112 MB of RSS, 47 MB after a release.
type memoryReleaser struct {
	slots *auth.CPUSlots
	free  func()
	seen  uint64 // slots.Done() at the last release
	once  bool   // the release after startup is done
}

// tick releases when hashes finished since the last release (or none has
// run yet) and no hash runs or waits now. It reports whether it released.
func (r *memoryReleaser) tick() bool {
	done := r.slots.Done()
	if (r.once && done == r.seen) || r.slots.Running() > 0 || r.slots.Waiting() > 0 {
		return false
	}
	r.seen, r.once = done, true
	r.free()
	return true
}

// run ticks a second after start (the startup's hashes are done by then, or
// the tick waits for them), then every interval, until ctx ends.
func (r *memoryReleaser) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	first := time.NewTimer(time.Second)
	defer first.Stop()
	select {
	case <-ctx.Done():
		return
	case <-first.C:
		r.tick()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.tick()
		}
	}
}
