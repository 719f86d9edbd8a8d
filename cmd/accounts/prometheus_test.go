package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meridianhq/accounts/server/testdb"
)

// requirePrometheus returns Debian's prometheus binary, or skips loudly (fails
// with CI=true) when it is missing.
func requirePrometheus(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("prometheus")
	if err == nil {
		return p
	}
	msg := "no prometheus binary: the scrape test cannot run (Debian: apt-get install prometheus)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("!!! SKIPPED: " + msg)
	return ""
}

// TestPrometheusScrapesMetrics runs the service with its metrics listener and a
// real Prometheus scraping it every second, drives a few requests, and reads
// the series back through Prometheus' HTTP API: names, labels and counts, and
// no label that carries a user, an address or an IP.
func TestPrometheusScrapesMetrics(t *testing.T) {
	t.Parallel()
	prom := requirePrometheus(t)
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t))
	env := []string{"DATABASE_URL=" + testdb.Empty(t), "ACCOUNTS_METRICS_ADDR=" + metricsAddr, "ACCOUNTS_SHUTDOWN_DELAY=0s",
		"ACCOUNTS_ARGON2_MEMORY_KIB=1024", "ACCOUNTS_ARGON2_ITERATIONS=1", "ACCOUNTS_PPROF=true"}
	p := startBinary(t, t.TempDir(), env, nil, devArgs()...)
	// pprof is there, but not the command line, which may hold flags' secrets.
	for path, want := range map[string]int{"/debug/pprof/": 200, "/debug/pprof/heap": 200, "/debug/pprof/cmdline": 404} {
		res, err := http.Get("http://" + metricsAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("GET %s on the metrics listener: %d; want %d", path, res.StatusCode, want)
		}
	}

	promAddr := fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t))
	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: accounts\n    static_configs:\n      - targets: ['%s']\n", metricsAddr)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prom, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	base := "http://" + p.addr
	post := func(path, body string) int {
		res, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := post("/api/v1/auth/register", `{"email":"scrape@example.com","name":"Scrape","password":"correct horse battery staple"}`); s != 201 {
		t.Fatalf("register: %d", s)
	}
	for _, pw := range []string{"correct horse battery staple", "correct horse battery staple", "a wrong password"} {
		post("/api/v1/auth/login", `{"email":"scrape@example.com","password":"`+pw+`"}`)
	}
	for range 5 {
		res, err := http.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	if s := post("/api/v1/auth/refresh", `{"refresh_token":"not a token"}`); s != 401 {
		t.Fatalf("refresh: %d", s)
	}

	want := map[string]float64{
		`accounts_http_requests_total{operation="login",status="200"}`:                    2,
		`accounts_http_requests_total{operation="login",status="401"}`:                    1,
		`accounts_logins_total{outcome="success"}`:                                        2,
		`accounts_logins_total{outcome="invalid_credentials"}`:                            1,
		`accounts_refresh_total{outcome="invalid"}`:                                       1,
		`accounts_http_request_duration_seconds_count{operation="getHealthz"}`:            5,
		`accounts_http_request_duration_seconds_bucket{operation="getHealthz",le="+Inf"}`: 5,
		`accounts_revocation_listener_up`:                                                 1,
		`accounts_db_pool_max_connections`:                                                25,
	}
	deadline := time.Now().Add(30 * time.Second)
	for query, v := range want {
		for {
			got, ok := promValue(t, promAddr, query)
			if ok && got == v {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s = %v (found %v) in Prometheus; want %v\nprometheus: %s", query, got, ok, v, out)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	for _, present := range []string{"go_goroutines", "process_resident_memory_bytes", "accounts_password_hash_running",
		"accounts_password_hash_queued", "accounts_password_hash_wait_seconds_count", "accounts_db_pool_acquires_total"} {
		if _, ok := promValue(t, promAddr, present); !ok {
			t.Errorf("no %s in Prometheus", present)
		}
	}
	personal := regexp.MustCompile(`@|\d+\.\d+\.\d+\.\d+|[0-9a-f]{8}-[0-9a-f]{4}-`)
	for _, s := range promSeries(t, promAddr, `{__name__=~"accounts_.*"}`) {
		for k, v := range s {
			if k != "instance" && personal.MatchString(v) {
				t.Errorf("label %s=%q carries personal data", k, v)
			}
		}
	}
}

// promValue runs an instant query and returns its single value.
func promValue(t *testing.T, addr, query string) (float64, bool) {
	t.Helper()
	var r struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if !promGet(t, addr, "/api/v1/query?query="+url.QueryEscape(query), &r) || len(r.Data.Result) != 1 {
		return 0, false
	}
	s, _ := r.Data.Result[0].Value[1].(string)
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// promSeries lists the label sets of the series matching match.
func promSeries(t *testing.T, addr, match string) []map[string]string {
	t.Helper()
	var r struct {
		Data []map[string]string `json:"data"`
	}
	promGet(t, addr, "/api/v1/series?match[]="+url.QueryEscape(match), &r)
	if len(r.Data) == 0 {
		t.Fatal("Prometheus has no accounts_ series")
	}
	return r.Data
}

func promGet(t *testing.T, addr, path string, into any) bool {
	t.Helper()
	res, err := http.Get("http://" + addr + path)
	if err != nil {
		return false // not up yet
	}
	defer res.Body.Close()
	return res.StatusCode == 200 && json.NewDecoder(res.Body).Decode(into) == nil
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
