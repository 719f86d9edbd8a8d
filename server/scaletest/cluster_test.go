//go:build scale

package scaletest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// cluster is a throwaway PostgreSQL cluster on a TCP port of 127.0.0.1, run as
// the postgres user when the test runs as root (initdb and postgres refuse
// root).
type cluster struct {
	dir  string
	port int
	cmd  *exec.Cmd
}

// binDir finds the PostgreSQL server binaries.
func binDir(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		t.Fatal("no PostgreSQL server binaries (initdb)")
	}
	return filepath.Dir(matches[len(matches)-1])
}

// asOwner runs name as the postgres user when we are root.
func asOwner(name string, args ...string) *exec.Cmd {
	if os.Getuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	}
	return exec.Command(name, args...)
}

// ownedDir makes a directory the daemons' user can use.
func ownedDir(t *testing.T, name string) string {
	t.Helper()
	d, err := os.MkdirTemp("", "accounts-scale-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if os.Getuid() == 0 {
		if err := exec.Command("chown", "postgres:", d).Run(); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// freePort returns a free TCP port of 127.0.0.1.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startCluster initialises and starts a cluster, with the durability settings
// a test may drop, and stops it when the test ends.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	bin := binDir(t)
	c := &cluster{dir: ownedDir(t, "pg"), port: freePort(t)}
	data := filepath.Join(c.dir, "data")
	if out, err := asOwner(filepath.Join(bin, "initdb"), "-D", data, "-U", "accounts", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.cmd = asOwner(filepath.Join(bin, "postgres"), "-D", data, "-c", "listen_addresses=127.0.0.1", "-c", "port="+strconv.Itoa(c.port),
		"-c", "unix_socket_directories="+c.dir, "-c", "max_connections=300", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off")
	log, err := os.Create(filepath.Join(c.dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	c.cmd.Stdout, c.cmd.Stderr = log, log
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.thaw()
		// The group: runuser does not pass SIGINT on to the postmaster.
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGINT)
		done := make(chan struct{})
		go func() { _ = c.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		conn, err := pgx.Connect(context.Background(), c.url("postgres"))
		if err == nil {
			conn.Close(context.Background())
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cluster did not start: %v", err)
		}
	}
	c.exec(t, "postgres", "CREATE DATABASE accounts")
	return c
}

// url is the direct URL of database db.
func (c *cluster) url(db string) string {
	return fmt.Sprintf("postgres://accounts@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// exec runs sql on database db.
func (c *cluster) exec(t *testing.T, db, sql string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), c.url(db))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// signal sends sig to the postmaster and every backend: SIGSTOP freezes the
// whole server as a hung machine would (a frozen server enforces no
// statement_timeout), SIGCONT lets it go on. The postmaster's pid is the first
// line of postmaster.pid.
func (c *cluster) signal(sig syscall.Signal) {
	b, err := os.ReadFile(filepath.Join(c.dir, "data", "postmaster.pid"))
	if err != nil {
		return
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pm, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return
	}
	pids := []int{pm}
	if out, err := exec.Command("pgrep", "-P", strconv.Itoa(pm)).Output(); err == nil {
		for _, f := range strings.Fields(string(out)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, sig)
	}
}

func (c *cluster) freeze() { c.signal(syscall.SIGSTOP) }
func (c *cluster) thaw()   { c.signal(syscall.SIGCONT) }
