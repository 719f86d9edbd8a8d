package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/meridianhq/accounts/gen/client"
)

// The seeded users: load1@example.com … load<n>@example.com, all with this
// password, plus the admin that reads them.
const (
	userPrefix    = "load"
	loadPassword  = "benchload Quartz Harbor 1987"
	adminEmail    = "benchload-admin@example.com"
	adminPassword = "benchload Admin Lantern 2041"
)

// getUsers reads a random seeded user on each call, as the admin (the
// baseline ignores the token).
func getUsers(base, token string, ids []string) call {
	return func(int) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/users/"+ids[rand.IntN(len(ids))], nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return req
	}
}

// logins logs the seeded users in, one after another.
func logins(base string, users int) call {
	var n atomic.Int64
	return func(int) *http.Request {
		email := fmt.Sprintf("%s%d@example.com", userPrefix, n.Add(1)%int64(users)+1)
		body := `{"email":"` + email + `","password":"` + loadPassword + `"}`
		req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/auth/login", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return req
	}
}

// listPage asks for one page of GET /api/v1/users, as the admin.
func listPage(base, token, query string) call {
	return func(int) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/users?"+query, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return req
	}
}

// register creates a user through the API (so its password is hashed by the
// service, at the service's cost).
func register(ctx context.Context, base, email, password string) error {
	c, err := client.NewClientWithResponses(base)
	if err != nil {
		return err
	}
	res, err := c.RegisterWithResponse(ctx, client.RegisterRequest{Email: email, Name: "Load", Password: password})
	if err != nil {
		return fmt.Errorf("registering %s: %w", email, err)
	}
	if res.StatusCode() != http.StatusCreated {
		return fmt.Errorf("registering %s: %d %s", email, res.StatusCode(), res.Body)
	}
	return nil
}

// accessToken logs in through the API and returns the access token.
func accessToken(ctx context.Context, base, email, password string) (string, error) {
	c, err := client.NewClientWithResponses(base)
	if err != nil {
		return "", err
	}
	res, err := c.LoginWithResponse(ctx, client.LoginRequest{Email: email, Password: password})
	if err != nil {
		return "", fmt.Errorf("logging in %s: %w", email, err)
	}
	if res.JSON200 == nil {
		return "", fmt.Errorf("logging in %s: %d %s", email, res.StatusCode(), res.Body)
	}
	return res.JSON200.AccessToken, nil
}

// deepCursor walks GET /api/v1/users 100 rows a page down to depth rows and
// returns the cursor of the page there.
func deepCursor(ctx context.Context, base, token string, depth int) (string, error) {
	c, err := client.NewClientWithResponses(base, client.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}))
	if err != nil {
		return "", err
	}
	limit, cursor := 100, ""
	for seen := 0; seen < depth; seen += limit {
		p := client.ListUsersParams{Limit: &limit}
		if cursor != "" {
			p.Cursor = &cursor
		}
		res, err := c.ListUsersWithResponse(ctx, &p)
		if err != nil {
			return "", err
		}
		if res.JSON200 == nil || res.JSON200.NextCursor == nil {
			return "", fmt.Errorf("listing users at depth %d: %d %s", seen, res.StatusCode(), res.Body)
		}
		cursor = *res.JSON200.NextCursor
	}
	return cursor, nil
}
