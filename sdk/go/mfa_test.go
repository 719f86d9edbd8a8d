package accounts_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/meridianhq/accounts/gen/client"
	accounts "github.com/meridianhq/accounts/sdk/go"
	"github.com/meridianhq/accounts/server/servertest"
)

// TestVerifyMFA: a login of a user with TOTP leaves MFARequired, calls that
// need aal2 answer 403 MFA_REQUIRED without a refresh, and VerifyMFA keeps
// the aal2 pair, also when a refresh is asked for at the same time.
func TestVerifyMFA(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u, s, api := login(t, e, nil)
	ctx := t.Context()
	en, err := api.EnrollTotpWithResponse(ctx, client.CurrentPassword{CurrentPassword: u.Password})
	if err := accounts.Check(en, err); err != nil {
		t.Fatal(err)
	}
	code := func() string {
		c, err := totp.GenerateCode(en.JSON201.Secret, e.Clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	conf, err := api.ConfirmTotpWithResponse(ctx, client.TotpCode{Code: code()})
	if err := accounts.Check(conf, err); err != nil {
		t.Fatal(err)
	}
	s.SetTokens(conf.JSON200.Tokens) // the confirmation's pair replaces the session's

	for i, concurrentRefresh := range []bool{false, true} {
		e.Clock.Advance(30 * time.Second) // a new code
		s2, err := accounts.NewSession(e.URL)
		if err != nil {
			t.Fatal(err)
		}
		if err := s2.Login(ctx, u.Email, u.Password); err != nil || !s2.MFARequired() {
			t.Fatalf("login %d: %v, MFARequired %v; want true", i, err, s2.MFARequired())
		}
		api2, err := s2.NewClient()
		if err != nil {
			t.Fatal(err)
		}
		before := refreshes(t, e)
		res, err := api2.GetUserWithResponse(ctx, u.Id, nil)
		var pe *accounts.ProblemError
		if err := accounts.Check(res, err); !errors.As(err, &pe) || pe.Code != "MFA_REQUIRED" || refreshes(t, e) != before {
			t.Fatalf("an aal2 call with aal1: %v, %d refreshes; want 403 MFA_REQUIRED, none", err, refreshes(t, e)-before)
		}
		var wg sync.WaitGroup
		var refreshErr error
		if concurrentRefresh {
			wg.Go(func() { refreshErr = s2.Refresh(ctx) })
		}
		if err := s2.VerifyMFA(ctx, client.MfaProof{Code: ptr(code())}); err != nil {
			t.Fatalf("verify %d: %v", i, err)
		}
		wg.Wait()
		if refreshErr != nil || s2.MFARequired() {
			t.Fatalf("refresh beside the verification: %v; MFARequired %v", refreshErr, s2.MFARequired())
		}
		if err := accounts.Check(api2.GetUserWithResponse(ctx, u.Id, nil)); err != nil {
			t.Fatalf("after verify %d: %v", i, err)
		}
		if err := s2.Refresh(ctx); err != nil {
			t.Fatalf("a refresh after verify %d: %v", i, err)
		}
	}
	wrong := "000000"
	if code() == wrong {
		wrong = "111111"
	}
	s3, _ := accounts.NewSession(e.URL)
	if err := s3.Login(ctx, u.Email, u.Password); err != nil {
		t.Fatal(err)
	}
	var pe *accounts.ProblemError
	if err := s3.VerifyMFA(ctx, client.MfaProof{Code: &wrong}); !errors.As(err, &pe) || pe.Code != "MFA_CODE_INVALID" || !s3.MFARequired() {
		t.Fatalf("a wrong code: %v; want MFA_CODE_INVALID and the aal1 pair kept", err)
	}
}

func ptr[T any](v T) *T { return &v }
