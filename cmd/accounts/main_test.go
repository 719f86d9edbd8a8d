package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meridianhq/accounts/server/testdb"
)

// mapEnvironment is an environment of fixed variables.
type mapEnvironment map[string]string

func (m mapEnvironment) Getenv(name string) string { return m[name] }

func (m mapEnvironment) Environ() []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return out
}

// env returns the environment of vars.
func env(vars map[string]string) environment { return mapEnvironment(vars) }

// runCmd runs the program in-process and returns its exit status and output.
func runCmd(t *testing.T, ctx context.Context, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, env(vars), strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	const db = "postgres://localhost/x"
	tests := []struct {
		name  string
		vars  map[string]string
		args  []string
		names string // what the one line must mention
	}{
		{"MissingDatabaseURL", nil, nil, "DATABASE_URL"},
		{"DatabaseURLNotPostgres", map[string]string{"DATABASE_URL": "mysql://x"}, nil, "DATABASE_URL"},
		{"BadAddr", map[string]string{"DATABASE_URL": db, "ACCOUNTS_ADDR": "8080"}, nil, "ACCOUNTS_ADDR"},
		{"BadPort", map[string]string{"DATABASE_URL": db, "ACCOUNTS_ADDR": ":99999"}, nil, "ACCOUNTS_ADDR"},
		{"BadDuration", map[string]string{"DATABASE_URL": db, "ACCOUNTS_SHUTDOWN_DRAIN": "ten"}, nil, "ACCOUNTS_SHUTDOWN_DRAIN"},
		{"NegativeDuration", map[string]string{"DATABASE_URL": db, "ACCOUNTS_HTTP_READ_TIMEOUT": "-1s"}, nil, "ACCOUNTS_HTTP_READ_TIMEOUT"},
		{"BodyLimitTooSmall", map[string]string{"DATABASE_URL": db, "ACCOUNTS_BODY_LIMIT": "10"}, nil, "ACCOUNTS_BODY_LIMIT"},
		{"MaxConnsZero", map[string]string{"DATABASE_URL": db, "ACCOUNTS_DB_MAX_CONNS": "0"}, nil, "ACCOUNTS_DB_MAX_CONNS"},
		{"MinOverMax", map[string]string{"DATABASE_URL": db, "ACCOUNTS_DB_MAX_CONNS": "2", "ACCOUNTS_DB_MIN_CONNS": "3"}, nil, "ACCOUNTS_DB_MIN_CONNS"},
		// A write timeout within the request deadline cuts off the 503 (or the
		// 200 of a change that committed) of a request the database held.
		{"WriteTimeoutWithinDeadline", map[string]string{"DATABASE_URL": db, "ACCOUNTS_DB_STATEMENT_TIMEOUT": "30s"}, nil, "ACCOUNTS_HTTP_WRITE_TIMEOUT"},
		{"BadBool", map[string]string{"DATABASE_URL": db, "ACCOUNTS_MIGRATE_ON_START": "yes please"}, nil, "ACCOUNTS_MIGRATE_ON_START"},
		{"BadLogLevel", map[string]string{"DATABASE_URL": db, "ACCOUNTS_LOG_LEVEL": "loud"}, nil, "ACCOUNTS_LOG_LEVEL"},
		{"BadProxy", map[string]string{"DATABASE_URL": db, "ACCOUNTS_TRUSTED_PROXIES": "10.0.0.0/8,nope"}, nil, "ACCOUNTS_TRUSTED_PROXIES"},
		{"BadFlag", map[string]string{"DATABASE_URL": db}, []string{"serve", "-addr", "nope"}, "addr"},
		{"UnknownFlag", map[string]string{"DATABASE_URL": db}, []string{"serve", "-frobnicate"}, "frobnicate"},
		{"UnknownCommand", nil, []string{"frobnicate"}, "frobnicate"},
		{"MigrateWithoutAction", map[string]string{"DATABASE_URL": db}, []string{"migrate"}, "migrate up|down|status"},
		{"NoSigningKeys", map[string]string{"DATABASE_URL": db}, []string{"serve"}, "ACCOUNTS_SIGNING_KEYS"},
		{"MissingKeyFile", map[string]string{"DATABASE_URL": db, "ACCOUNTS_SIGNING_KEYS": "/nonexistent/keys.json"}, []string{"serve"}, "ACCOUNTS_SIGNING_KEYS"},
		{"BadTTL", map[string]string{"DATABASE_URL": db, "ACCOUNTS_ACCESS_TOKEN_TTL": "1s"}, nil, "ACCOUNTS_ACCESS_TOKEN_TTL"},
		{"IdleOverLifetime", map[string]string{"DATABASE_URL": db, "ACCOUNTS_SESSION_LIFETIME": "1h", "ACCOUNTS_SESSION_IDLE_TIMEOUT": "2h"}, nil, "ACCOUNTS_SESSION_IDLE_TIMEOUT"},
		// A replica started later loads revocations back for the token lifetime:
		// pruned before then, a revoked token would answer 200 there.
		{"RetentionUnderTokenLifetime", map[string]string{"DATABASE_URL": db, "ACCOUNTS_ACCESS_TOKEN_TTL": "3h", "ACCOUNTS_SESSION_RETENTION": "1h"}, nil, "ACCOUNTS_SESSION_RETENTION"},
		{"RetentionUnderTokenLifetimeAndLeeway", map[string]string{"DATABASE_URL": db, "ACCOUNTS_ACCESS_TOKEN_TTL": "59m", "ACCOUNTS_TOKEN_LEEWAY": "30s", "ACCOUNTS_SESSION_RETENTION": "1h"}, nil, "ACCOUNTS_SESSION_RETENTION"},
		{"EmptyIssuer", map[string]string{"DATABASE_URL": db, "ACCOUNTS_ISSUER": " "}, nil, "ACCOUNTS_ISSUER"},
		{"Argon2TooSmall", map[string]string{"DATABASE_URL": db, "ACCOUNTS_ARGON2_MEMORY_KIB": "8"}, nil, "ACCOUNTS_ARGON2_MEMORY_KIB"},
		{"KeysWithoutOut", nil, []string{"keys", "generate"}, "--out"},
		{"TokenCacheTooLarge", map[string]string{"DATABASE_URL": db, "ACCOUNTS_TOKEN_CACHE_SIZE": "10000000"}, nil, "ACCOUNTS_TOKEN_CACHE_SIZE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := runCmd(t, context.Background(), tc.vars, tc.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.names) {
				t.Fatalf("want one line naming %s, got:\n%s", tc.names, stderr)
			}
		})
	}
}

// TestSecretsAreNotEchoed: a bad DATABASE_URL or signing key is named, with its
// password or key material left out, from the environment and from flags.
func TestSecretsAreNotEchoed(t *testing.T) {
	t.Parallel()
	const secret = "hunter2-s3cret"
	tests := []struct {
		name  string
		vars  map[string]string
		args  []string
		names string
	}{
		{"DatabaseURLScheme", map[string]string{"DATABASE_URL": "mysql://app:" + secret + "@db:5432/x"}, nil, "DATABASE_URL"},
		{"DatabaseURLPort", map[string]string{"DATABASE_URL": "postgres://app:" + secret + "@db:54x2/x"}, nil, "DATABASE_URL"},
		{"DatabaseURLFlag", nil, []string{"serve", "-database-url", "mysql://app:" + secret + "@db/x"}, "database-url"},
		{"InlineKey", map[string]string{"DATABASE_URL": "postgres://localhost/x", "ACCOUNTS_SIGNING_KEYS": `{"keys":[{"kty":"OKP","crv":"Ed25519","d":"` + secret + `"}]}`}, []string{"serve"}, "ACCOUNTS_SIGNING_KEYS"},
		// Key material in another encoding is not a file name either.
		{"Base64Key", map[string]string{"DATABASE_URL": "postgres://localhost/x", "ACCOUNTS_SIGNING_KEYS": "eyJrZXlzIjpb" + secret}, []string{"serve"}, "ACCOUNTS_SIGNING_KEYS"},
		{"ArrayKey", map[string]string{"DATABASE_URL": "postgres://localhost/x", "ACCOUNTS_SIGNING_KEYS": `[{"kty":"OKP","d":"` + secret + `"}]`}, []string{"serve"}, "ACCOUNTS_SIGNING_KEYS"},
		{"Base64EncryptionKey", map[string]string{"DATABASE_URL": "postgres://localhost/x", "ACCOUNTS_DEV_MODE": "true", "ACCOUNTS_ENCRYPTION_KEYS": "eyJrZXlzIjpb" + secret}, []string{"serve"}, "ACCOUNTS_ENCRYPTION_KEYS"},
		// A keyword/value connection string, and passwords in the query.
		{"DatabaseKeywordValue", map[string]string{"DATABASE_URL": "host=db user=app password=" + secret + " dbname=x"}, nil, "DATABASE_URL"},
		{"DatabaseQueryPassword", map[string]string{"DATABASE_URL": "mysql://db/x?password=" + secret}, nil, "DATABASE_URL"},
		{"ListenURLQueryPassword", map[string]string{"DATABASE_URL": "postgres://localhost/x", "ACCOUNTS_LISTEN_DATABASE_URL": "mysql://db/x?sslpassword=" + secret}, nil, "ACCOUNTS_LISTEN_DATABASE_URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCmd(t, context.Background(), tc.vars, tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.names) {
				t.Fatalf("exit %d, want 2 naming %s: %s", code, tc.names, stderr)
			}
			if strings.Contains(stderr+stdout, secret) {
				t.Fatalf("the secret is echoed: %s", stderr)
			}
		})
	}
}

// TestUnknownSettingsWarned: a typo such as ACCOUNTS_LOGLEVEL is not silently
// ignored.
func TestUnknownSettingsWarned(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": testdb.Empty(t), "ACCOUNTS_ADDR": "127.0.0.1:0", "ACCOUNTS_DEV_MODE": "true", "ACCOUNTS_LOGLEVEL": "debug"}
	code, _, stderr := runCmd(t, context.Background(), vars, "serve")
	if code != 1 || !strings.Contains(stderr, "ACCOUNTS_LOGLEVEL") || !strings.Contains(stderr, "unknown") {
		t.Fatalf("exit %d; want the schema refusal after a warning naming ACCOUNTS_LOGLEVEL:\n%s", code, stderr)
	}
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	if code, out, _ := runCmd(t, context.Background(), nil, "version"); code != 0 || !strings.HasPrefix(out, "accounts ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
	if code, out, _ := runCmd(t, context.Background(), nil, "help"); code != 0 || !strings.Contains(out, "migrate") {
		t.Errorf("help: exit %d, %q", code, out)
	}
	if code, _, errOut := runCmd(t, context.Background(), map[string]string{"DATABASE_URL": "postgres://x/y"}, "serve", "-h"); code != 0 || !strings.Contains(errOut, "ACCOUNTS_ADDR") {
		t.Errorf("serve -h: exit %d, %q", code, errOut)
	}
}

func TestMigrateUpDownUp(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": testdb.Empty(t)}
	ctx := context.Background()
	step := func(want int, args ...string) string {
		t.Helper()
		code, out, errOut := runCmd(t, ctx, vars, args...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, want, out, errOut)
		}
		return out
	}
	before := step(0, "migrate", "status")
	if strings.Contains(before, "applied ") || !strings.Contains(before, "pending") {
		t.Fatalf("status before: %s", before)
	}
	step(0, "migrate", "up")
	if out := step(0, "migrate", "status"); strings.Contains(out, "pending") {
		t.Fatalf("status after up: %s", out)
	}
	n := strings.Count(before, "pending")
	if n <= len(mustMigrations(t)) {
		t.Fatalf("status lists %d migrations; want the %d SQL files and the Go one", n, len(mustMigrations(t)))
	}
	for i := 0; i < n; i++ {
		step(0, "migrate", "down")
	}
	if out := step(0, "migrate", "status"); strings.Contains(out, "applied ") {
		t.Fatalf("status after every down: %s", out)
	}
	step(0, "migrate", "up")
	if out := step(0, "migrate", "up"); !strings.Contains(out, "current") {
		t.Fatalf("second up: %s", out)
	}
}

// TestMigrateUsesTheDirectURL: beside a transaction pooler (DATABASE_URL), the
// migrator keeps session state, so it connects to ACCOUNTS_LISTEN_DATABASE_URL,
// the direct connection, when it is set. Here DATABASE_URL leads nowhere.
func TestMigrateUsesTheDirectURL(t *testing.T) {
	t.Parallel()
	direct := testdb.Empty(t)
	vars := map[string]string{"DATABASE_URL": "postgres://accounts@127.0.0.1:1/nowhere?connect_timeout=1", "ACCOUNTS_LISTEN_DATABASE_URL": direct}
	if code, out, errOut := runCmd(t, context.Background(), vars, "migrate", "up"); code != 0 || !strings.Contains(out, "applied ") {
		t.Fatalf("migrate up with a direct URL: exit %d\n%s%s", code, out, errOut)
	}
}

func mustMigrations(t *testing.T) []string {
	t.Helper()
	m, err := os.ReadDir("../../schema")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range m {
		if strings.HasSuffix(e.Name(), ".sql") {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestServeRefusesSchemaBehind(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": testdb.Empty(t), "ACCOUNTS_ADDR": "127.0.0.1:0", "ACCOUNTS_DEV_MODE": "true"}
	code, _, stderr := runCmd(t, context.Background(), vars, "serve")
	if code != 1 || !strings.Contains(stderr, "needs") || !strings.Contains(stderr, "ACCOUNTS_MIGRATE_ON_START") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}

func TestServeMigratesServesAndStops(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		"DATABASE_URL": testdb.Empty(t), "ACCOUNTS_ADDR": "127.0.0.1:0", "ACCOUNTS_DEV_MODE": "true",
		"ACCOUNTS_MIGRATE_ON_START": "true", "ACCOUNTS_SHUTDOWN_DELAY": "0s", "ACCOUNTS_SHUTDOWN_DRAIN": "2s",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := newLogWatcher()
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, env(vars), strings.NewReader(""), io.Discard, logs) }()
	addr := logs.waitFor(t, "listening", "addr")
	logs.waitFor(t, "development mode: signing with an ephemeral key; tokens die with this process. Set ACCOUNTS_SIGNING_KEYS in production.", "level")
	for _, path := range []string{"/healthz", "/readyz"} {
		res, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after shutdown", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	logs.waitFor(t, "stopped", "msg")
}

// logWatcher collects JSON log lines and lets a test wait for one.
type logWatcher struct {
	mu    sync.Mutex
	lines []map[string]any
	buf   bytes.Buffer
	added chan struct{}
}

func newLogWatcher() *logWatcher { return &logWatcher{added: make(chan struct{}, 1)} }

func (w *logWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	sc := bufio.NewScanner(bytes.NewReader(w.buf.Bytes()))
	w.lines = w.lines[:0]
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			w.lines = append(w.lines, m)
		}
	}
	select {
	case w.added <- struct{}{}:
	default:
	}
	return len(p), nil
}

// waitFor returns field of the first line whose msg is msg.
func (w *logWatcher) waitFor(t *testing.T, msg, field string) string {
	t.Helper()
	return w.waitForUnless(t, msg, field, nil)
}

// waitForUnless is waitFor that gives up as soon as stop is closed.
func (w *logWatcher) waitForUnless(t *testing.T, msg, field string, stop <-chan struct{}) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	stopped := false
	for {
		w.mu.Lock()
		for _, l := range w.lines {
			if l["msg"] == msg {
				w.mu.Unlock()
				s, _ := l[field].(string)
				return s
			}
		}
		text := w.buf.String()
		w.mu.Unlock()
		if stopped {
			t.Fatalf("the process ended before logging %q; output:\n%s", msg, text)
		}
		select {
		case <-w.added:
		case <-stop:
			stopped, stop = true, nil // look once more: the line may have come just before the end
		case <-deadline:
			t.Fatalf("no %q log line; output:\n%s", msg, text)
		}
	}
}

func TestREADMEConfigTable(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range settings(&config{}) {
		def := st.def
		if def == "" {
			def = "(none)"
		}
		row := "| `" + st.env + "` | `" + def + "` | " + st.value.allowed + " |"
		if st.def == "" {
			row = "| `" + st.env + "` | " + def + " | " + st.value.allowed + " |"
		}
		if !strings.Contains(string(readme), row) {
			t.Errorf("README.md has no config row starting %q", row)
		}
	}
}

// TestServePrintsTheURLsItListensOn: with ACCOUNTS_PRINT_URLS, the URLs are
// printed once the listener is up, for the port it really got, and they
// answer; a configuration error stops the program before any URL is printed.
func TestServePrintsTheURLsItListensOn(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		"DATABASE_URL": testdb.Empty(t), "ACCOUNTS_ADDR": "127.0.0.1:0", "ACCOUNTS_DEV_MODE": "true",
		"ACCOUNTS_MIGRATE_ON_START": "true", "ACCOUNTS_SHUTDOWN_DELAY": "0s", "ACCOUNTS_PRINT_URLS": "true",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := newLogWatcher()
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, env(vars), strings.NewReader(""), io.Discard, logs) }()
	addr := logs.waitFor(t, "listening", "addr")
	if base := logs.waitFor(t, "listening", "base_url"); base != "http://"+addr {
		t.Fatalf("base_url %q, want http://%s", base, addr)
	}
	printed := map[string]string{}
	for deadline := time.Now().Add(5 * time.Second); len(printed) < 3 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		logs.mu.Lock()
		for _, line := range strings.Split(logs.buf.String(), "\n") {
			if f := strings.Fields(line); len(f) >= 3 && f[0] == "accounts:" && strings.HasPrefix(f[len(f)-1], "http") {
				printed[strings.Join(f[1:len(f)-1], " ")] = f[len(f)-1]
			}
		}
		logs.mu.Unlock()
	}
	want := map[string]string{
		"base URL for the SDKs": "http://" + addr,
		"API docs":              "http://" + addr + "/docs",
		"contract":              "http://" + addr + "/openapi.yaml",
	}
	for name, url := range want {
		if printed[name] != url {
			t.Fatalf("printed %s %q, want %q (all: %v)", name, printed[name], url, printed)
		}
		if name == "base URL for the SDKs" {
			url += "/api/v1/users/me" // a path of the contract, relative to the base
		}
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 && res.StatusCode != 401 {
			t.Fatalf("%s %s: %d", name, url, res.StatusCode)
		}
	}
	cancel()
	<-done

	vars["ACCOUNTS_ACCESS_TOKEN_TTL"] = "10s"
	code, _, stderr := runCmd(t, context.Background(), vars, "serve")
	if code != 2 || strings.Contains(stderr, "http://") {
		t.Fatalf("bad configuration: exit %d, output:\n%s", code, stderr)
	}
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ addr, want string }{
		{"0.0.0.0:8080", "http://localhost:8080"},
		{"[::]:8080", "http://localhost:8080"},
		{"127.0.0.1:9000", "http://127.0.0.1:9000"},
		{"[::1]:9000", "http://[::1]:9000"},
		{"192.0.2.7:80", "http://192.0.2.7:80"},
	}
	for _, tc := range tests {
		addr, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := baseURL(addr); got != tc.want {
			t.Errorf("baseURL(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
