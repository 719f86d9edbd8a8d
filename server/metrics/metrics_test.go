package metrics

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meridianhq/accounts/server/testdb"
)

// names returns the names of every series the service exports.
func names(t *testing.T) map[string]bool {
	t.Helper()
	m := New()
	m.Request("getMe", 200, time.Millisecond)
	m.Login("success")
	m.Refresh("rotated")
	m.RateLimited("auth")
	m.HashWaited(time.Millisecond, false)
	m.HashWaited(0, true)
	m.RevocationsApplied(1)
	m.UntrustedForwardedFor()
	m.Mail("verify_email", true)
	m.WatchJobs(func(context.Context) (JobStats, error) { return JobStats{}, nil })
	m.WatchHashing(func() int { return 1 }, func() int { return 0 })
	m.WatchListener(func() bool { return true }, time.Now)
	out := map[string]bool{}
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		out[f.GetName()] = true
	}
	descs := make(chan *prometheus.Desc, 16)
	poolCollector{}.Describe(descs)
	close(descs)
	for d := range descs {
		name := regexp.MustCompile(`fqName: "([^"]+)"`).FindStringSubmatch(d.String())[1]
		out[name] = true
	}
	return out
}

// deployFiles are the files that name series: the alert rules and their unit
// tests, the dashboard, and every Kubernetes manifest (the ServiceMonitor, the
// comments that point operators at a series).
func deployFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"../../deploy/prometheus/alerts.yaml", "../../deploy/prometheus/alerts_test.yaml", "../../deploy/grafana/accounts.json"}
	err := filepath.WalkDir("../../deploy/k8s", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".env")) {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestDeployReferencesExist: every accounts_ series the deploy files name is
// one the service exports, so a renamed series cannot leave an alert that never
// fires, a panel that stays empty or a runbook comment that points nowhere.
func TestDeployReferencesExist(t *testing.T) {
	t.Parallel()
	known := names(t)
	ref := regexp.MustCompile(`accounts_[a-z0-9_]+`)
	for _, file := range deployFiles(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range ref.FindAllString(string(b), -1) {
			base := name
			for _, suffix := range []string{"_bucket", "_count", "_sum"} {
				base = strings.TrimSuffix(base, suffix)
			}
			if !known[name] && !known[base] && !strings.HasPrefix(name, "accounts_test") {
				t.Errorf("%s refers to %s, which the service does not export", file, name)
			}
		}
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	t.Parallel()
	var m *Metrics
	m.Request("x", 200, 0)
	m.Login("success")
	m.Refresh("rotated")
	m.RateLimited("auth")
	m.HashWaited(0, true)
	m.RevocationsApplied(3)
	m.UntrustedForwardedFor()
	m.WatchHashing(nil, nil)
	m.WatchListener(nil, nil)
	m.WatchPool(nil)
	m.Mail("verify_email", false)
	m.WatchJobs(nil)
}

func TestRequestOutsideTheContract(t *testing.T) {
	t.Parallel()
	m := New()
	m.Request("", 404, time.Millisecond)
	families, _ := m.Registry().Gather()
	for _, f := range families {
		if f.GetName() == "accounts_http_requests_total" {
			if l := f.GetMetric()[0].GetLabel(); l[0].GetValue() != "none" {
				t.Fatalf("labels %v; want operation none", l)
			}
			return
		}
	}
	t.Fatal("no accounts_http_requests_total")
}

// TestHandlerServesGauges scrapes the handler: the pool's statistics and the
// listener's state are read at each scrape, next to the Go and process series.
func TestHandlerServesGauges(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.NewPool(t)
	m := New()
	m.WatchPool(pool)
	m.WatchListener(func() bool { return false }, func() time.Time { return time.Time{} })
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`accounts_db_pool_max_connections ` + strconv.Itoa(int(pool.Config().MaxConns)),
		`accounts_db_pool_connections{state="idle"}`,
		`accounts_db_pool_acquires_total`,
		"accounts_revocation_listener_up 0",
		"accounts_revocation_listener_last_heard_seconds -1",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %s in the scrape:\n%s", want, body)
		}
	}
}
