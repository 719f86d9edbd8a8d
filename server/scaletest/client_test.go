//go:build scale

package scaletest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/meridianhq/accounts/gen/client"
)

// httpClient is shared by every check: keep-alive, bounded.
var httpClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// api is the Go SDK pointed at addr.
func api(t *testing.T, addr string) *client.ClientWithResponses {
	t.Helper()
	c, err := client.NewClientWithResponses("http://"+addr, client.WithHTTPClient(httpClient))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// from makes a request come from a random documentation address, so that the
// per-client attempt limit never meets the checks that are not about it.
func from() client.RequestEditorFn {
	ip := fmt.Sprintf("198.18.%d.%d", rand.IntN(256), 1+rand.IntN(254))
	return func(_ context.Context, r *http.Request) error { r.Header.Set("X-Forwarded-For", ip); return nil }
}

func bearer(token string) client.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

const password = "correct horse battery staple"

// newUser registers a user through c and logs in.
func newUser(t *testing.T, c *client.ClientWithResponses) (client.User, client.TokenPair) {
	t.Helper()
	email := fmt.Sprintf("scale-%d@example.com", rand.Int64())
	reg, err := c.RegisterWithResponse(context.Background(), client.RegisterRequest{Email: email, Name: "Scale", Password: password}, from())
	if err != nil || reg.JSON201 == nil {
		t.Fatalf("register: %v %v", err, reg)
	}
	return *reg.JSON201, login(t, c, email, password)
}

func login(t *testing.T, c *client.ClientWithResponses, email, pw string) client.TokenPair {
	t.Helper()
	res, err := c.LoginWithResponse(context.Background(), client.LoginRequest{Email: email, Password: pw}, from())
	if err != nil || res.JSON200 == nil {
		t.Fatalf("login %s: %v %v", email, err, res)
	}
	return *res.JSON200
}

// me is the status of GET /users/me with token.
func me(c *client.ClientWithResponses, token string) int {
	res, err := c.GetMeWithResponse(context.Background(), nil, bearer(token))
	if err != nil {
		return 0
	}
	return res.StatusCode()
}
