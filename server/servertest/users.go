package servertest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/users"
)

// StrongPassword passes the password policy.
const StrongPassword = "correct horse battery staple"

var emailSeq atomic.Int64

// UniqueEmail returns a new address for each call.
func UniqueEmail(prefix string) string {
	return fmt.Sprintf("%s%d@example.com", prefix, emailSeq.Add(1))
}

// Bearer adds the access token to a request of the generated client.
func Bearer(token string) client.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

// User is a registered, logged-in user.
type User struct {
	client.User
	Password string
	Tokens   client.TokenPair
}

// Register creates a user through the API and fails t otherwise.
func (e *Env) Register(t testing.TB, email, name, password string) client.User {
	t.Helper()
	res, err := e.Client.RegisterWithResponse(context.Background(), client.RegisterRequest{Email: email, Name: name, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if res.JSON201 == nil {
		t.Fatalf("register %s: %d %s", email, res.StatusCode(), res.Body)
	}
	return *res.JSON201
}

// Login logs in through the API and fails t otherwise.
func (e *Env) Login(t testing.TB, email, password string) client.TokenPair {
	t.Helper()
	res, err := e.Client.LoginWithResponse(context.Background(), client.LoginRequest{Email: email, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if res.JSON200 == nil {
		t.Fatalf("login %s: %d %s", email, res.StatusCode(), res.Body)
	}
	return *res.JSON200
}

// NewUser registers a user and logs in.
func (e *Env) NewUser(t testing.TB) User {
	t.Helper()
	email := UniqueEmail("user")
	u := e.Register(t, email, "Test "+strings.Split(email, "@")[0], StrongPassword)
	return User{User: u, Password: StrongPassword, Tokens: e.Login(t, email, StrongPassword)}
}

// NewAdmin creates an admin the way `accounts admin create` does, and logs in.
func (e *Env) NewAdmin(t testing.TB) User {
	t.Helper()
	email := UniqueEmail("admin")
	u, err := e.Service.Users.Create(context.Background(), users.NewUser{
		Email: email, Name: "Admin " + strings.Split(email, "@")[0], Password: StrongPassword, Role: auth.RoleAdmin, EmailVerified: true,
	})
	if err != nil {
		t.Fatalf("creating an admin: %v", err)
	}
	cu := client.User{Id: u.ID, Email: u.Email, Name: u.Name, Role: client.RoleAdmin, EmailVerified: true, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
	return User{User: cu, Password: StrongPassword, Tokens: e.Login(t, email, StrongPassword)}
}

// DeleteUser soft-deletes a user through the production path (its sessions end).
func (e *Env) DeleteUser(t testing.TB, id uuid.UUID) {
	t.Helper()
	if err := e.Service.Users.Delete(context.Background(), id); err != nil {
		t.Fatalf("deleting user %s: %v", id, err)
	}
}

// Me calls GET /users/me with token and returns the status.
func (e *Env) Me(t testing.TB, token string) int {
	t.Helper()
	res, err := e.Client.GetMeWithResponse(context.Background(), nil, Bearer(token))
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode()
}

// Do sends a raw request, for what the typed client cannot express. Failures
// are reported on t, the calling (sub)test.
func (e *Env) Do(t testing.TB, method, path string, body io.Reader, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// Call sends a request with an optional bearer token and JSON body; extra are
// more header names and values.
func (e *Env) Call(t testing.TB, method, path, token, body string, extra ...string) (*http.Response, []byte) {
	t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		h.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	if body == "" {
		return e.Do(t, method, path, nil, h)
	}
	return e.Do(t, method, path, strings.NewReader(body), h)
}

// ProblemOf decodes a problem body.
func ProblemOf(t testing.TB, b []byte) api.Problem {
	t.Helper()
	var p api.Problem
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("not a problem: %v: %s", err, b)
	}
	return p
}
