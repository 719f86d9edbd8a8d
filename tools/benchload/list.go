package main

import (
	"context"
	"net/url"
	"time"
)

// listConns is the concurrency of the list pages.
const listConns = 16

// listPages (-list) times GET /api/v1/users?limit=20 over -list-users more
// users, seeded with SQL (with no usable password: they never log in): page 1
// against a page -list-depth rows deep, reached through the API, in
// alternating pairs of windows, each page warmed first. Keyset pagination
// should make them cost the same.
func (b *bench) listPages(ctx context.Context) error {
	began := time.Now()
	if err := b.db.seedUsers(ctx, "list", 1, b.o.listUsers, "x"); err != nil {
		return err
	}
	logf("seeded %d more users in %s", b.o.listUsers, time.Since(began).Round(time.Millisecond))
	cursor, err := deepCursor(ctx, b.acc.base, b.token, b.o.listDepth)
	if err != nil {
		return err
	}
	first := listPage(b.acc.base, b.token, "limit=20")
	deep := listPage(b.acc.base, b.token, "limit=20&cursor="+url.QueryEscape(cursor))
	load(ctx, listConns, b.o.warmup, first)
	load(ctx, listConns, b.o.warmup, deep)
	var fw, dw []window
	for i := range b.o.pairs {
		err := alternate(i, func() error {
			w, err := b.measure(ctx, b.acc, listConns, b.o.window, first)
			fw = append(fw, w)
			return err
		}, func() error {
			w, err := b.measure(ctx, b.acc, listConns, b.o.window, deep)
			dw = append(dw, w)
			return err
		})
		if err != nil {
			return err
		}
	}
	users := commas(int64(b.o.listUsers + b.o.users + 1))
	b.rows = append(b.rows,
		summarize("GET /api/v1/users?limit=20, page 1 of "+users+" users", listConns, fw),
		summarize("… "+commas(int64(b.o.listDepth))+" rows deep", listConns, dw),
		ratioRow("… deep / page 1 (median of pairs)", dw, fw))
	return nil
}
