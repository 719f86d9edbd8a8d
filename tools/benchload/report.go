package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// row is one line of the report's table; an empty cell prints as "—".
type row struct {
	scenario, conns, rps, p50, p99, serverCPU, pgCPU, sessions, other string
}

// header is the table's first line.
var header = row{"Scenario", "Conns", "req/s", "p50", "p99", "server CPU/ok req", "PostgreSQL CPU/ok req", "new DB conns/1k req", "Other"}

// markdown is the line of r in the table.
func (r row) markdown() string {
	cells := []string{r.scenario, r.conns, r.rps, r.p50, r.p99, r.serverCPU, r.pgCPU, r.sessions, r.other}
	for i, c := range cells {
		if c == "" {
			cells[i] = "—"
		}
	}
	return "| " + strings.Join(cells, " | ") + " |"
}

// summarize is the row of windows of one scenario: the medians over the
// windows of the rate and latency of successful answers and of the CPU per
// success; the sessions opened per 1,000 answers over all of them.
func summarize(scenario string, conns int, ws []window) row {
	var sessions, answers int64
	for _, w := range ws {
		if w.use.newSessions < 0 {
			sessions = -1
			break
		}
		sessions += w.use.newSessions
		answers += int64(w.res.count(0))
	}
	per1k := -1.0
	if sessions >= 0 && answers > 0 {
		per1k = float64(sessions) * 1000 / float64(answers)
	}
	return row{
		scenario:  scenario,
		conns:     fmt.Sprint(conns),
		rps:       fmtRate(median(ws, func(w window) float64 { return w.res.rate(200) })),
		p50:       fmtLatency(median(ws, func(w window) time.Duration { return w.res.quantile(200, 0.50) })),
		p99:       fmtLatency(median(ws, func(w window) time.Duration { return w.res.quantile(200, 0.99) })),
		serverCPU: fmtCPU(median(ws, func(w window) time.Duration { return w.perOK(false) })),
		pgCPU:     fmtCPU(median(ws, func(w window) time.Duration { return w.perOK(true) })),
		sessions:  fmtPer1k(per1k),
		other:     failures(ws),
	}
}

// failures describes the answers of ws other than 200 (and the statuses
// except) and the transport errors, or is "" when there were none.
func failures(ws []window, except ...int) string {
	byStatus := map[int]int{}
	errs := 0
	for _, w := range ws {
		for status, l := range w.res.lat {
			if status != 200 && !slices.Contains(except, status) {
				byStatus[status] += len(l)
			}
		}
		errs += w.res.errors
	}
	var parts []string
	for _, status := range slices.Sorted(maps.Keys(byStatus)) {
		parts = append(parts, fmt.Sprintf("%d × %d", byStatus[status], status))
	}
	if errs > 0 {
		parts = append(parts, fmt.Sprintf("%d transport errors", errs))
	}
	return strings.Join(parts, ", ")
}

// ratioRow compares windows a with windows b taken in pairs: each cell is the
// median of the per-pair ratios a/b.
func ratioRow(scenario string, a, b []window) row {
	ratio := func(f func(window) float64) string {
		var v []float64
		for i := range a {
			if d := f(b[i]); d > 0 && f(a[i]) >= 0 {
				v = append(v, f(a[i])/d)
			}
		}
		if len(v) == 0 {
			return ""
		}
		return fmt.Sprintf("%.2f×", medianOf(v))
	}
	rps := func(w window) float64 { return w.res.rate(200) }
	return row{
		scenario:  scenario,
		rps:       ratio(rps),
		p50:       ratio(func(w window) float64 { return float64(w.res.quantile(200, 0.50)) }),
		p99:       ratio(func(w window) float64 { return float64(w.res.quantile(200, 0.99)) }),
		serverCPU: ratio(func(w window) float64 { return float64(w.perOK(false)) }),
		pgCPU:     ratio(func(w window) float64 { return float64(w.perOK(true)) }),
		other:     "req/s per pair: " + perPair(a, b, rps),
	}
}

// perPair lists f(a)/f(b) of each pair.
func perPair(a, b []window, f func(window) float64) string {
	var s []string
	for i := range a {
		s = append(s, fmt.Sprintf("%.2f", f(a[i])/f(b[i])))
	}
	return strings.Join(s, ", ")
}

// render is the whole report: what was run where, then the table.
func render(intro []string, rows []row) string {
	var sb strings.Builder
	for _, l := range intro {
		sb.WriteString(l + "\n")
	}
	sb.WriteString("\n" + header.markdown() + "\n")
	sb.WriteString("|" + strings.Repeat("---|", 9) + "\n")
	for _, r := range rows {
		sb.WriteString(r.markdown() + "\n")
	}
	return sb.String()
}

// writeReport prints the report and writes it to path.
func writeReport(path, text string) error {
	fmt.Print("\n" + text)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
