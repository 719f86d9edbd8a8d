// Command benchload is the load benchmark of the accounts service (`make
// bench-load`). It starts the real server, bin/accounts serve, on a fresh
// database of the test cluster (TEST_DATABASE_URL) seeded with users, and a
// bare net/http + pgx handler doing the same SELECT (this program, started
// again as a process of its own). A closed-loop load generator drives them
// over keep-alive HTTP/1.1 on 127.0.0.1, and one markdown table of
// throughput, latency, CPU per request (the server process and the database's
// PostgreSQL backends, from /proc), memory and new database connections is
// printed and written to .data/bench-load.md.
//
// The machine is small and shared, so every comparison alternates its two
// sides within one invocation, in pairs (A B, B A, A B, …), and reports the
// median of the per-pair ratios; the other figures are medians over windows.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// options are the command line.
type options struct {
	bin, out, serverLogPath string
	window, warmup, settle  time.Duration
	pairs, starts, users    int
	list                    bool
	listUsers, listDepth    int
}

// parseFlags reads the command line. The defaults keep a run near 2 minutes
// on 2 cores; -window, -pairs and -list lengthen it.
func parseFlags() options {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/accounts", "the accounts binary (make build)")
	flag.StringVar(&o.out, "out", ".data/bench-load.md", "where to write the table")
	flag.StringVar(&o.serverLogPath, "server-log", "", "append the servers' logs to this file (default: discarded)")
	flag.DurationVar(&o.window, "window", 5*time.Second, "length of each measured window")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured load before the first window of each server")
	flag.DurationVar(&o.settle, "settle", 30*time.Second, "idle time after the login burst before the settled RSS")
	flag.IntVar(&o.pairs, "pairs", 3, "alternating pairs of windows per comparison")
	flag.IntVar(&o.starts, "starts", 5, "starts timed for start-to-ready")
	flag.IntVar(&o.users, "users", 10_000, "users seeded for the reads and logins")
	flag.BoolVar(&o.list, "list", true, "time GET /api/v1/users pages over -list-users more users (seeding 1M takes about 30 s; -list=false skips them)")
	flag.IntVar(&o.listUsers, "list-users", 1_000_000, "users seeded for -list")
	flag.IntVar(&o.listDepth, "list-depth", 500_000, "rows deep of the deep page of -list")
	flag.Parse()
	return o
}

// bench is one run: the database, the servers, the seeded users and the rows
// of the report so far.
type bench struct {
	o           options
	db          *database
	serverLog   io.Writer // nil: the servers' output is discarded
	tmp         string    // a directory removed at the end
	keys        string    // the signing key file, in tmp
	acc, bare   *process
	token       string   // the admin's access token
	ids         []string // the seeded users' ids
	rows        []row
	mem         memoryFigures
	starts      row    // start-to-ready, the last row
	loadAverage string // the machine's at the start
}

func main() {
	if addr := os.Getenv(bareAddrEnv); addr != "" {
		if err := serveBare(addr, os.Getenv(bareDBEnv)); err != nil {
			fmt.Fprintln(os.Stderr, "benchload (bare):", err)
			os.Exit(1)
		}
		return
	}
	o := parseFlags()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		if ctx.Err() != nil {
			err = errors.New("interrupted; the servers are stopped and the database dropped")
		}
		fmt.Fprintln(os.Stderr, "benchload:", err)
		os.Exit(1)
	}
}

// run is the whole benchmark, in the order of the table.
func run(ctx context.Context, o options) error {
	began := time.Now()
	b := &bench{o: o, loadAverage: loadAverage()}
	if err := b.open(ctx); err != nil {
		return err
	}
	defer b.close()
	steps := []step{
		{"seeding", b.setup},
		{"start-to-ready", b.startToReady},
		{"reads: accounts and bare", b.readsVsBare},
		{"logins", b.logins},
		{"reads during a login burst", b.burst},
		{"settling", b.settled},
	}
	if o.list {
		steps = append(steps, step{"list pages", b.listPages})
	}
	for _, s := range steps {
		step := time.Now()
		if err := s.do(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
		logf("%s done in %s", s.what, time.Since(step).Round(100*time.Millisecond))
	}
	b.rows = append(append(b.rows, b.mem.rows()...), b.starts)
	return writeReport(o.out, render(b.intro(ctx, time.Since(began)), b.rows))
}

// step is one part of the run, named for the progress lines and errors.
type step struct {
	what string
	do   func(context.Context) error
}

// logf prints progress on stderr.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchload: "+format+"\n", args...)
}
