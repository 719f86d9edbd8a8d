package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// process is a server this program started: the accounts service or the bare
// baseline, listening on base (http://127.0.0.1:port).
type process struct {
	name    string
	base    string
	cmd     *exec.Cmd
	started time.Time
	exited  chan struct{} // closed when the process has exited
	err     error         // its exit status, once exited is closed
}

// startProcess starts path with args and env (added to a copy of this
// program's environment without ACCOUNTS_*, DATABASE_URL and OTEL_*, so that
// the caller's own settings cannot change what is measured), listening on
// addr. Its output goes to log.
func startProcess(name, addr, path string, args, env []string, log io.Writer) (*process, error) {
	cmd := exec.Command(path, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ACCOUNTS_") && !strings.HasPrefix(kv, "DATABASE_URL=") && !strings.HasPrefix(kv, "OTEL_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = log, log
	p := &process{name: name, base: "http://" + addr, cmd: cmd, exited: make(chan struct{})}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	return p, nil
}

// pid is the process id, for /proc.
func (p *process) pid() int { return p.cmd.Process.Pid }

// waitReady polls GET /readyz until it answers 200, and returns how long that
// took from the start of the process. A poll that reaches the listener before
// the server serves waits in its backlog, so the answer comes as soon as it can.
func (p *process) waitReady(ctx context.Context, limit time.Duration) (time.Duration, error) {
	c := &http.Client{Timeout: 2 * time.Second, Transport: loopbackTransport()}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if res, err := c.Get(p.base + "/readyz"); err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Since(p.started), nil
			}
		}
		select {
		case <-p.exited:
			return 0, fmt.Errorf("%s exited before it was ready (%v); run again with -server-log FILE to see why", p.name, p.err)
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	return 0, fmt.Errorf("%s was not ready within %s", p.name, limit)
}

// stop sends SIGTERM and waits for the exit, killing the process after 20 s.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// freeAddr is a loopback address with a port that nothing listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
