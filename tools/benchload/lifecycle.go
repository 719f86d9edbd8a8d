package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// idleBefore is how long a new server idles before its idle memory is read.
const idleBefore = 2 * time.Second

// memoryFigures are the server's resident set at the moments the report
// names, and the bare baseline's beside it.
type memoryFigures struct {
	idle, reads, burst, settled resident
	hwm                         int64
	bareIdle, bareReads         resident
	after                       time.Duration // from the burst to settled
}

// rows are the memory lines of the table.
func (m memoryFigures) rows() []row {
	return []row{
		{scenario: fmt.Sprintf("server RSS, idle %s after ready (before any load)", idleBefore), other: m.idle.String()},
		{scenario: "… bare baseline, idle", other: m.bareIdle.String()},
		{scenario: "server RSS, under reads (largest sample)", conns: "64", other: m.reads.String()},
		{scenario: "… bare baseline, under reads", conns: "64", other: m.bareReads.String()},
		{scenario: "server RSS, during the login burst (largest sample)", conns: "16 + 64", other: fmt.Sprintf("%s, VmHWM %s", m.burst, fmtMiB(m.hwm))},
		{scenario: fmt.Sprintf("server RSS, %s after the burst", m.after), other: m.settled.String()},
	}
}

// startToReady times starts of the service, exec to GET /readyz 200, on the
// seeded database with its schema current. The last server stays up for the
// scenarios that follow; its idle memory is read, and the bare baseline
// started beside it.
func (b *bench) startToReady(ctx context.Context) error {
	if b.o.starts < 1 {
		return errors.New("-starts must be at least 1")
	}
	var took []time.Duration
	for i := range b.o.starts {
		p, d, err := b.startAccounts(ctx)
		if err != nil {
			return err
		}
		took = append(took, d)
		if i < b.o.starts-1 {
			p.stop()
		} else {
			b.acc = p
		}
	}
	b.starts = row{
		scenario: fmt.Sprintf("start to ready (exec to /readyz 200), median of %d", len(took)),
		other:    fmt.Sprintf("%s (%s to %s)", fmtLatency(medianOf(took)), fmtLatency(slices.Min(took)), fmtLatency(slices.Max(took))),
	}
	pause(ctx, idleBefore)
	var err error
	if b.mem.idle, _, err = memory(b.acc.pid()); err != nil {
		return err
	}
	if b.bare, err = b.startBare(ctx); err != nil {
		return err
	}
	pause(ctx, idleBefore)
	b.mem.bareIdle, _, err = memory(b.bare.pid())
	return err
}

// settled reads the server's memory after it has idled for -settle.
func (b *bench) settled(ctx context.Context) error {
	pause(ctx, b.o.settle)
	b.mem.after = b.o.settle
	var err error
	b.mem.settled, _, err = memory(b.acc.pid())
	return err
}
