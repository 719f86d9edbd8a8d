package main

import (
	"fmt"
	"time"
)

// fmtRate is a rate in requests per second.
func fmtRate(v float64) string {
	if v >= 100 {
		return commas(int64(v + 0.5))
	}
	return fmt.Sprintf("%.1f", v)
}

// fmtLatency is a latency; none (0) is empty.
func fmtLatency(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

// fmtCPU is CPU time per request; unknown (-1) is n/a.
func fmtCPU(d time.Duration) string {
	switch {
	case d < 0:
		return "n/a"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d)/1e3)
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
}

// fmtPer1k is a count per 1,000 requests; unknown (-1) is n/a.
func fmtPer1k(v float64) string {
	if v < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", v)
}

// fmtMiB is a size in bytes as MiB.
func fmtMiB(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

// commas writes n with thousands separators.
func commas(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
