package main

import (
	"context"
	"slices"
	"sync"
	"time"
)

// rssEvery is how often a window samples the server's resident set.
const rssEvery = 100 * time.Millisecond

// window is one measured run of load against one server process.
type window struct {
	res result
	use usage
	mem resident // the largest figures sampled during the window
}

// measure runs load(conns, d, next) against the server p, and returns it with
// the CPU, sessions and memory p and its database used meanwhile.
func (b *bench) measure(ctx context.Context, p *process, conns int, d time.Duration, next call) (window, error) {
	var w window
	before, err := b.sample(ctx, p.pid())
	if err != nil {
		return w, err
	}
	stopRSS := watchRSS(p.pid(), &w.mem)
	w.res = load(ctx, conns, d, next)
	stopRSS()
	after, err := b.sample(ctx, p.pid())
	if err != nil {
		return w, err
	}
	w.use = after.since(before)
	return w, ctx.Err()
}

// watchRSS keeps the largest resident figures of pid in peak until stop is
// called.
func watchRSS(pid int, peak *resident) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(rssEvery)
		defer t.Stop()
		for {
			if m, _, err := memory(pid); err == nil {
				*peak = peak.peak(m)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// perOK is a window's CPU (server, or PostgreSQL with pg) per answer with
// status 200; -1 when unknown or nothing succeeded.
func (w window) perOK(pg bool) time.Duration {
	n := w.res.count(200)
	cpu := w.use.server
	if pg {
		cpu = w.use.pg
	}
	if n == 0 || cpu < 0 {
		return -1
	}
	return cpu / time.Duration(n)
}

// median is the median of f over ws (the mean of the middle two when even).
func median[T int64 | float64 | time.Duration](ws []window, f func(window) T) T {
	v := make([]T, len(ws))
	for i, w := range ws {
		v[i] = f(w)
	}
	return medianOf(v)
}

// medianOf is the median of v (the mean of the middle two when even).
func medianOf[T int64 | float64 | time.Duration](v []T) T {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
