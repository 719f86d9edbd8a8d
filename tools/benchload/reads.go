package main

import "context"

// readConns is the concurrency of the comparison with the bare baseline.
const readConns = 64

// alternate runs a and then b for even i, b and then a for odd i: pairs of
// windows in the order A B, B A, A B, …, so that a drift of the machine (other
// engineers' load) weighs on both sides alike.
func alternate(i int, a, b func() error) error {
	if i%2 == 1 {
		a, b = b, a
	}
	if err := a(); err != nil {
		return err
	}
	return b()
}

// readsVsBare compares authenticated GET /api/v1/users/{id} through the
// service with the bare baseline's same SELECT, in alternating pairs of
// windows, after warming both (full pools, the token verified and cached).
// Each request reads a random one of the seeded users, as the admin.
func (b *bench) readsVsBare(ctx context.Context) error {
	ours := getUsers(b.acc.base, b.token, b.ids)
	bare := getUsers(b.bare.base, b.token, b.ids)
	load(ctx, readConns, b.o.warmup, ours)
	load(ctx, readConns, b.o.warmup, bare)
	var ow, bw []window
	for i := range b.o.pairs {
		err := alternate(i, func() error {
			w, err := b.measure(ctx, b.acc, readConns, b.o.window, ours)
			ow = append(ow, w)
			return err
		}, func() error {
			w, err := b.measure(ctx, b.bare, readConns, b.o.window, bare)
			bw = append(bw, w)
			return err
		})
		if err != nil {
			return err
		}
	}
	for i := range ow {
		b.mem.reads = b.mem.reads.peak(ow[i].mem)
		b.mem.bareReads = b.mem.bareReads.peak(bw[i].mem)
	}
	b.rows = append(b.rows,
		summarize("GET /api/v1/users/{id}: accounts", readConns, ow),
		summarize("GET /api/v1/users/{id}: bare net/http + pgx", readConns, bw),
		ratioRow("… accounts / bare (median of pairs)", ow, bw))
	return nil
}
