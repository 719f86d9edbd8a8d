//go:build scale

package scaletest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// syncBuffer collects a process's output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is a daemon the test started.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

// start runs cmd, output collected, and kills it when the test ends.
func start(t *testing.T, name string, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{name: name, cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	// Its own process group: a signal reaches the daemon behind runuser too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s output (last 4 KiB):\n%s", name, tail(p.out.String(), 4096))
		}
	})
	return p
}

// stop sends SIGTERM and returns the exit code, or fails after 30 s.
func (p *proc) stop(t *testing.T) int {
	t.Helper()
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not stop within 30s; output:\n%s", p.name, p.out)
		return -1
	}
}

// waitHTTP waits until url answers 200.
func waitHTTP(t *testing.T, url string, within time.Duration, p *proc) {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(url); err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if p != nil {
			select {
			case <-p.done:
				t.Fatalf("%s exited while starting:\n%s", p.name, p.out)
			default:
			}
		}
		if time.Now().After(deadline) {
			out := ""
			if p != nil {
				out = p.out.String()
			}
			t.Fatalf("%s did not answer 200 within %s\n%s", url, within, out)
		}
	}
}

// waitTCP waits until addr accepts connections.
func waitTCP(t *testing.T, addr string, p *proc) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not accept connections:\n%s", addr, p.out)
		}
	}
}

// replica is one accounts process.
type replica struct {
	*proc
	addr string
}

// startReplica runs `accounts serve` on addr with env, and waits until it is ready.
func startReplica(t *testing.T, name, addr string, env []string) *replica {
	t.Helper()
	cmd := exec.Command(binary(t), "serve")
	cmd.Env = append(append(os.Environ(), env...), "ACCOUNTS_ADDR="+addr)
	r := &replica{proc: start(t, name, cmd), addr: addr}
	waitHTTP(t, "http://"+addr+"/readyz", 30*time.Second, r.proc)
	return r
}

// binary is the accounts binary under test: ACCOUNTS_BIN, or bin/accounts.
func binary(t *testing.T) string {
	t.Helper()
	b := os.Getenv("ACCOUNTS_BIN")
	if b == "" {
		b = "../../bin/accounts"
	}
	abs, err := filepath.Abs(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		t.Fatalf("no accounts binary at %s (make build, or set ACCOUNTS_BIN)", abs)
	}
	return abs
}

// run runs the accounts binary with args and env, and fails on a non-zero exit.
func run(t *testing.T, env []string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewBufferString(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("accounts %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// startHAProxy balances addrs behind port, checking /readyz every 500 ms.
func startHAProxy(t *testing.T, port int, addrs []string) *proc {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global
    maxconn 4000
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
    retry-on conn-failure empty-response
frontend fe
    bind 127.0.0.1:%d
    default_backend be
backend be
    option forwardfor
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2
`, port)
	for i, a := range addrs {
		cfg += fmt.Sprintf("    server r%d %s check\n", i+1, a)
	}
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	p := start(t, "haproxy", exec.Command("haproxy", "-db", "-f", path))
	waitTCP(t, "127.0.0.1:"+strconv.Itoa(port), p)
	return p
}

// startPgBouncer pools the cluster's database accounts on port, in
// transaction mode, as Debian's PgBouncer (1.18) does it.
func startPgBouncer(t *testing.T, c *cluster, port int) *proc {
	t.Helper()
	dir := ownedDir(t, "pgbouncer")
	cfg := fmt.Sprintf(`[databases]
accounts = host=127.0.0.1 port=%d dbname=accounts user=accounts
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = any
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 40
ignore_startup_parameters = extra_float_digits
`, c.port, port)
	path := filepath.Join(dir, "pgbouncer.ini")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := "/usr/sbin/pgbouncer"
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		bin = p
	}
	p := start(t, "pgbouncer", asOwner(bin, path))
	waitTCP(t, "127.0.0.1:"+strconv.Itoa(port), p)
	return p
}

// tail is the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
