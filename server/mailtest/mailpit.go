// Package mailtest runs a real SMTP server for the tests: Mailpit
// (github.com/axllent/mailpit, pinned in tools/go.mod), one per test process
// on 127.0.0.1, and reads back through its HTTP API the mails the service
// sent.
package mailtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is a running Mailpit.
type Server struct {
	// SMTP is host:port of its SMTP listener; API the base URL of its HTTP API
	// and web UI.
	SMTP, API string
}

// URL is the ACCOUNTS_SMTP_URL of the server: plain SMTP on loopback.
func (s *Server) URL() string { return "smtp://" + s.SMTP + "?tls=none" }

var (
	shared     *Server
	sharedErr  error
	sharedOnce sync.Once
)

// Shared returns the Mailpit of this test process, started on first use and
// killed with the process. Tests share it: each uses addresses of its own and
// reads its mails by recipient.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Start(nil) })
	if sharedErr != nil {
		tb.Fatalf("mailtest: %v", sharedErr)
	}
	return shared
}

// Start runs a Mailpit with extra flags. It dies with this process.
func Start(extra []string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	smtpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	apiPort, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "mailpit-")
	if err != nil {
		return nil, err
	}
	s := &Server{SMTP: "127.0.0.1:" + smtpPort, API: "http://127.0.0.1:" + apiPort}
	args := append([]string{"--smtp", s.SMTP, "--listen", "127.0.0.1:" + apiPort, "--database", filepath.Join(dir, "mailpit.db"),
		"--max", "0", "--quiet", "--smtp-disable-rdns", "--disable-version-check"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() { _ = cmd.Wait() }()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if res, err := http.Get(s.API + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return nil, fmt.Errorf("mailpit did not answer within 20s: %s", out.String())
		}
	}
}

// Binary is the Mailpit executable: $MAILPIT_BIN, or the one `go tool` builds
// from tools/go.mod (about two minutes the first time, cached after).
func Binary() (string, error) {
	if b := os.Getenv("MAILPIT_BIN"); b != "" {
		return b, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "tool", "-modfile="+filepath.Join(root, "tools", "go.mod"), "-n", "mailpit")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("building mailpit with go tool: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

// repoRoot walks up from the working directory to the module's go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/meridianhq/accounts\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of github.com/meridianhq/accounts above the working directory")
		}
		dir = parent
	}
}

// Mail is one message as Mailpit received it.
type Mail struct {
	ID      string `json:"ID"`
	Subject string `json:"Subject"`
	To      []struct {
		Address string `json:"Address"`
	} `json:"To"`
	Text string `json:"Text"`
	HTML string `json:"HTML"`
}

// Messages returns every mail to address, oldest first, with its text and
// HTML parts.
func (s *Server) Messages(ctx context.Context, address string) ([]Mail, error) {
	var list struct {
		Messages []Mail `json:"messages"`
	}
	if err := s.get(ctx, "/api/v1/search?query="+url.QueryEscape("to:"+address), &list); err != nil {
		return nil, err
	}
	out := make([]Mail, 0, len(list.Messages))
	for i := len(list.Messages) - 1; i >= 0; i-- { // the API lists newest first
		var m Mail
		if err := s.get(ctx, "/api/v1/message/"+list.Messages[i].ID, &m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// WaitFor returns the mails to address once there are at least n, failing
// tb after 15 seconds.
func (s *Server) WaitFor(tb testing.TB, address string, n int) []Mail {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ms, err := s.Messages(context.Background(), address)
		if err != nil {
			tb.Fatal(err)
		}
		if len(ms) >= n {
			return ms
		}
		if time.Now().After(deadline) {
			tb.Fatalf("mailtest: %d mails to %s after 15s, want %d", len(ms), address, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *Server) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.API+path, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("mailpit %s: %s", path, res.Status)
	}
	return json.NewDecoder(res.Body).Decode(v)
}

var (
	linkPattern = regexp.MustCompile(`https?://[^\s"<>]+#token=([A-Za-z0-9_-]+)`)
	codePattern = regexp.MustCompile(`code[^0-9]{0,80}\b([0-9]{6})\b`)
)

// Link is the first link of the mail's text part with a token, or "".
func (m Mail) Link() string { return linkPattern.FindString(m.Text) }

// Token is the token of Link, or "".
func (m Mail) Token() string {
	if s := linkPattern.FindStringSubmatch(m.Text); s != nil {
		return s[1]
	}
	return ""
}

// Code is the 6-digit code of the mail's text part, or "".
func (m Mail) Code() string {
	if s := codePattern.FindStringSubmatch(m.Text); s != nil {
		return s[1]
	}
	return ""
}
