package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/meridianhq/accounts/gen/client"
)

// ErrNotLoggedIn is the error of Refresh when the session holds no tokens.
var ErrNotLoggedIn = errors.New("accounts: not logged in")

// Session holds the token pair of one logged-in user and signs requests with
// it. As an http.RoundTripper it adds the access token to each request for the
// service and renews the pair when the service refuses the token (see
// RoundTrip); NewClient returns the generated client on it.
//
// A Session is safe for concurrent use. It keeps its tokens in memory only;
// Tokens and SetTokens move them in and out.
type Session struct {
	baseURL string
	origin  *url.URL
	base    http.RoundTripper
	// anon sends login and refresh on base: never signed, never retried.
	anon *client.ClientWithResponses
	// api sends logout through the session, so an expired token is renewed first.
	api *client.ClientWithResponses

	mu     sync.Mutex
	tokens *client.TokenPair // nil: logged out
	// epoch changes whenever tokens start or stop belonging to a session (login,
	// SetTokens, logout, a refused refresh), not when a refresh renews them; a
	// refresh or logout that finishes in another epoch leaves the tokens alone.
	epoch    uint64
	inflight *refresh // the renewal under way, if any
}

// Option adjusts a Session in NewSession.
type Option func(*Session)

// WithTransport makes the session send its requests with rt instead of
// http.DefaultTransport.
func WithTransport(rt http.RoundTripper) Option {
	return func(s *Session) { s.base = rt }
}

// NewSession returns a logged-out session with the service at baseURL, the
// service's root ("https://accounts.example.com"; the operations' paths start
// with /api/v1).
func NewSession(baseURL string, opts ...Option) (*Session, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("accounts: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("accounts: base URL %q: want http(s)://host[/path]", baseURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/"
	s := &Session{baseURL: baseURL, origin: u, base: http.DefaultTransport}
	for _, o := range opts {
		o(s)
	}
	if s.anon, err = client.NewClientWithResponses(baseURL, client.WithHTTPClient(&http.Client{Transport: s.base})); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	if s.api, err = s.NewClient(); err != nil {
		return nil, err
	}
	return s, nil
}

// HTTPClient returns an http.Client that sends its requests through the
// session.
func (s *Session) HTTPClient() *http.Client {
	return &http.Client{Transport: s}
}

// NewClient returns the generated client of the service, sending every request
// through the session. opts may add request editors; an option that replaces
// the HTTP client would bypass the session.
func (s *Session) NewClient(opts ...client.ClientOption) (*client.ClientWithResponses, error) {
	c, err := client.NewClientWithResponses(s.baseURL, append([]client.ClientOption{client.WithHTTPClient(s.HTTPClient())}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	return c, nil
}

// Login logs in with email and password and keeps the token pair, replacing
// any tokens the session held (their session stays open on the service). A
// refusal is a *ProblemError: 401 INVALID_CREDENTIALS for a wrong address or
// password, 429 RATE_LIMITED, 400 VALIDATION_FAILED, …
func (s *Session) Login(ctx context.Context, email, password string) error {
	res, err := s.anon.LoginWithResponse(ctx, client.LoginRequest{Email: email, Password: password})
	if err := Check(res, err); err != nil {
		return err
	}
	if res.JSON200 == nil {
		return problemOf(res.StatusCode(), res.Status(), res.ContentType(), "", res.Body)
	}
	s.SetTokens(*res.JSON200)
	return nil
}

// Logout ends sessions on the service: client.Current (also when scope is
// empty) ends this one, client.Others every other one of the user, client.All
// every one. Unless scope is client.Others, the session forgets its tokens,
// even when the call fails. A 401 means the session was already over and is
// not an error; a session without tokens has nothing to end.
func (s *Session) Logout(ctx context.Context, scope client.LogoutRequestScope) error {
	s.mu.Lock()
	epoch, in := s.epoch, s.tokens != nil
	s.mu.Unlock()
	if !in {
		return nil
	}
	var body client.LogoutRequest
	if scope != "" {
		body.Scope = &scope
	}
	res, err := s.api.LogoutWithResponse(ctx, body)
	err = Check(res, err)
	var pe *ProblemError
	over := errors.As(err, &pe) && pe.Status == http.StatusUnauthorized
	if scope != client.Others || over {
		s.forget(epoch)
	}
	if over {
		return nil
	}
	return err
}

// Tokens returns the token pair the session holds, and false when it is logged
// out. A refresh replaces the pair, and the refresh token in it is good for
// one refresh only: whoever stores it must store the next one too.
func (s *Session) Tokens() (client.TokenPair, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		return client.TokenPair{}, false
	}
	return *s.tokens, true
}

// SetTokens makes the session use pair, from a login made elsewhere or an
// earlier Tokens, replacing what it held.
func (s *Session) SetTokens(pair client.TokenPair) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = &pair
	s.epoch++
}

// accessToken is the access token to send, if the session has one.
func (s *Session) accessToken() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		return "", false
	}
	return s.tokens.AccessToken, true
}

// forget drops the tokens, unless they changed session since epoch.
func (s *Session) forget(epoch uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.epoch == epoch {
		s.tokens = nil
		s.epoch++
	}
}
