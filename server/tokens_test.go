package server_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server/servertest"
)

// refresh calls POST /auth/refresh and returns the status, the new pair (on
// 200) and the problem code (otherwise).
func refresh(t *testing.T, e *servertest.Env, token string) (int, client.TokenPair, string) {
	t.Helper()
	res, err := e.Client.RefreshTokenWithResponse(context.Background(), client.RefreshRequest{RefreshToken: token})
	if err != nil {
		t.Fatal(err)
	}
	if res.JSON200 != nil {
		return 200, *res.JSON200, ""
	}
	return res.StatusCode(), client.TokenPair{}, servertest.ProblemOf(t, res.Body).Code
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := e.NewUser(t)
	status, second, _ := refresh(t, e, u.Tokens.RefreshToken)
	if status != 200 || second.RefreshToken == u.Tokens.RefreshToken || second.AccessToken == "" {
		t.Fatalf("first refresh: %d %+v", status, second)
	}
	if e.Me(t, second.AccessToken) != 200 {
		t.Fatal("the refreshed access token does not work")
	}
	status, third, _ := refresh(t, e, second.RefreshToken)
	if status != 200 {
		t.Fatalf("second refresh: %d", status)
	}
	// Replaying the first token is reuse: the whole session ends.
	if status, _, code := refresh(t, e, u.Tokens.RefreshToken); status != 401 || code != string(api.CodeRefreshTokenReused) {
		t.Fatalf("reuse: %d %s", status, code)
	}
	if status, _, code := refresh(t, e, third.RefreshToken); status != 401 || code != string(api.CodeInvalidRefreshToken) {
		t.Fatalf("the session's newest token after reuse: %d %s", status, code)
	}
	for _, tok := range []string{u.Tokens.AccessToken, second.AccessToken, third.AccessToken} {
		if got := e.Me(t, tok); got != 401 {
			t.Fatalf("an access token of the revoked session answers %d", got)
		}
	}
}

func TestRefreshInvalid(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	expired, idle, loggedOut, deleted := e.NewUser(t), e.NewUser(t), e.NewUser(t), e.NewUser(t)
	ctx := context.Background()
	mustExec(t, e, "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1", expired.Id)
	mustExec(t, e, "UPDATE sessions SET last_used_at = now() - interval '169 hours' WHERE user_id = $1", idle.Id)
	e.DeleteUser(t, deleted.Id)
	if res, err := e.Client.LogoutWithResponse(ctx, client.LogoutRequest{}, servertest.Bearer(loggedOut.Tokens.AccessToken)); err != nil || res.StatusCode() != 204 {
		t.Fatalf("logout: %v %v", err, res)
	}
	tests := []struct{ name, token string }{
		{"Unknown_401", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"Malformed_401", "not a token at all!"},
		{"Empty_401", ""},
		{"Longest_401", strings.Repeat("x", 512)},
		{"Expired_401", expired.Tokens.RefreshToken},
		{"Idle_401", idle.Tokens.RefreshToken},
		{"Revoked_401", loggedOut.Tokens.RefreshToken},
		{"DeletedUser_401", deleted.Tokens.RefreshToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if status, _, code := refresh(t, e, tc.token); status != 401 || code != string(api.CodeInvalidRefreshToken) {
				t.Fatalf("got %d %s", status, code)
			}
		})
	}
	t.Run("TooLong_400", func(t *testing.T) {
		if status, _, code := refresh(t, e, strings.Repeat("x", 513)); status != 400 || code != string(api.CodeValidationFailed) {
			t.Fatalf("got %d %s", status, code)
		}
	})
}

// TestRefreshReuseLeewayAllowsOneReplay: within the leeway a used token may be
// presented once more (a client that raced two refreshes); a second replay is
// reuse, and ends the session, instead of minting one chain per replay.
func TestRefreshReuseLeewayAllowsOneReplay(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, func(o *servertest.Options) { o.Config.Sessions.ReuseLeeway = time.Minute })
	u := e.NewUser(t)
	if status, _, _ := refresh(t, e, u.Tokens.RefreshToken); status != 200 {
		t.Fatalf("first use: %d", status)
	}
	status, replay, _ := refresh(t, e, u.Tokens.RefreshToken)
	if status != 200 {
		t.Fatalf("one replay within the leeway: %d", status)
	}
	status, _, code := refresh(t, e, u.Tokens.RefreshToken)
	if status != 401 || code != string(api.CodeRefreshTokenReused) {
		t.Fatalf("a second replay within the leeway: %d %s; want 401 REFRESH_TOKEN_REUSED", status, code)
	}
	if e.Me(t, replay.AccessToken) != 401 {
		t.Fatal("the session survived a second replay")
	}
}

func TestRefreshReuseLeeway(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, func(o *servertest.Options) { o.Config.Sessions.ReuseLeeway = time.Minute })
	u := e.NewUser(t)
	status, a, _ := refresh(t, e, u.Tokens.RefreshToken)
	if status != 200 {
		t.Fatal(status)
	}
	// Within the leeway a raced second use gets its own new pair and the session lives.
	status, b, _ := refresh(t, e, u.Tokens.RefreshToken)
	if status != 200 || b.RefreshToken == a.RefreshToken {
		t.Fatalf("reuse within the leeway: %d", status)
	}
	for _, pair := range []client.TokenPair{a, b} {
		if e.Me(t, pair.AccessToken) != 200 {
			t.Fatal("the session did not survive a reuse within the leeway")
		}
	}
	// Outside it, reuse is reuse.
	mustExec(t, e, "UPDATE refresh_tokens SET used_at = now() - interval '61 seconds' WHERE used_at IS NOT NULL")
	if status, _, code := refresh(t, e, u.Tokens.RefreshToken); status != 401 || code != string(api.CodeRefreshTokenReused) {
		t.Fatalf("reuse after the leeway: %d %s", status, code)
	}
}

func TestRefreshConcurrent(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := e.NewUser(t)
	const n = 10
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			statuses[i], _, _ = refresh(t, e, u.Tokens.RefreshToken)
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		if s == 200 {
			ok++
		} else if s != 401 {
			t.Fatalf("statuses %v", statuses)
		}
	}
	if ok != 1 {
		t.Fatalf("%d concurrent refreshes of one token succeeded, want exactly 1 (statuses %v)", ok, statuses)
	}
}

func TestLogoutScopes(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	tests := []struct {
		name             string
		body             *client.LogoutRequest
		callerAlive      bool
		otherSessionLive bool
	}{
		{"NoBody_Current", nil, false, true},
		{"Current", &client.LogoutRequest{Scope: ptr(client.Current)}, false, true},
		{"Others", &client.LogoutRequest{Scope: ptr(client.Others)}, true, false},
		{"All", &client.LogoutRequest{Scope: ptr(client.All)}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := e.NewUser(t)
			other := e.Login(t, u.Email, u.Password)
			var res *client.LogoutResponse
			var err error
			if tc.body == nil {
				res, err = e.Client.LogoutWithBodyWithResponse(context.Background(), "application/json", http.NoBody, servertest.Bearer(u.Tokens.AccessToken))
			} else {
				res, err = e.Client.LogoutWithResponse(context.Background(), *tc.body, servertest.Bearer(u.Tokens.AccessToken))
			}
			if err != nil || res.StatusCode() != 204 {
				t.Fatalf("logout: %v %d %s", err, res.StatusCode(), res.Body)
			}
			if got := e.Me(t, u.Tokens.AccessToken) == 200; got != tc.callerAlive {
				t.Errorf("caller's token works: %v, want %v", got, tc.callerAlive)
			}
			if got := e.Me(t, other.AccessToken) == 200; got != tc.otherSessionLive {
				t.Errorf("other session's token works: %v, want %v", got, tc.otherSessionLive)
			}
			status, _, _ := refresh(t, e, u.Tokens.RefreshToken)
			if got := status == 200; got != tc.callerAlive {
				t.Errorf("caller's refresh works: %v, want %v", got, tc.callerAlive)
			}
		})
	}
	t.Run("BadScope_400", func(t *testing.T) {
		u := e.NewUser(t)
		res, err := e.Client.LogoutWithBodyWithResponse(context.Background(), "application/json", strings.NewReader(`{"scope":"everything"}`), servertest.Bearer(u.Tokens.AccessToken))
		if err != nil || res.StatusCode() != 400 || servertest.ProblemOf(t, res.Body).Code != string(api.CodeValidationFailed) {
			t.Fatalf("got %v %d %s", err, res.StatusCode(), res.Body)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestSessions(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := e.NewUser(t)
	second := e.Login(t, u.Email, u.Password)
	stranger := e.NewUser(t)
	ctx := context.Background()
	list := func(token string) []client.Session {
		t.Helper()
		res, err := e.Client.ListSessionsWithResponse(ctx, servertest.Bearer(token))
		if err != nil || res.JSON200 == nil {
			t.Fatalf("list: %v %s", err, res.Body)
		}
		return res.JSON200.Items
	}
	items := list(second.AccessToken)
	if len(items) != 2 || !items[0].Current || items[1].Current {
		t.Fatalf("sessions %+v: want 2, newest (current) first", items)
	}
	if items[0].Ip == nil || *items[0].Ip != "127.0.0.1" || !strings.HasPrefix(items[0].UserAgent, "Go-http-client") {
		t.Errorf("session client: ip %v, user agent %q", items[0].Ip, items[0].UserAgent)
	}
	firstUsed := items[1].LastUsedAt
	status, rotated, _ := refresh(t, e, u.Tokens.RefreshToken)
	if status != 200 {
		t.Fatal(status)
	}
	if after := list(rotated.AccessToken); !after[1].LastUsedAt.After(firstUsed) || !after[1].Current {
		t.Errorf("refresh did not move last_used_at: %v then %v", firstUsed, after[1].LastUsedAt)
	}

	tests := []struct {
		name   string
		id     string
		status int
		code   string
	}{
		{"Unknown_404", uuid.NewString(), 404, string(api.CodeSessionNotFound)},
		{"Strangers_404", list(stranger.Tokens.AccessToken)[0].Id.String(), 404, string(api.CodeSessionNotFound)},
		{"NotUUID_400", "nope", 400, string(api.CodeValidationFailed)},
		{"Own_204", items[1].Id.String(), 204, ""},
		{"OwnTwice_404", items[1].Id.String(), 404, string(api.CodeSessionNotFound)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, b := e.Do(t, http.MethodDelete, "/api/v1/auth/sessions/"+tc.id, nil, http.Header{"Authorization": {"Bearer " + second.AccessToken}})
			if res.StatusCode != tc.status {
				t.Fatalf("got %d %s", res.StatusCode, b)
			}
			if tc.code != "" && servertest.ProblemOf(t, b).Code != tc.code {
				t.Fatalf("got %s", b)
			}
		})
	}
	if e.Me(t, rotated.AccessToken) != 401 {
		t.Error("the deleted session's access token still works")
	}
	if e.Me(t, stranger.Tokens.AccessToken) != 200 {
		t.Error("the stranger's session was touched")
	}
	if got := list(second.AccessToken); len(got) != 1 {
		t.Errorf("after deleting one of two sessions, %d are listed", len(got))
	}
}
