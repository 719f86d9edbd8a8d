package server_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/pquerna/otp/totp"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server/secrets"
	"github.com/meridianhq/accounts/server/servertest"
)

// mfaUser is a user with TOTP on: its secret, recovery codes, and the aal2
// pair of the session that enrolled.
type mfaUser struct {
	servertest.User
	Secret        string
	RecoveryCodes []string
	Pair          client.TokenPair
}

// codeAt is the TOTP code of secret at t.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// nextStep moves e's clock to the next 30 s step, so a new code is good.
func nextStep(e *servertest.Env) { e.Clock.Advance(30 * time.Second) }

// enrol turns TOTP on for a new user, through the API.
func enrol(t *testing.T, e *servertest.Env) mfaUser {
	t.Helper()
	u := e.NewUser(t)
	ctx := context.Background()
	en, err := e.Client.EnrollTotpWithResponse(ctx, client.CurrentPassword{CurrentPassword: u.Password}, servertest.Bearer(u.Tokens.AccessToken))
	if err != nil || en.JSON201 == nil {
		t.Fatalf("enrol: %v %d %s", err, en.StatusCode(), en.Body)
	}
	res, err := e.Client.ConfirmTotpWithResponse(ctx, client.TotpCode{Code: codeAt(t, en.JSON201.Secret, e.Clock.Now())}, servertest.Bearer(u.Tokens.AccessToken))
	if err != nil || res.JSON200 == nil {
		t.Fatalf("confirm: %v %d %s", err, res.StatusCode(), res.Body)
	}
	nextStep(e)
	return mfaUser{User: u, Secret: en.JSON201.Secret, RecoveryCodes: res.JSON200.RecoveryCodes, Pair: res.JSON200.Tokens}
}

// loginAAL1 logs in with the password and expects mfa_required.
func loginAAL1(t *testing.T, e *servertest.Env, u mfaUser) client.TokenPair {
	t.Helper()
	pair := e.Login(t, u.Email, u.Password)
	if !pair.MfaRequired || claimOf(t, pair.AccessToken, "aal") != "aal1" {
		t.Fatalf("login of an MFA user: mfa_required %v, aal %s; want true, aal1", pair.MfaRequired, claimOf(t, pair.AccessToken, "aal"))
	}
	return pair
}

// verifyMFA posts a proof with token and returns the answer.
func verifyMFA(t *testing.T, e *servertest.Env, token string, proof client.MfaProof) *client.VerifyMfaResponse {
	t.Helper()
	res, err := e.Client.VerifyMfaWithResponse(context.Background(), proof, servertest.Bearer(token))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// amrOf reads the amr claim of an access token.
func amrOf(t *testing.T, token string) []string {
	t.Helper()
	tok, err := jwt.ParseInsecure([]byte(token))
	if err != nil {
		t.Fatal(err)
	}
	var amr []any
	if err := tok.Get("amr", &amr); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(amr))
	for i, m := range amr {
		out[i], _ = m.(string)
	}
	return out
}

// TestMFAEnrolLoginVerify is the "done when": a user enrols with the
// otpauth URI, logs in to an aal1 token that is refused on GET /users/{id},
// verifies a code, gets aal2; a recovery code works once.
func TestMFAEnrolLoginVerify(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := e.NewUser(t)
	other := e.Login(t, u.Email, u.Password)
	ctx := context.Background()
	bearer := servertest.Bearer(u.Tokens.AccessToken)

	wrong, err := e.Client.EnrollTotpWithResponse(ctx, client.CurrentPassword{CurrentPassword: "not my password"}, bearer)
	if err != nil || wrong.StatusCode() != 401 {
		t.Fatalf("enrol with a wrong password: %v %d %s", err, wrong.StatusCode(), wrong.Body)
	}
	en, err := e.Client.EnrollTotpWithResponse(ctx, client.CurrentPassword{CurrentPassword: u.Password}, bearer)
	if err != nil || en.JSON201 == nil {
		t.Fatalf("enrol: %v %d %s", err, en.StatusCode(), en.Body)
	}
	uri, err := url.Parse(en.JSON201.OtpauthUri)
	q := uri.Query()
	if err != nil || uri.Scheme != "otpauth" || uri.Host != "totp" || q.Get("secret") != en.JSON201.Secret ||
		q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" || !strings.Contains(uri.Path, u.Email) {
		t.Fatalf("otpauth URI %q", en.JSON201.OtpauthUri)
	}
	png, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(en.JSON201.QrCode, "data:image/png;base64,"))
	if err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Fatalf("qr_code is not a PNG data URL: %.40s", en.JSON201.QrCode)
	}
	if st := getMFA(t, e, u.Tokens.AccessToken); st.TotpEnabled {
		t.Fatal("a pending enrolment counts as enabled")
	}
	bad, _ := e.Client.ConfirmTotpWithResponse(ctx, client.TotpCode{Code: codeAt(t, en.JSON201.Secret, e.Clock.Now().Add(-5*time.Minute))}, bearer)
	if bad.ApplicationproblemJSON400 == nil || bad.ApplicationproblemJSON400.Code != "MFA_CODE_INVALID" {
		t.Fatalf("confirm with an old code: %d %s", bad.StatusCode(), bad.Body)
	}
	ok, err := e.Client.ConfirmTotpWithResponse(ctx, client.TotpCode{Code: codeAt(t, en.JSON201.Secret, e.Clock.Now())}, bearer)
	if err != nil || ok.JSON200 == nil || len(ok.JSON200.RecoveryCodes) != 10 {
		t.Fatalf("confirm: %v %d %s", err, ok.StatusCode(), ok.Body)
	}
	if tok := ok.JSON200.Tokens.AccessToken; claimOf(t, tok, "aal") != "aal2" || !slices.Equal(amrOf(t, tok), []string{"pwd", "otp"}) {
		t.Fatalf("the pair of the confirmation: aal %s amr %v; want aal2 [pwd otp]", claimOf(t, tok, "aal"), amrOf(t, tok))
	}
	if got := e.Me(t, other.AccessToken); got != 401 {
		t.Errorf("another session after MFA was turned on answers %d; want 401", got)
	}
	nextStep(e)
	mu := mfaUser{User: u, Secret: en.JSON201.Secret, RecoveryCodes: ok.JSON200.RecoveryCodes}

	aal1 := loginAAL1(t, e, mu)
	res, b := e.Call(t, http.MethodGet, userPath(u), aal1.AccessToken, "")
	wantCode(t, res, b, 403, "MFA_REQUIRED")
	if got := e.Me(t, aal1.AccessToken); got != 200 {
		t.Fatalf("GET /users/me with aal1: %d", got)
	}
	v := verifyMFA(t, e, aal1.AccessToken, client.MfaProof{Code: ptr(codeAt(t, mu.Secret, e.Clock.Now()))})
	if v.JSON200 == nil || v.JSON200.MfaRequired || claimOf(t, v.JSON200.AccessToken, "aal") != "aal2" {
		t.Fatalf("verify: %d %s", v.StatusCode(), v.Body)
	}
	call(t, e, http.MethodGet, userPath(u), v.JSON200.AccessToken, "", 200)
	// A refresh keeps the level; the login's refresh token was spent.
	ref, err := e.Client.RefreshTokenWithResponse(ctx, client.RefreshRequest{RefreshToken: v.JSON200.RefreshToken})
	if err != nil || ref.JSON200 == nil || claimOf(t, ref.JSON200.AccessToken, "aal") != "aal2" || ref.JSON200.MfaRequired {
		t.Fatalf("refresh at aal2: %v %d %s", err, ref.StatusCode(), ref.Body)
	}

	// A recovery code, once.
	rc := mu.RecoveryCodes[3]
	first := verifyMFA(t, e, loginAAL1(t, e, mu).AccessToken, client.MfaProof{RecoveryCode: ptr(strings.ToUpper(rc))})
	if first.JSON200 == nil || !slices.Equal(amrOf(t, first.JSON200.AccessToken), []string{"pwd", "rc"}) {
		t.Fatalf("recovery code: %d %s", first.StatusCode(), first.Body)
	}
	again := verifyMFA(t, e, loginAAL1(t, e, mu).AccessToken, client.MfaProof{RecoveryCode: &rc})
	if again.ApplicationproblemJSON400 == nil || again.ApplicationproblemJSON400.Code != "MFA_CODE_INVALID" {
		t.Fatalf("the recovery code again: %d %s", again.StatusCode(), again.Body)
	}
	if st := getMFA(t, e, first.JSON200.AccessToken); !st.TotpEnabled || st.RecoveryCodesRemaining != 9 {
		t.Fatalf("status %+v; want on, 9 codes left", st)
	}
}

// getMFA is the caller's MFA status.
func getMFA(t *testing.T, e *servertest.Env, token string) client.MfaStatus {
	t.Helper()
	res, err := e.Client.GetMfaWithResponse(context.Background(), servertest.Bearer(token))
	if err != nil || res.JSON200 == nil {
		t.Fatalf("mfa status: %v %d %s", err, res.StatusCode(), res.Body)
	}
	return *res.JSON200
}

// TestTOTPCodes: one step of skew either way is accepted, two are not; a code
// is good once; the library's codes agree with an independent implementation.
func TestTOTPCodes(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := enrol(t, e)
	for _, c := range []struct {
		name   string
		offset time.Duration
		ok     bool
	}{
		{"Now", 0, true},
		{"OneStepBehind", -30 * time.Second, true},
		{"OneStepAhead", 30 * time.Second, true},
		{"TwoStepsBehind", -60 * time.Second, false},
		{"TwoStepsAhead", 60 * time.Second, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.Clock.Advance(2 * time.Minute) // past every step used before
			res := verifyMFA(t, e, loginAAL1(t, e, u).AccessToken, client.MfaProof{Code: ptr(codeAt(t, u.Secret, e.Clock.Now().Add(c.offset)))})
			if (res.StatusCode() == 200) != c.ok {
				t.Fatalf("%d %s; want accepted %v", res.StatusCode(), res.Body, c.ok)
			}
		})
	}
	t.Run("Replay", func(t *testing.T) {
		e.Clock.Advance(2 * time.Minute)
		code := codeAt(t, u.Secret, e.Clock.Now())
		if res := verifyMFA(t, e, loginAAL1(t, e, u).AccessToken, client.MfaProof{Code: &code}); res.StatusCode() != 200 {
			t.Fatalf("first use: %d %s", res.StatusCode(), res.Body)
		}
		res := verifyMFA(t, e, loginAAL1(t, e, u).AccessToken, client.MfaProof{Code: &code})
		if res.ApplicationproblemJSON400 == nil || res.ApplicationproblemJSON400.Code != "MFA_CODE_INVALID" {
			t.Fatalf("the same code in its window again: %d %s; want 400 MFA_CODE_INVALID", res.StatusCode(), res.Body)
		}
	})
	t.Run("Oathtool", func(t *testing.T) {
		bin, err := exec.LookPath("oathtool")
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("oathtool is missing: .ci/run must install it (apt-get install -y oathtool)")
			}
			t.Skip("no oathtool (Debian package oathtool): the cross-check needs it")
		}
		for _, at := range []time.Time{time.Unix(59, 0), time.Unix(1111111109, 0), time.Unix(2000000000, 0), e.Clock.Now()} {
			out, err := exec.Command(bin, "--totp", "--base32", "--now", at.UTC().Format("2006-01-02 15:04:05 UTC"), u.Secret).Output()
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.TrimSpace(string(out)), codeAt(t, u.Secret, at); got != want {
				t.Errorf("at %s: oathtool %s, pquerna/otp %s", at.UTC(), got, want)
			}
		}
	})
}

// TestMFAWrongCodesLimit: past 5 wrong codes for a user, from any client,
// every code is refused with 429 and Retry-After, a right one too.
func TestMFAWrongCodesLimit(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := enrol(t, e)
	token := loginAAL1(t, e, u).AccessToken
	// Another session, another client: the limit is the user's. Logged in
	// first, so that its right code follows the fifth wrong one at once (the
	// first wait is 1 s).
	other := loginAAL1(t, e, u).AccessToken
	wrong := "000000"
	if codeAt(t, u.Secret, e.Clock.Now()) == wrong {
		wrong = "999999"
	}
	for i := range 5 {
		res := verifyMFA(t, e, token, client.MfaProof{Code: &wrong})
		if res.StatusCode() != 400 {
			t.Fatalf("wrong code %d: %d %s", i+1, res.StatusCode(), res.Body)
		}
	}
	res := verifyMFA(t, e, other, client.MfaProof{Code: ptr(codeAt(t, u.Secret, e.Clock.Now()))})
	if res.ApplicationproblemJSON429 == nil || res.ApplicationproblemJSON429.Code != "RATE_LIMITED" || res.HTTPResponse.Header.Get("Retry-After") == "" {
		t.Fatalf("a right code past the limit: %d %s; want 429 RATE_LIMITED with Retry-After", res.StatusCode(), res.Body)
	}
}

// TestMFAConfirmWrongCodesLimit: guesses at the first code of a pending
// enrolment (a stolen access token turning MFA on) are limited like those of
// a verification: past 5, even the right code waits (429).
func TestMFAConfirmWrongCodesLimit(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := e.NewUser(t)
	ctx, bearer := context.Background(), servertest.Bearer(u.Tokens.AccessToken)
	en, err := e.Client.EnrollTotpWithResponse(ctx, client.CurrentPassword{CurrentPassword: u.Password}, bearer)
	if err != nil || en.JSON201 == nil {
		t.Fatalf("enrol: %v %v", err, en)
	}
	wrong := "000000"
	if codeAt(t, en.JSON201.Secret, e.Clock.Now()) == wrong {
		wrong = "999999"
	}
	for i := range 5 {
		res, err := e.Client.ConfirmTotpWithResponse(ctx, client.TotpCode{Code: wrong}, bearer)
		if err != nil || res.StatusCode() != 400 {
			t.Fatalf("wrong code %d: %v %v", i+1, err, res)
		}
	}
	res, err := e.Client.ConfirmTotpWithResponse(ctx, client.TotpCode{Code: codeAt(t, en.JSON201.Secret, e.Clock.Now())}, bearer)
	if err != nil || res.ApplicationproblemJSON429 == nil || res.ApplicationproblemJSON429.Code != "RATE_LIMITED" || res.HTTPResponse.Header.Get("Retry-After") == "" {
		t.Fatalf("a right code past the limit: %v %d %s; want 429 RATE_LIMITED with Retry-After", err, res.StatusCode(), res.Body)
	}
}

// TestMFAOfAUserJustGone: a token that outlives its user by a moment (the
// deletion not yet heard by this replica) gets the 401 of a gone token from
// the factor operations, not a 500.
func TestMFAOfAUserJustGone(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := e.NewUser(t)
	if _, err := e.Pool.Exec(context.Background(), "UPDATE users SET deleted_at = now() WHERE id = $1", u.Id); err != nil {
		t.Fatal(err) // deleted behind the service's back: its sessions live on
	}
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/users/me/mfa/totp", `{"current_password":"` + u.Password + `"}`},
		{http.MethodPost, "/api/v1/users/me/mfa/totp/confirm", `{"code":"123456"}`},
		{http.MethodDelete, "/api/v1/users/me/mfa/totp", `{"current_password":"` + u.Password + `"}`},
	} {
		res, b := e.Call(t, tc.method, tc.path, u.Tokens.AccessToken, tc.body)
		wantCode(t, res, b, 401, "UNAUTHENTICATED")
	}
}

// TestStepUp: with a factor on, the sensitive operations need aal2, and an
// admin with a factor needs it for admin operations.
func TestStepUp(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := enrol(t, e)
	aal1 := loginAAL1(t, e, u).AccessToken
	for _, c := range []struct{ method, path, body string }{
		{http.MethodPut, userPath(u.User) + "/password", `{"current_password":"` + u.Password + `","new_password":"purple monkey dishwasher lamp"}`},
		{http.MethodPost, "/api/v1/users/me/mfa/totp", `{"current_password":"` + u.Password + `"}`},
		{http.MethodDelete, "/api/v1/users/me/mfa/totp", `{"current_password":"` + u.Password + `"}`},
		{http.MethodPost, "/api/v1/users/me/mfa/recovery-codes", ""},
		{http.MethodPost, "/api/v1/users/me/email", `{"new_email":"x@example.com","current_password":"` + u.Password + `"}`},
		{http.MethodPost, "/api/v1/auth/logout", `{"scope":"others"}`},
		{http.MethodPost, "/api/v1/auth/logout", `{"scope":"all"}`},
		{http.MethodDelete, userPath(u.User) + "/sessions", ""},
	} {
		t.Run(c.method+" "+c.path+" "+c.body, func(t *testing.T) {
			res, b := e.Call(t, c.method, c.path, aal1, c.body)
			wantCode(t, res, b, 403, "MFA_REQUIRED")
		})
	}
	call(t, e, http.MethodPost, "/api/v1/users/me/mfa/recovery-codes", u.Pair.AccessToken, "", 200)
	t.Run("Admin", func(t *testing.T) {
		admin := e.NewAdmin(t)
		mustExec(t, e, "UPDATE users SET role = 'user' WHERE id = $1", admin.Id) // enrol as anyone does
		au := enrol(t, e)
		mustExec(t, e, "UPDATE users SET role = 'admin' WHERE id = $1", au.Id)
		a1 := loginAAL1(t, e, au).AccessToken
		res, b := e.Call(t, http.MethodGet, "/api/v1/users", a1, "")
		wantCode(t, res, b, 403, "MFA_REQUIRED")
		v := verifyMFA(t, e, a1, client.MfaProof{Code: ptr(codeAt(t, au.Secret, e.Clock.Now()))})
		if v.JSON200 == nil {
			t.Fatalf("verify: %d %s", v.StatusCode(), v.Body)
		}
		call(t, e, http.MethodGet, "/api/v1/users", v.JSON200.AccessToken, "", 200)
	})
}

// TestMFADisableAndAdminReset: the user turns TOTP off with aal2 and the
// password; an admin resets another user's factors, which ends every session.
func TestMFADisableAndAdminReset(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := enrol(t, e)
	res, b := e.Call(t, http.MethodDelete, "/api/v1/users/me/mfa/totp", u.Pair.AccessToken, `{"current_password":"wrong password here"}`)
	wantCode(t, res, b, 401, "INVALID_CREDENTIALS")
	call(t, e, http.MethodDelete, "/api/v1/users/me/mfa/totp", u.Pair.AccessToken, `{"current_password":"`+u.Password+`"}`, 204)
	if pair := e.Login(t, u.Email, u.Password); pair.MfaRequired {
		t.Fatal("a login after TOTP was turned off still requires MFA")
	}
	res, b = e.Call(t, http.MethodDelete, "/api/v1/users/me/mfa/totp", u.Pair.AccessToken, `{"current_password":"`+u.Password+`"}`)
	wantCode(t, res, b, 409, "MFA_NOT_ENROLLED")

	v := enrol(t, e)
	admin := e.NewAdmin(t)
	res, b = e.Call(t, http.MethodDelete, "/api/v1/users/"+v.Id.String()+"/mfa", v.Pair.AccessToken, "")
	wantCode(t, res, b, 403, "FORBIDDEN")
	call(t, e, http.MethodDelete, "/api/v1/users/"+v.Id.String()+"/mfa", admin.Tokens.AccessToken, "", 204)
	if got := e.Me(t, v.Pair.AccessToken); got != 401 {
		t.Errorf("a session after the admin reset answers %d; want 401", got)
	}
	if pair := e.Login(t, v.Email, v.Password); pair.MfaRequired {
		t.Fatal("a login after the admin reset still requires MFA")
	}
	res, b = e.Call(t, http.MethodDelete, "/api/v1/users/"+v.Id.String()+"/mfa", admin.Tokens.AccessToken, "")
	wantCode(t, res, b, 409, "MFA_NOT_ENROLLED")
	events := auditOf(t, e, admin.Tokens.AccessToken, v.Id)
	if !slices.Contains(actions(events), "mfa.reset_by_admin") || !slices.Contains(actions(events), "mfa.enabled") {
		t.Fatalf("audit %v", actions(events))
	}
}

// TestMFAUnavailable: without encryption keys, the MFA operations answer 503
// MFA_UNAVAILABLE.
func TestMFAUnavailable(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, func(o *servertest.Options) { o.NoMFA = true })
	u := e.NewUser(t)
	res, b := e.Call(t, http.MethodPost, "/api/v1/users/me/mfa/totp", u.Tokens.AccessToken, `{"current_password":"`+u.Password+`"}`)
	wantCode(t, res, b, 503, "MFA_UNAVAILABLE")
}

// TestAAL1Refusals walks every operation of the spec with the aal1 token of a
// user with a second factor: each one the spec does not mark x-accounts-aal1
// answers 403 MFA_REQUIRED, before looking at its parameters or body; the few
// marked ones do not. A new operation is covered by being in the spec.
func TestAAL1Refusals(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := enrol(t, e)
	token := loginAAL1(t, e, u).AccessToken
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	var logout func()
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security == nil || len(*op.Security) == 0 {
				continue // anonymous: no token to refuse
			}
			concrete := strings.NewReplacer("{id}", u.Id.String(), "{sid}", uuid.NewString()).Replace(path)
			body := ""
			if op.RequestBody != nil {
				body = "{}"
			}
			aal1, _ := op.Extensions["x-accounts-aal1"].(bool)
			check := func() {
				t.Run(op.OperationID, func(t *testing.T) {
					res, b := e.Call(t, method, concrete, token, body)
					refused := res.StatusCode == 403 && servertest.ProblemOf(t, b).Code == "MFA_REQUIRED"
					if refused == aal1 {
						t.Errorf("%s %s with an aal1 token: %d %s; want refused %v", method, concrete, res.StatusCode, b, !aal1)
					}
				})
			}
			if op.OperationID == "logout" {
				logout = check // last: it ends the session
				continue
			}
			check()
		}
	}
	if logout == nil {
		t.Fatal("no logout operation in the spec")
	}
	logout()
}

// TestRequireMFAForAdmins: with ACCOUNTS_REQUIRE_MFA_FOR_ADMINS, an admin
// without a second factor is refused admin operations (their own account
// stays theirs), enrols, and then is let through at aal2.
func TestRequireMFAForAdmins(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, func(o *servertest.Options) { o.Config.RequireMFAForAdmins = true })
	admin, other := e.NewAdmin(t), e.NewUser(t)
	tok := admin.Tokens.AccessToken
	for _, c := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/users"},
		{http.MethodGet, "/api/v1/audit-events"},
		{http.MethodGet, userPath(other)},
		{http.MethodDelete, userPath(other) + "/sessions"},
	} {
		res, b := e.Call(t, c.method, c.path, tok, "")
		wantCode(t, res, b, 403, "MFA_ENROLLMENT_REQUIRED")
	}
	call(t, e, http.MethodGet, userPath(admin), tok, "", 200)
	// One of the admin's own sessions is theirs to end: its {id} is a
	// session's, not another user's.
	spare := e.Login(t, admin.Email, admin.Password)
	call(t, e, http.MethodDelete, "/api/v1/auth/sessions/"+sessionOf(t, spare.AccessToken), tok, "", 204)
	call(t, e, http.MethodGet, "/api/v1/users", other.Tokens.AccessToken, "", 403) // a user: FORBIDDEN as ever
	en := call(t, e, http.MethodPost, "/api/v1/users/me/mfa/totp", tok, `{"current_password":"`+admin.Password+`"}`, 201)
	secret := strings.Split(strings.Split(string(en), `"secret":"`)[1], `"`)[0]
	conf, err := e.Client.ConfirmTotpWithResponse(context.Background(), client.TotpCode{Code: codeAt(t, secret, e.Clock.Now())}, servertest.Bearer(tok))
	if err != nil || conf.JSON200 == nil {
		t.Fatalf("confirm: %v %v", err, conf)
	}
	call(t, e, http.MethodGet, "/api/v1/users", conf.JSON200.Tokens.AccessToken, "", 200)
}

// TestEncryptionKeyRotation: a secret sealed under the old key still checks
// codes once a new key is added first; a set without the old key cannot.
func TestEncryptionKeyRotation(t *testing.T) {
	t.Parallel()
	k1, k2 := newEncryptionKey(t), newEncryptionKey(t)
	first := servertest.New(t, func(o *servertest.Options) { o.Secrets = keySet(t, k1) })
	u := enrol(t, first)
	rotated := servertest.New(t, servertest.OnDatabase(first.Pool, first.DatabaseURL), func(o *servertest.Options) {
		o.Secrets, o.Clock = keySet(t, k2, k1), first.Clock
	})
	v := verifyMFA(t, rotated, loginAAL1(t, rotated, u).AccessToken, client.MfaProof{Code: ptr(codeAt(t, u.Secret, first.Clock.Now()))})
	if v.StatusCode() != 200 {
		t.Fatalf("verify after adding a key: %d %s", v.StatusCode(), v.Body)
	}
	nextStep(first)
	lost := servertest.New(t, servertest.OnDatabase(first.Pool, first.DatabaseURL), func(o *servertest.Options) {
		o.Secrets, o.Clock = keySet(t, k2), first.Clock
	})
	res, b := lost.Call(t, http.MethodPost, "/api/v1/auth/mfa/verify", loginAAL1(t, lost, u).AccessToken, `{"code":"`+codeAt(t, u.Secret, first.Clock.Now())+`"}`)
	if res.StatusCode != 500 || strings.Contains(string(b), "kid") {
		t.Fatalf("without the old key: %d %s; want a 500 that tells nothing", res.StatusCode, b)
	}
}

func newEncryptionKey(t *testing.T) jwk.Key {
	t.Helper()
	k, err := secrets.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keySet(t *testing.T, keys ...jwk.Key) *secrets.KeySet {
	t.Helper()
	b, err := secrets.MarshalSet(keys...)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := secrets.ParseKeySet(b)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// TestStepUpSpendsEveryEarlierRefreshToken: with a reuse leeway for raced
// refreshes, a refresh token from before the verification, used or not, is
// still a reuse after it: it ends the session instead of minting an aal2 pair
// for whoever copied it.
func TestStepUpSpendsEveryEarlierRefreshToken(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, func(o *servertest.Options) { o.Config.Sessions.ReuseLeeway = time.Minute })
	u := enrol(t, e)
	for _, used := range []bool{false, true} {
		first := loginAAL1(t, e, u)
		stolen := first.RefreshToken
		access := first.AccessToken
		if used { // the owner's client refreshed once before the verification
			b := call(t, e, http.MethodPost, "/api/v1/auth/refresh", "", `{"refresh_token":"`+stolen+`"}`, 200)
			var p client.TokenPair
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
			access = p.AccessToken
		}
		nextStep(e)
		v := verifyMFA(t, e, access, client.MfaProof{Code: ptr(codeAt(t, u.Secret, e.Clock.Now()))})
		if v.JSON200 == nil {
			t.Fatalf("verify: %d %s", v.StatusCode(), v.Body)
		}
		res, b := e.Call(t, http.MethodPost, "/api/v1/auth/refresh", "", `{"refresh_token":"`+stolen+`"}`)
		if res.StatusCode != 401 {
			t.Fatalf("used %v: a refresh token from before the verification answered %d %s; want 401", used, res.StatusCode, b)
		}
		if got := e.Me(t, v.JSON200.AccessToken); got != 401 {
			t.Fatalf("used %v: the session after its old refresh token came back answers %d; want 401 (ended)", used, got)
		}
	}
}

// TestStepUpOfAnEndedSession: a session past its lifetime, or idle past the
// timeout, whose access token still holds, cannot verify its way to a fresh
// aal2 pair (a refresh of it would be refused).
func TestStepUpOfAnEndedSession(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := enrol(t, e)
	for _, end := range []string{"expires_at = now() - interval '1 second'", "last_used_at = now() - interval '169 hours'"} {
		pair := loginAAL1(t, e, u)
		if _, err := e.Pool.Exec(context.Background(), "UPDATE sessions SET "+end+" WHERE id = $1", sessionOf(t, pair.AccessToken)); err != nil {
			t.Fatal(err)
		}
		nextStep(e)
		res := verifyMFA(t, e, pair.AccessToken, client.MfaProof{Code: ptr(codeAt(t, u.Secret, e.Clock.Now()))})
		if res.StatusCode() != 401 {
			t.Fatalf("%s: verify answered %d %s; want 401", end, res.StatusCode(), res.Body)
		}
	}
}

// TestVerifyRacesRefresh: a refresh of the aal1 session at the same time as
// its verification never answers 5xx (the two transactions lock in the same
// order; they deadlocked before).
func TestVerifyRacesRefresh(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := enrol(t, e)
	for i := range 10 {
		e.Clock.Advance(30 * time.Second)
		pair := loginAAL1(t, e, u)
		var wg sync.WaitGroup
		var refresh, verify int
		var refreshed []byte
		wg.Go(func() {
			res, b := e.Call(t, http.MethodPost, "/api/v1/auth/refresh", "", `{"refresh_token":"`+pair.RefreshToken+`"}`)
			refresh, refreshed = res.StatusCode, b
		})
		wg.Go(func() {
			res, _ := e.Call(t, http.MethodPost, "/api/v1/auth/mfa/verify", pair.AccessToken, `{"code":"`+codeAt(t, u.Secret, e.Clock.Now())+`"}`)
			verify = res.StatusCode
		})
		wg.Wait()
		if refresh >= 500 || verify >= 500 || verify != 200 {
			t.Fatalf("round %d: refresh %d, verify %d; want no 5xx and the verification through", i, refresh, verify)
		}
		// The refresh's pair, when it got one, never leads to aal2: the
		// verification's pair replaced every earlier one.
		if refresh == 200 {
			var p client.TokenPair
			if err := json.Unmarshal(refreshed, &p); err != nil {
				t.Fatal(err)
			}
			res, b := e.Call(t, http.MethodPost, "/api/v1/auth/refresh", "", `{"refresh_token":"`+p.RefreshToken+`"}`)
			if res.StatusCode == 200 && strings.Contains(string(b), `"mfa_required":false`) {
				t.Fatalf("round %d: the racing refresh's token refreshed to aal2: %s", i, b)
			}
		}
	}
}
