package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/meridianhq/accounts/gen/client"
)

// refreshTimeout bounds one refresh call. A refresh does not end with the
// context of the request that started it (see rotate), so it needs a bound of
// its own.
const refreshTimeout = 30 * time.Second

// refresh is one renewal of the token pair, shared by every caller that needs
// it while it runs. done is closed when token or err is set.
type refresh struct {
	done  chan struct{}
	token string // the access token to send from now on
	err   error
}

// wait returns the outcome of f, or ctx's error if ctx ends first.
func (f *refresh) wait(ctx context.Context) (string, error) {
	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Refresh renews the token pair now, or waits for the renewal already under
// way (RoundTrip renews by itself when the service refuses the access token).
// When the service refuses the refresh token, the error wraps its
// *ProblemError (401 INVALID_REFRESH_TOKEN, or REFRESH_TOKEN_REUSED when it
// had been used already) and the session forgets its tokens: log in again. A
// failure to get an answer (a 5xx, the network) leaves the tokens alone.
//
// The refresh call itself runs on its own, for at most 30 seconds: a caller
// whose ctx ends stops waiting, but the answer is still received and kept,
// since the service spent the refresh token on it.
func (s *Session) Refresh(ctx context.Context) error {
	s.mu.Lock()
	if s.tokens == nil {
		s.mu.Unlock()
		return ErrNotLoggedIn
	}
	f := s.refreshLocked(ctx)
	s.mu.Unlock()
	_, err := f.wait(ctx)
	return err
}

// renew returns the access token to send again a request that the service
// refused with sent. ok is false when there is none: the session was logged
// out meanwhile (err nil: the refusal stands), or the renewal failed (err).
func (s *Session) renew(ctx context.Context, sent string) (token string, ok bool, err error) {
	s.mu.Lock()
	switch {
	case s.tokens == nil:
		s.mu.Unlock()
		return "", false, nil
	case s.tokens.AccessToken != sent:
		// Renewed since the request left: its refresh token is spent already.
		token = s.tokens.AccessToken
		s.mu.Unlock()
		return token, true, nil
	}
	f := s.refreshLocked(ctx)
	s.mu.Unlock()
	switch token, err = f.wait(ctx); {
	case errors.Is(err, ErrNotLoggedIn):
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	return token, true, nil
}

// refreshLocked returns the renewal under way, or starts one. s.mu is held and
// s.tokens is set.
//
// This is the single flight that keeps a refresh token from being presented
// twice: while a renewal runs, every caller waits for it instead of starting
// another, since the service ends the session when a refresh token is reused.
func (s *Session) refreshLocked(ctx context.Context) *refresh {
	if s.inflight == nil {
		s.inflight = &refresh{done: make(chan struct{})}
		go s.rotate(context.WithoutCancel(ctx), s.inflight, s.epoch, s.tokens.RefreshToken)
	}
	return s.inflight
}

// rotate presents the refresh token presented, keeps the pair it gets back and
// ends f. It runs on a context that outlives the caller that started it: once
// the token is presented the service spends it, so the answer (the only copy
// of the next refresh token) must be received and kept even if that caller
// gives up; callers that give up stop waiting for f instead.
func (s *Session) rotate(ctx context.Context, f *refresh, epoch uint64, presented string) {
	ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	res, err := s.anon.RefreshTokenWithResponse(ctx, client.RefreshRequest{RefreshToken: presented})
	if err = Check(res, err); err == nil && res.JSON200 == nil {
		err = problemOf(res.StatusCode(), res.Status(), res.ContentType(), "", res.Body)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	defer close(f.done)
	s.inflight = nil
	switch {
	case s.epoch != epoch:
		// Logged in, out or set meanwhile: the new pair, if any, renews a session
		// the caller no longer holds. Retry with what it holds now.
		if s.tokens == nil {
			f.err = ErrNotLoggedIn
		} else {
			f.token = s.tokens.AccessToken
		}
	case err != nil:
		if refused(err) {
			s.tokens = nil
			s.epoch++
		}
		f.err = fmt.Errorf("accounts: refreshing the session: %w", err)
	default:
		pair := *res.JSON200
		s.tokens = &pair
		f.token = pair.AccessToken
	}
}

// refused reports whether err is the service refusing a refresh token for
// good (as opposed to failing to answer).
func refused(err error) bool {
	var pe *ProblemError
	return errors.As(err, &pe) && (pe.Status == http.StatusUnauthorized || pe.Status == http.StatusBadRequest)
}
