package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/meridianhq/accounts/server/testdb"
)

// binary is the accounts binary, built once by TestMain exactly as the
// Dockerfile builds it: static, trimmed, stripped, version-stamped.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "accounts-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "accounts")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -X main.version=test-build", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the binary:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is the binary running as a child process.
type proc struct {
	cmd  *exec.Cmd
	logs *logWatcher
	addr string
	done chan error
}

// startBinary runs the binary with exactly env and args, in dir, and waits
// until it listens.
func startBinary(t *testing.T, dir string, env []string, creds *syscall.Credential, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env, cmd.Dir = env, dir
	if creds != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: creds}
	}
	p := &proc{cmd: cmd, logs: newLogWatcher(), done: make(chan error, 1)}
	cmd.Stderr, cmd.Stdout = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { p.done <- cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	p.addr = p.logs.waitForUnless(t, "listening", "addr", exited)
	return p
}

// wait returns the exit status, failing the test if it takes longer than d.
func (p *proc) wait(t *testing.T, d time.Duration) *os.ProcessState {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState
	case <-time.After(d):
		t.Fatalf("the process did not exit within %s", d)
		return nil
	}
}

func devArgs() []string {
	return []string{"serve", "-addr", "127.0.0.1:0", "-dev", "-migrate"}
}

// slowRegister starts a register request and sends only half its body; the
// caller sends the rest with finish.
func slowRegister(t *testing.T, addr string) (finish func() *http.Response) {
	t.Helper()
	body := `{"email":"slow@example.com","password":"correct horse battery staple","name":"Slow"}`
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /api/v1/auth/register HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body[:20])
	return func() *http.Response {
		if _, err := io.WriteString(conn, body[20:]); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("reading the in-flight response: %v", err)
		}
		return res
	}
}

func getStatus(addr, path string) int {
	res, err := http.Get("http://" + addr + path)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

func TestSIGTERMDrainsInFlightRequest(t *testing.T) {
	t.Parallel()
	env := []string{"DATABASE_URL=" + testdb.Empty(t), "ACCOUNTS_SHUTDOWN_DELAY=2s", "ACCOUNTS_SHUTDOWN_DRAIN=10s"}
	p := startBinary(t, t.TempDir(), env, nil, devArgs()...)
	finish := slowRegister(t, p.addr) // headers sent, half the body: in flight
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// During the shutdown delay /readyz is 503 while the listener still serves.
	waitUntil(t, "/readyz turns 503", func() bool { return getStatus(p.addr, "/readyz") == http.StatusServiceUnavailable })
	// Then the listener closes and the drain waits for the request in flight.
	waitUntil(t, "the listener closes", func() bool { return getStatus(p.addr, "/healthz") == 0 })
	if res := finish(); res.StatusCode != http.StatusCreated {
		t.Fatalf("the in-flight request got %d, want 201", res.StatusCode)
	}
	st := p.wait(t, 20*time.Second)
	if st.ExitCode() != 0 {
		t.Fatalf("exit status %d after a graceful shutdown", st.ExitCode())
	}
	p.logs.waitFor(t, "stopped", "msg")
}

// waitUntil polls cond until it holds, failing the test after 10s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSecondSignalForcesExit(t *testing.T) {
	t.Parallel()
	// A shutdown delay of a minute: only the second signal can cut it short.
	env := []string{"DATABASE_URL=" + testdb.Empty(t), "ACCOUNTS_SHUTDOWN_DELAY=60s"}
	p := startBinary(t, t.TempDir(), env, nil, devArgs()...)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.logs.waitFor(t, "shutting down", "msg")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	st := p.wait(t, 10*time.Second)
	if st.Success() {
		t.Fatal("a forced exit reports success")
	}
}

// TestStaticBinaryNeedsNoFiles runs the binary as the container would: no
// environment but DATABASE_URL, an empty working directory, a non-root user.
// The spec, the docs assets and the migrations must all be embedded.
func TestStaticBinaryNeedsNoFiles(t *testing.T) {
	t.Parallel()
	// Not t.TempDir(): its parent is private to root.
	dir, err := os.MkdirTemp("", "accounts-empty-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	var creds *syscall.Credential
	if os.Geteuid() == 0 {
		creds = &syscall.Credential{Uid: 65534, Gid: 65534} // nobody, as distroless's nonroot
	}
	p := startBinary(t, dir, []string{"DATABASE_URL=" + testdb.Empty(t)}, creds, devArgs()...)
	for _, path := range []string{"/readyz", "/healthz", "/openapi.yaml", "/openapi.json", "/docs", "/docs/assets/swagger-ui-bundle.js", "/.well-known/jwks.json"} {
		if got := getStatus(p.addr, path); got != http.StatusOK {
			t.Errorf("%s: %d", path, got)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 0 {
		t.Errorf("the binary wrote into its working directory: %v", entries)
	}
	out, err := exec.Command(binary, "version").Output()
	if err != nil || strings.TrimSpace(string(out)) != "accounts test-build" {
		t.Errorf("version: %q %v", out, err)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if st := p.wait(t, 15*time.Second); st.ExitCode() != 0 {
		t.Errorf("exit status %d", st.ExitCode())
	}

}

// TestDrainOverrunExitsNonZero: when the drain period ends with a request still
// in flight, the process says so and exits non-zero: the shutdown cut a
// request, and an orchestrator should know.
func TestDrainOverrunExitsNonZero(t *testing.T) {
	t.Parallel()
	env := []string{"DATABASE_URL=" + testdb.Empty(t), "ACCOUNTS_SHUTDOWN_DELAY=0s", "ACCOUNTS_SHUTDOWN_DRAIN=500ms"}
	p := startBinary(t, t.TempDir(), env, nil, devArgs()...)
	slowRegister(t, p.addr)            // never finished
	time.Sleep(100 * time.Millisecond) // let the server read the headers
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	st := p.wait(t, 20*time.Second)
	if st.ExitCode() == 0 {
		t.Fatal("exit status 0 after the drain period cut a request")
	}
	p.logs.waitFor(t, "drain period over; closing the remaining connections", "msg")
}
