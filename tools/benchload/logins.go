package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// The login burst: this many connections log in while burstReaders read.
const (
	burstLogins  = 64
	burstReaders = 16
)

// drain is the pause after login load, for the hashing queue to empty.
const drain = time.Second

// logins times POST /api/v1/auth/login at a few and at many connections. With
// one argon2id hash at a time per spare core and a bounded queue, most of the
// 64 are refused (503 OVERLOADED) and wait as Retry-After says.
func (b *bench) logins(ctx context.Context) error {
	for _, conns := range []int{4, burstLogins} {
		w, err := b.measure(ctx, b.acc, conns, b.o.window, logins(b.acc.base, b.o.users))
		if err != nil {
			return err
		}
		r := summarize("POST /api/v1/auth/login", conns, []window{w})
		r.other = shedNote(w)
		b.rows = append(b.rows, r)
		pause(ctx, drain)
	}
	return nil
}

// burst compares GET /api/v1/users/{id} at 16 connections alone and during a
// burst of 64 logging in, in alternating pairs of windows.
func (b *bench) burst(ctx context.Context) error {
	reads := getUsers(b.acc.base, b.token, b.ids)
	var alone, during, burst []window
	for i := range b.o.pairs {
		err := alternate(i, func() error {
			w, err := b.measure(ctx, b.acc, burstReaders, b.o.window, reads)
			alone = append(alone, w)
			return err
		}, func() error {
			r, l, err := b.duringBurst(ctx, reads)
			during, burst = append(during, r), append(burst, l)
			return err
		})
		if err != nil {
			return err
		}
	}
	for _, w := range during {
		b.mem.burst = b.mem.burst.peak(w.mem)
	}
	var err error
	if _, b.mem.hwm, err = memory(b.acc.pid()); err != nil {
		return err
	}
	b.rows = append(b.rows, b.burstRows(alone, during, burst)...)
	return nil
}

// duringBurst measures reads while burstLogins connections log in, over the
// same window. The CPU and sessions of the window are of both.
func (b *bench) duringBurst(ctx context.Context, reads call) (window, window, error) {
	var logged window
	var wg sync.WaitGroup
	wg.Go(func() { logged.res = load(ctx, burstLogins, b.o.window, logins(b.acc.base, b.o.users)) })
	r, err := b.measure(ctx, b.acc, burstReaders, b.o.window, reads)
	wg.Wait()
	pause(ctx, drain)
	return r, logged, err
}

// burstRows are the lines of the burst: reads alone, reads during it, their
// ratio, and the logins of the burst.
func (b *bench) burstRows(alone, during, burst []window) []row {
	shared := func(r row) row {
		r.serverCPU, r.pgCPU = "", ""
		return r
	}
	d := shared(summarize("GET /api/v1/users/{id} during the login burst", burstReaders, during))
	d.other = join(d.other, "CPU shared with the logins")
	ratio := shared(ratioRow("… during / alone (median of pairs)", during, alone))
	logins := shared(summarize("POST /api/v1/auth/login: the burst", burstLogins, burst))
	logins.sessions = ""
	logins.other = shedNote(burst...)
	return []row{summarize("GET /api/v1/users/{id} alone", burstReaders, alone), d, ratio, logins}
}

// shedNote counts the logins refused with 503 over ws, with their median p99,
// and any other failure.
func shedNote(ws ...window) string {
	shed := 0
	for _, w := range ws {
		shed += w.res.count(503)
	}
	p99 := median(ws, func(w window) time.Duration { return w.res.quantile(503, 0.99) })
	note := fmt.Sprintf("shed 503: %s, p99 %s", commas(int64(shed)), fmtLatency(p99))
	if shed == 0 {
		note = "shed 503: none"
	}
	return join(note, failures(ws, 503))
}

// join joins the non-empty notes with "; ".
func join(notes ...string) string {
	out := ""
	for _, n := range notes {
		if n != "" && out != "" {
			out += "; "
		}
		out += n
	}
	return out
}
