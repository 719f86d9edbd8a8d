package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/meridianhq/accounts/gen/client"
)

// strongPassword passes the password policy.
const strongPassword = "correct horse battery staple"

var emailSeq atomic.Int64

// uniqueEmail returns a new address for each call.
func uniqueEmail(prefix string) string {
	return fmt.Sprintf("%s%d@example.com", prefix, emailSeq.Add(1))
}

// bearer adds the access token to a request.
func bearer(token string) client.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

// register creates a user through the API and fails the test otherwise.
func (e *env) register(t testing.TB, email, name, password string) client.User {
	t.Helper()
	res, err := e.client.RegisterWithResponse(context.Background(), client.RegisterRequest{Email: email, Name: name, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if res.JSON201 == nil {
		t.Fatalf("register %s: %d %s", email, res.StatusCode(), res.Body)
	}
	return *res.JSON201
}

// login logs in through the API and fails the test otherwise.
func (e *env) login(t testing.TB, email, password string) client.TokenPair {
	t.Helper()
	res, err := e.client.LoginWithResponse(context.Background(), client.LoginRequest{Email: email, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if res.JSON200 == nil {
		t.Fatalf("login %s: %d %s", email, res.StatusCode(), res.Body)
	}
	return *res.JSON200
}

// user is a registered, logged-in user.
type user struct {
	client.User
	password string
	tokens   client.TokenPair
}

// newUser registers a user and logs in.
func (e *env) newUser(t testing.TB) user {
	t.Helper()
	email := uniqueEmail("user")
	u := e.register(t, email, "Test "+strings.Split(email, "@")[0], strongPassword)
	return user{User: u, password: strongPassword, tokens: e.login(t, email, strongPassword)}
}

// me calls GET /users/me with token and returns the status.
func (e *env) me(t testing.TB, token string) int {
	t.Helper()
	res, err := e.client.GetMeWithResponse(context.Background(), bearer(token))
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode()
}
