package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// machine describes where the run happened.
func machine() string {
	return fmt.Sprintf("%d cores (%s), %s", runtime.NumCPU(), cpuModel(), runtime.Version())
}

// intro is the text above the table: where, what and how.
func (b *bench) intro(ctx context.Context, total time.Duration) []string {
	version := "accounts ?"
	if out, err := exec.Command(b.o.bin, "version").Output(); err == nil {
		version = strings.TrimSpace(string(out))
	}
	return []string{
		"# make bench-load, " + time.Now().Format("2006-01-02 15:04 MST"),
		"",
		fmt.Sprintf("%s, PostgreSQL %s, %s. Total run time %s; load average %s at the start, %s at the end (other work on the machine weighs on every figure).",
			machine(), b.db.serverVersion(ctx), version, total.Round(time.Second), b.loadAverage, loadAverage()),
		"",
		fmt.Sprintf("%s users seeded, argon2id at the production defaults, the service's default pool (25). "+
			"The load generator runs on the same cores: closed loop, one keep-alive HTTP/1.1 connection per client, 127.0.0.1 only; "+
			"a refused login waits as Retry-After says. Reads are of a random seeded user, as an admin.", commas(int64(b.o.users))),
		"",
		fmt.Sprintf("Figures are medians over %d windows of %s (logins alone: one window each). "+
			"Comparisons alternate their sides in pairs (A B, B A, …); their rows are the medians of the per-pair ratios. "+
			"Rates, latencies and CPU are per 200 answer; CPU is utime+stime from /proc, of the server process and of the PostgreSQL backends of the benchmark's database; "+
			"new DB connections are pg_stat_database.sessions.", b.o.pairs, b.o.window),
	}
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "?"
	}
	defer f.Close()
	for s := bufio.NewScanner(f); s.Scan(); {
		if name, value, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "?"
}

// loadAverage is the 1-minute load average (/proc/loadavg).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}
