package accounts_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meridianhq/accounts/gen/client"
	accounts "github.com/meridianhq/accounts/sdk/go"
	"github.com/meridianhq/accounts/server/servertest"
)

// served counts the access-log lines of operation op: the requests of it that
// reached the server. The test server writes a request's line before the
// response leaves (servertest buffers each response to check it against the
// contract), so a count taken after the calls returned is complete.
func served(t *testing.T, e *servertest.Env, op string) (total int, byStatus map[int]int) {
	t.Helper()
	byStatus = map[int]int{}
	sc := bufio.NewScanner(strings.NewReader(e.Logs.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct {
			Msg       string `json:"msg"`
			Operation string `json:"operation"`
			Status    int    `json:"status"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "request" && line.Operation == op {
			total++
			byStatus[line.Status]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return total, byStatus
}

// refreshes counts the refresh calls that reached the server.
func refreshes(t *testing.T, e *servertest.Env) int {
	t.Helper()
	n, _ := served(t, e, "refreshToken")
	return n
}

// login returns a session logged in as a new user of e, sending through rt
// when it is not nil, and the generated client on it.
func login(t *testing.T, e *servertest.Env, rt http.RoundTripper) (servertest.User, *accounts.Session, *client.ClientWithResponses) {
	t.Helper()
	u := e.NewUser(t)
	var opts []accounts.Option
	if rt != nil {
		opts = append(opts, accounts.WithTransport(rt))
	}
	s, err := accounts.NewSession(e.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Login(t.Context(), u.Email, u.Password); err != nil {
		t.Fatalf("login: %v", err)
	}
	api, err := s.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	return u, s, api
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// isRefresh reports whether r is a refresh call.
func isRefresh(r *http.Request) bool { return r.URL.Path == "/api/v1/auth/refresh" }

// expire moves e's clock past the lifetime of every access token issued so far.
func expire(e *servertest.Env) { e.Clock.Advance(16 * time.Minute) }

// problem returns the *ProblemError in err, failing t when there is none.
func problem(t *testing.T, err error) *accounts.ProblemError {
	t.Helper()
	var pe *accounts.ProblemError
	if !errors.As(err, &pe) {
		t.Fatalf("want a *ProblemError, got %T: %v", err, err)
	}
	return pe
}
