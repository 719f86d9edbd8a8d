package accounts

import (
	"context"
	"net/http"

	"github.com/meridianhq/accounts/gen/client"
)

// MFARequired reports whether the session's user has a second factor that
// the session has not verified: its access token (aal1) is then good only for
// VerifyMFA, GET /api/v1/users/me, the session list and Logout; every other
// call answers 403 MFA_REQUIRED.
func (s *Session) MFARequired() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens != nil && s.tokens.MfaRequired
}

// VerifyMFA verifies the second factor (a code of the authenticator app, or a
// recovery code) after a Login that left MFARequired, and keeps the aal2 pair
// the service returns. The service spends the session's refresh token in
// doing so, so VerifyMFA takes the place of a refresh: it waits for one under
// way, and a refresh asked for meanwhile waits for it and uses the new pair.
// A refusal is a *ProblemError: 400 MFA_CODE_INVALID, 429 RATE_LIMITED, …
func (s *Session) VerifyMFA(ctx context.Context, proof client.MfaProof) error {
	f, access, epoch, err := s.takeRenewal(ctx)
	if err != nil {
		return err
	}
	res, err := s.anon.VerifyMfaWithResponse(ctx, proof, bearer(access))
	err = Check(res, err)
	if err == nil && res.JSON200 == nil {
		err = problemOf(res.StatusCode(), res.Status(), res.ContentType(), "", res.Body)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	defer close(f.done)
	s.inflight = nil
	switch {
	case s.epoch != epoch:
		// Logged in, out or set meanwhile: the new pair belongs to a session
		// the caller no longer holds.
		if s.tokens == nil {
			f.err = ErrNotLoggedIn
			return ErrNotLoggedIn
		}
		f.token = s.tokens.AccessToken
		return err
	case err != nil:
		f.token = access // the old pair still stands
		return err
	}
	pair := *res.JSON200
	s.tokens = &pair
	f.token = pair.AccessToken
	return nil
}

// takeRenewal waits for the renewal under way, then holds the renewal slot
// itself, and returns it with the access token to present and the epoch.
func (s *Session) takeRenewal(ctx context.Context) (*refresh, string, uint64, error) {
	for {
		s.mu.Lock()
		if s.tokens == nil {
			s.mu.Unlock()
			return nil, "", 0, ErrNotLoggedIn
		}
		if s.inflight == nil {
			f := &refresh{done: make(chan struct{})}
			s.inflight = f
			access, epoch := s.tokens.AccessToken, s.epoch
			s.mu.Unlock()
			return f, access, epoch, nil
		}
		f := s.inflight
		s.mu.Unlock()
		if _, err := f.wait(ctx); err != nil && ctx.Err() != nil {
			return nil, "", 0, err
		}
	}
}

// bearer adds the access token to one request of the anonymous client.
func bearer(token string) client.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}
