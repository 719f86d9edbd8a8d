package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/meridianhq/accounts/gen/client"
	accounts "github.com/meridianhq/accounts/sdk/go"
	"github.com/meridianhq/accounts/server/servertest"
)

// holdRefreshUntilAnswered is a transport that sends a refresh only once n
// requests signed with token have been answered, so that all of them are
// refused and reach the session's renewal while the first refresh is still
// out: the worst case for the single flight, made certain instead of likely.
func holdRefreshUntilAnswered(n int, token string) http.RoundTripper {
	var (
		mu       sync.Mutex
		answered int
		all      = make(chan struct{})
	)
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if isRefresh(r) {
			select {
			case <-all:
			case <-r.Context().Done():
				return nil, r.Context().Err()
			}
			return http.DefaultTransport.RoundTrip(r)
		}
		res, err := http.DefaultTransport.RoundTrip(r)
		if r.Header.Get("Authorization") == "Bearer "+token {
			mu.Lock()
			if answered++; answered == n {
				close(all)
			}
			mu.Unlock()
		}
		return res, err
	})
}

// TestConcurrentCallsShareOneRefresh: 16 calls refused at once for an expired
// access token cause one refresh, and every one of them succeeds, bodies
// included.
func TestConcurrentCallsShareOneRefresh(t *testing.T) {
	t.Parallel()
	const callers = 16
	e := servertest.New(t)
	u := e.NewUser(t)
	expired := u.Tokens
	s, err := accounts.NewSession(e.URL, accounts.WithTransport(holdRefreshUntilAnswered(callers, expired.AccessToken)))
	if err != nil {
		t.Fatal(err)
	}
	s.SetTokens(expired)
	api, err := s.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	expire(e)

	var wg sync.WaitGroup
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() {
			if i%2 == 0 {
				me, err := api.GetMeWithResponse(t.Context(), nil)
				errs[i] = accounts.Check(me, err)
				return
			}
			// A call with a body, which the retry must send again.
			name := fmt.Sprintf("Caller %d", i)
			upd, err := api.UpdateUserWithResponse(t.Context(), u.Id, nil, client.UserPatch{Name: &name})
			if errs[i] = accounts.Check(upd, err); errs[i] == nil && upd.JSON200.Name != name {
				errs[i] = fmt.Errorf("renamed to %q, want %q", upd.JSON200.Name, name)
			}
		})
	}
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	if n := refreshes(t, e); n != 1 {
		t.Errorf("%d refresh calls reached the server for %d concurrent 401s, want 1", n, callers)
	}
	_, me := served(t, e, "getMe")
	_, upd := served(t, e, "updateUser")
	if me[401]+upd[401] != callers || me[200]+upd[200] != callers {
		t.Errorf("getMe answered %v, updateUser %v: want %d 401s, then %d 200s", me, upd, callers, callers)
	}
	if now, _ := s.Tokens(); now.RefreshToken == expired.RefreshToken {
		t.Error("the session kept the spent refresh token")
	}
	t.Logf("%d concurrent calls after expiry: %d refresh call(s) reached the server", callers, refreshes(t, e))
}

// TestLateRefusalUsesTheRenewedToken: a call refused with a token that was
// renewed while its refusal was on the way is sent again with the new token,
// without a refresh of its own (which would spend the new refresh token).
func TestLateRefusalUsesTheRenewedToken(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := e.NewUser(t)
	held, renewed := make(chan struct{}), make(chan struct{})
	late := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		res, err := http.DefaultTransport.RoundTrip(r)
		if r.Header.Get("X-Late") != "" && r.Header.Get("Authorization") == "Bearer "+u.Tokens.AccessToken {
			close(held)
			<-renewed
		}
		return res, err
	})
	s, err := accounts.NewSession(e.URL, accounts.WithTransport(late))
	if err != nil {
		t.Fatal(err)
	}
	s.SetTokens(u.Tokens)
	api, err := s.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	expire(e)

	done := make(chan error, 1)
	go func() {
		me, err := api.GetMeWithResponse(t.Context(), nil, func(_ context.Context, r *http.Request) error {
			r.Header.Set("X-Late", "1")
			return nil
		})
		done <- accounts.Check(me, err)
	}()
	<-held // its 401 is in hand, not yet seen by the session
	me, err := api.GetMeWithResponse(t.Context(), nil)
	if err := accounts.Check(me, err); err != nil {
		t.Fatal(err)
	}
	close(renewed)
	if err := <-done; err != nil {
		t.Fatalf("the late call: %v", err)
	}
	if n := refreshes(t, e); n != 1 {
		t.Errorf("%d refresh calls, want 1", n)
	}
}

// TestBufferedBodyIsReplayed: a request without GetBody (not one of the
// generated client's) still has its body sent again after a refresh.
func TestBufferedBodyIsReplayed(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u, s, _ := login(t, e, nil)
	expire(e)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPatch, e.URL+"/api/v1/users/"+u.Id.String(), io.NopCloser(strings.NewReader(`{"name":"Streamed"}`)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/merge-patch+json")
	if req.GetBody != nil {
		t.Fatal("the request has GetBody: the test would not test buffering")
	}
	res, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := accounts.ProblemFrom(res, body); res.StatusCode != 200 {
		t.Fatalf("PATCH after expiry: %v", err)
	}
	if !strings.Contains(string(body), `"name":"Streamed"`) || refreshes(t, e) != 1 {
		t.Fatalf("PATCH after expiry: %s, %d refreshes", body, refreshes(t, e))
	}
}

// TestRefusedRefreshEndsTheSession: when the service refuses the refresh token
// (the session was revoked), the call fails with that ProblemError, the
// session forgets its tokens, and the next call is refused without another
// refresh.
func TestRefusedRefreshEndsTheSession(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u, s, api := login(t, e, nil)
	other := e.Login(t, u.Email, u.Password)
	if res, b := e.Call(t, http.MethodPost, "/api/v1/auth/logout", other.AccessToken, `{"scope":"all"}`); res.StatusCode != 204 {
		t.Fatalf("logout all: %d %s", res.StatusCode, b)
	}

	me, err := api.GetMeWithResponse(t.Context(), nil)
	pe := problem(t, accounts.Check(me, err))
	if pe.Status != 401 || pe.Code != client.CodeInvalidRefreshToken || pe.RequestID == "" {
		t.Fatalf("got %+v, want 401 INVALID_REFRESH_TOKEN with a request id", pe)
	}
	if !strings.Contains(err.Error(), "refreshing the session") {
		t.Errorf("the error does not say it was the refresh: %v", err)
	}
	if _, ok := s.Tokens(); ok {
		t.Error("the session kept tokens the service refused")
	}

	me, err = api.GetMeWithResponse(t.Context(), nil)
	if pe := problem(t, accounts.Check(me, err)); pe.Code != client.CodeUnauthenticated {
		t.Fatalf("the next call: %v, want 401 UNAUTHENTICATED", pe)
	}
	if n := refreshes(t, e); n != 1 {
		t.Errorf("%d refresh calls, want 1", n)
	}
	if err := s.Refresh(t.Context()); !errors.Is(err, accounts.ErrNotLoggedIn) {
		t.Errorf("Refresh when logged out: %v, want ErrNotLoggedIn", err)
	}
}

// TestReusedRefreshTokenEndsTheSession shows why the single flight matters: a
// refresh token presented a second time is refused as REFRESH_TOKEN_REUSED
// and the service ends the session, for its rightful holder too.
func TestReusedRefreshTokenEndsTheSession(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	_, s, api := login(t, e, nil)
	spent, _ := s.Tokens()
	if err := s.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	thief, err := accounts.NewSession(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	thief.SetTokens(spent)
	if pe := problem(t, thief.Refresh(t.Context())); pe.Code != client.CodeRefreshTokenReused {
		t.Fatalf("refreshing with a spent token: %v, want REFRESH_TOKEN_REUSED", pe)
	}
	me, err := api.GetMeWithResponse(t.Context(), nil)
	if pe := problem(t, accounts.Check(me, err)); pe.Status != 401 {
		t.Fatalf("the holder's next call: %v, want a 401", pe)
	}
}

// TestRetriesOnce: when the renewed token is refused too, the second 401 is
// the answer; no second refresh, no loop.
func TestRetriesOnce(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	// Every getMe goes out with a token the server cannot verify.
	spoil := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path == "/api/v1/users/me" {
			r = r.Clone(r.Context())
			r.Header.Set("Authorization", r.Header.Get("Authorization")+"x")
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	_, s, api := login(t, e, spoil)
	me, err := api.GetMeWithResponse(t.Context(), nil)
	if pe := problem(t, accounts.Check(me, err)); pe.Code != client.CodeUnauthenticated {
		t.Fatalf("got %v, want the retry's 401 UNAUTHENTICATED", pe)
	}
	if n, _ := served(t, e, "getMe"); n != 2 || refreshes(t, e) != 1 {
		t.Fatalf("%d getMe and %d refresh calls, want 2 and 1", n, refreshes(t, e))
	}
	if _, ok := s.Tokens(); !ok {
		t.Error("a refused retry dropped tokens that were just renewed")
	}
}

// TestOtherRefusalsAreNotRetried: 401s other than UNAUTHENTICATED and other
// statuses are answers, passed through as they are.
func TestOtherRefusalsAreNotRetried(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u, _, api := login(t, e, nil)
	// The generated login through the session: a 401 INVALID_CREDENTIALS.
	res, err := api.LoginWithResponse(t.Context(), client.LoginRequest{Email: u.Email, Password: "not the password at all"})
	if pe := problem(t, accounts.Check(res, err)); pe.Code != client.CodeInvalidCredentials || res.ApplicationproblemJSON401 == nil {
		t.Fatalf("got %v, want 401 INVALID_CREDENTIALS in its typed field", pe)
	}
	if n := refreshes(t, e); n != 0 {
		t.Fatalf("%d refresh calls, want none", n)
	}
}

// TestCancelWhileWaitingForRefresh: a caller whose context ends while the
// refresh is out returns at once with the context's error; the refresh still
// completes and is kept, so the session lives on and no other refresh is
// needed.
func TestCancelWhileWaitingForRefresh(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hold := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if isRefresh(r) {
			once.Do(func() { close(started) })
			<-release
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	_, s, api := login(t, e, hold)
	before, _ := s.Tokens()
	expire(e)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		me, err := api.GetMeWithResponse(ctx, nil)
		done <- accounts.Check(me, err)
	}()
	<-started
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while waiting for the refresh: %v, want context.Canceled", err)
	}
	close(release)

	if err := s.Refresh(t.Context()); err != nil { // joins the refresh still out, if it is
		t.Fatal(err)
	}
	me, err := api.GetMeWithResponse(t.Context(), nil)
	if err := accounts.Check(me, err); err != nil {
		t.Fatalf("after the cancelled call: %v", err)
	}
	after, _ := s.Tokens()
	if after.RefreshToken == before.RefreshToken {
		t.Error("the refresh's answer was dropped with the cancelled caller")
	}
	// One refresh for the cancelled call, and Refresh's own, joined or not.
	if n := refreshes(t, e); n < 1 || n > 2 {
		t.Errorf("%d refresh calls, want 1 or 2", n)
	}
}

// TestCancelledBeforeSending: a context that has ended sends nothing.
func TestCancelledBeforeSending(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	_, _, api := login(t, e, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	me, err := api.GetMeWithResponse(ctx, nil)
	if err := accounts.Check(me, err); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if n, _ := served(t, e, "getMe"); n != 0 {
		t.Errorf("%d getMe reached the server", n)
	}
}

// TestRefreshOutageKeepsTokens: a refresh that gets no real answer (a 503 from
// a proxy) fails the call but keeps the refresh token, which was not spent;
// the next call renews with it.
func TestRefreshOutageKeepsTokens(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	var down atomic.Bool // refresh calls answer 503
	down.Store(true)
	outage := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if isRefresh(r) && down.Load() {
			return &http.Response{
				StatusCode: 503, Status: "503 Service Unavailable", Header: http.Header{"Content-Type": {"text/plain"}},
				Body: io.NopCloser(strings.NewReader("no healthy upstream")), Request: r,
			}, nil
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	_, s, api := login(t, e, outage)
	before, _ := s.Tokens()
	expire(e)

	me, err := api.GetMeWithResponse(t.Context(), nil)
	if pe := problem(t, accounts.Check(me, err)); pe.Status != 503 || pe.Code != accounts.CodeUnexpectedResponse {
		t.Fatalf("got %v, want the refresh's 503", pe)
	}
	if kept, ok := s.Tokens(); !ok || kept != before {
		t.Fatal("an outage of the refresh dropped the tokens")
	}
	down.Store(false)
	me, err = api.GetMeWithResponse(t.Context(), nil)
	if err := accounts.Check(me, err); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
}

// TestLoginDuringRefreshWins: a login while a refresh is out replaces the
// tokens for good: the refresh's pair, which renews the old session, is not
// kept, and the waiting call is sent again with the login's token.
func TestLoginDuringRefreshWins(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hold := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if isRefresh(r) {
			once.Do(func() { close(started) })
			<-release
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	u, s, api := login(t, e, hold)
	expire(e)
	done := make(chan error, 1)
	go func() {
		me, err := api.GetMeWithResponse(t.Context(), nil)
		done <- accounts.Check(me, err)
	}()
	<-started
	fresh := e.Login(t, u.Email, u.Password) // issued after the clock moved: valid
	s.SetTokens(fresh)
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the waiting call: %v", err)
	}
	if now, _ := s.Tokens(); now != fresh {
		t.Fatal("the refresh of the old session replaced the login's tokens")
	}
}

// TestLogoutDuringRefresh: a call waiting for a refresh when the session logs
// out gets its own 401 back, not a refreshed retry.
func TestLogoutDuringRefresh(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hold := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if isRefresh(r) {
			once.Do(func() { close(started) })
			<-release
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	_, s, api := login(t, e, hold)
	expire(e)
	done := make(chan error, 1)
	go func() {
		me, err := api.GetMeWithResponse(t.Context(), nil)
		done <- accounts.Check(me, err)
	}()
	<-started
	// Its own call fails at once on an ended context (the refresh is held);
	// the session forgets its tokens all the same.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_ = s.Logout(ctx, client.Current)
	close(release)
	if pe := problem(t, <-done); pe.Code != client.CodeUnauthenticated {
		t.Fatalf("the waiting call: %v, want its own 401 UNAUTHENTICATED", pe)
	}
	if _, ok := s.Tokens(); ok {
		t.Fatal("tokens after logout")
	}
}
