//go:build scale

package scaletest

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"
)

// results are the outcomes of the checks, for the summary.
var results struct {
	mu             sync.Mutex
	passed, failed int
}

// report prints one check's figures and verdict, fails t on a failure, and
// counts it for the summary.
func report(t *testing.T, check string, ok bool, figures string, args ...any) {
	t.Helper()
	verdict := "PASS"
	if !ok {
		verdict = "FAIL"
	}
	line := fmt.Sprintf("scale: %-28s %s  %s", check, verdict, fmt.Sprintf(figures, args...))
	fmt.Println(line)
	results.mu.Lock()
	if ok {
		results.passed++
	} else {
		results.failed++
	}
	results.mu.Unlock()
	if !ok {
		t.Error(line)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	fmt.Printf("scale: %d passed, %d failed\n", results.passed, results.failed)
	os.Exit(code)
}

// quantiles are p50, p99 and the maximum of ds.
func quantiles(ds []time.Duration) (p50, p99, maxd time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return at(0.5), at(0.99), s[len(s)-1]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d.Microseconds())/1000) }
