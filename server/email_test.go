package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server/mailtest"
	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/users"
)

// mailEnv is a service with the email flows on, and the Mailpit it sends to.
func mailEnv(t *testing.T, mods ...func(*servertest.Options)) (*servertest.Env, *mailtest.Server) {
	t.Helper()
	return servertest.New(t, append([]func(*servertest.Options){servertest.WithMail(t)}, mods...)...), mailtest.Shared(t)
}

// drained waits until e's outbox holds no job still to be worked.
func drained(t *testing.T, e *servertest.Env) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var n int
		if err := e.Pool.QueryRow(context.Background(),
			"SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still in the outbox after 15s", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mailsTo are the mails to address once the outbox is drained.
func mailsTo(t *testing.T, e *servertest.Env, mp *mailtest.Server, address string) []mailtest.Mail {
	t.Helper()
	drained(t, e)
	ms, err := mp.Messages(context.Background(), address)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// wantCode fails t unless res answered status with a problem of code.
func wantCode(t *testing.T, res *http.Response, body []byte, status int, code string) {
	t.Helper()
	if res.StatusCode != status || servertest.ProblemOf(t, body).Code != code {
		t.Fatalf("%d %s; want %d %s", res.StatusCode, body, status, code)
	}
}

// emailVerifiedClaim reads the email_verified claim of an access token.
func emailVerifiedClaim(t *testing.T, token string) bool {
	t.Helper()
	tok, err := jwt.ParseInsecure([]byte(token))
	if err != nil {
		t.Fatal(err)
	}
	var v bool
	if err := tok.Get("email_verified", &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestEmailFlowsOff: without a mail server every email operation answers 503
// EMAIL_UNAVAILABLE, and a user still changes their own address by PATCH.
func TestEmailFlowsOff(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := e.NewUser(t)
	for _, c := range []struct{ path, token, body string }{
		{"/api/v1/auth/email-verification/request", "", `{"email":"a@example.com"}`},
		{"/api/v1/auth/email-verification", "", `{"token":"abc"}`},
		{"/api/v1/auth/password-reset/request", "", `{"email":"a@example.com"}`},
		{"/api/v1/auth/password-reset", "", `{"token":"abc","new_password":"purple monkey dishwasher lamp"}`},
		{"/api/v1/auth/email-change", "", `{"token":"abc"}`},
		{"/api/v1/users/me/email", u.Tokens.AccessToken, `{"new_email":"b@example.com","current_password":"` + u.Password + `"}`},
	} {
		t.Run(c.path, func(t *testing.T) {
			res, b := e.Call(t, http.MethodPost, c.path, c.token, c.body)
			wantCode(t, res, b, 503, "EMAIL_UNAVAILABLE")
			if res.Header.Get("Retry-After") == "" {
				t.Error("no Retry-After")
			}
		})
	}
	res, b := e.Call(t, http.MethodPatch, userPath(u), u.Tokens.AccessToken, `{"email":"`+servertest.UniqueEmail("moved")+`"}`)
	if res.StatusCode != 200 || strings.Contains(string(b), `"email_verified":true`) {
		t.Fatalf("self-service PATCH of the address without mail: %d %s; want 200, unverified", res.StatusCode, b)
	}
}

// TestEmailVerificationByLink registers, receives the mail, lets a scanner
// open the link, and verifies from it; the link works once.
func TestEmailVerificationByLink(t *testing.T) {
	t.Parallel()
	e, mp := mailEnv(t)
	u := e.NewUser(t)
	if u.EmailVerified || emailVerifiedClaim(t, u.Tokens.AccessToken) {
		t.Fatal("a new user is verified")
	}
	ms := mp.WaitFor(t, u.Email, 1)
	m := ms[0]
	if m.Subject != verifySubject || m.Token() == "" || m.Code() == "" {
		t.Fatalf("mail %q: link %q code %q", m.Subject, m.Link(), m.Code())
	}
	if !strings.Contains(m.HTML, m.Token()) || !strings.Contains(m.HTML, m.Code()) {
		t.Fatal("the HTML part lacks the link or the code")
	}
	wantLifetimes(t, m, "24 hours", "15 minutes")
	if !strings.HasPrefix(m.Link(), e.URL+"/account/verify-email#token=") {
		t.Fatalf("link %q; want the hosted page of %s", m.Link(), e.URL)
	}
	// A mail scanner fetches the link (the fragment never reaches the server).
	for _, link := range []string{m.Link(), strings.Replace(m.Link(), "#", "?", 1)} {
		res, err := http.Get(link)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", link, err, res)
		}
		res.Body.Close()
	}
	if me := getMe(t, e, u.Tokens.AccessToken); me.EmailVerified {
		t.Fatal("opening the link verified the address")
	}
	ctx := context.Background()
	tok := m.Token()
	res, err := e.Client.VerifyEmailWithResponse(ctx, client.MailProof{Token: &tok})
	if err != nil || res.JSON200 == nil || !res.JSON200.EmailVerified || res.HTTPResponse.Header.Get("ETag") == "" {
		t.Fatalf("verify: %v %d %s", err, res.StatusCode(), res.Body)
	}
	again, err := e.Client.VerifyEmailWithResponse(ctx, client.MailProof{Token: &tok})
	if err != nil || again.ApplicationproblemJSON400 == nil || again.ApplicationproblemJSON400.Code != "TOKEN_INVALID" {
		t.Fatalf("the link again: %v %d %s; want 400 TOKEN_INVALID", err, again.StatusCode(), again.Body)
	}
	if pair := e.Login(t, u.Email, u.Password); !emailVerifiedClaim(t, pair.AccessToken) {
		t.Fatal("the access token of a verified user says email_verified false")
	}
	// A verified address is sent nothing more on request.
	call(t, e, http.MethodPost, "/api/v1/auth/email-verification/request", "", `{"email":"`+u.Email+`"}`, 202)
	if n := len(mailsTo(t, e, mp, u.Email)); n != 1 {
		t.Fatalf("%d mails to a verified address; want the first only", n)
	}
}

// TestEmailVerificationByCode: the code path, its attempts and its expiry;
// a resend supersedes the older mail.
func TestEmailVerificationByCode(t *testing.T) {
	t.Parallel()
	e, mp := mailEnv(t)
	verify := func(email, code string) (*http.Response, []byte) {
		return e.Call(t, http.MethodPost, "/api/v1/auth/email-verification", "", `{"email":"`+email+`","code":"`+code+`"}`)
	}
	t.Run("Code", func(t *testing.T) {
		u := e.NewUser(t)
		m := mp.WaitFor(t, u.Email, 1)[0]
		if res, b := verify(strings.ToUpper(u.Email), m.Code()); res.StatusCode != 200 || !strings.Contains(string(b), `"email_verified":true`) {
			t.Fatalf("%d %s", res.StatusCode, b)
		}
	})
	t.Run("FiveWrongCodesSpendIt", func(t *testing.T) {
		u := e.NewUser(t)
		m := mp.WaitFor(t, u.Email, 1)[0]
		wrong := "000000"
		if m.Code() == wrong {
			wrong = "000001"
		}
		for range 5 {
			res, b := verify(u.Email, wrong)
			wantCode(t, res, b, 400, "TOKEN_INVALID")
		}
		res, b := verify(u.Email, m.Code())
		wantCode(t, res, b, 400, "TOKEN_INVALID")
		// The link of the same mail still works: the attempts were at the code.
		call(t, e, http.MethodPost, "/api/v1/auth/email-verification", "", `{"token":"`+m.Token()+`"}`, 200)
	})
	t.Run("Expired", func(t *testing.T) {
		u := e.NewUser(t)
		m := mp.WaitFor(t, u.Email, 1)[0]
		e.Clock.Advance(16 * time.Minute)
		res, b := verify(u.Email, m.Code())
		wantCode(t, res, b, 400, "TOKEN_INVALID")
		call(t, e, http.MethodPost, "/api/v1/auth/email-verification", "", `{"token":"`+m.Token()+`"}`, 200)
	})
	t.Run("LinkExpiresAfterADay", func(t *testing.T) {
		u := e.NewUser(t)
		m := mp.WaitFor(t, u.Email, 1)[0]
		e.Clock.Advance(24*time.Hour + time.Minute)
		res, b := e.Call(t, http.MethodPost, "/api/v1/auth/email-verification", "", `{"token":"`+m.Token()+`"}`)
		wantCode(t, res, b, 400, "TOKEN_INVALID")
	})
	t.Run("ResendSupersedes", func(t *testing.T) {
		u := e.NewUser(t)
		first := mp.WaitFor(t, u.Email, 1)[0]
		call(t, e, http.MethodPost, "/api/v1/auth/email-verification/request", "", `{"email":"`+u.Email+`"}`, 202)
		second := mp.WaitFor(t, u.Email, 2)[1]
		res, b := e.Call(t, http.MethodPost, "/api/v1/auth/email-verification", "", `{"token":"`+first.Token()+`"}`)
		wantCode(t, res, b, 400, "TOKEN_INVALID")
		call(t, e, http.MethodPost, "/api/v1/auth/email-verification", "", `{"token":"`+second.Token()+`"}`, 200)
	})
	t.Run("Malformed", func(t *testing.T) {
		for _, body := range []string{`{}`, `{"token":"a","code":"123456"}`, `{"email":"a@example.com"}`, `{"code":"12345x","email":"a@example.com"}`, `{"token":"no spaces"}`} {
			res, b := e.Call(t, http.MethodPost, "/api/v1/auth/email-verification", "", body)
			wantCode(t, res, b, 400, "VALIDATION_FAILED")
		}
	})
}

// TestEmailVerificationRequired: a correct password for an unverified
// address is refused with 403 EMAIL_NOT_VERIFIED, a wrong one as usual.
func TestEmailVerificationRequired(t *testing.T) {
	t.Parallel()
	e, mp := mailEnv(t, func(o *servertest.Options) { o.Config.Mail.Verification = string(users.VerificationRequired) })
	email := servertest.UniqueEmail("required")
	e.Register(t, email, "Req", servertest.StrongPassword)
	res, b := e.Call(t, http.MethodPost, "/api/v1/auth/login", "", `{"email":"`+email+`","password":"`+servertest.StrongPassword+`"}`)
	wantCode(t, res, b, 403, "EMAIL_NOT_VERIFIED")
	res, b = e.Call(t, http.MethodPost, "/api/v1/auth/login", "", `{"email":"`+email+`","password":"not the password at all"}`)
	wantCode(t, res, b, 401, "INVALID_CREDENTIALS")
	m := mp.WaitFor(t, email, 1)[0]
	call(t, e, http.MethodPost, "/api/v1/auth/email-verification", "", `{"token":"`+m.Token()+`"}`, 200)
	e.Login(t, email, servertest.StrongPassword)
	// An address an admin vouched for needs no mail.
	admin := e.NewAdmin(t)
	vouched := servertest.UniqueEmail("vouched")
	call(t, e, http.MethodPost, "/api/v1/users", admin.Tokens.AccessToken,
		`{"email":"`+vouched+`","password":"`+servertest.StrongPassword+`","name":"V","role":"user","email_verified":true}`, 201)
	e.Login(t, vouched, servertest.StrongPassword)
	if n := len(mailsTo(t, e, mp, vouched)); n != 0 {
		t.Fatalf("%d mails to an address the admin vouched for", n)
	}
}

// call sends a request and fails t unless it answers want.
func call(t *testing.T, e *servertest.Env, method, path, token, body string, want int) []byte {
	t.Helper()
	res, b := e.Call(t, method, path, token, body)
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d %s; want %d", method, path, res.StatusCode, b, want)
	}
	return b
}

// getMe is the caller's user.
func getMe(t *testing.T, e *servertest.Env, token string) client.User {
	t.Helper()
	res, err := e.Client.GetMeWithResponse(context.Background(), nil, servertest.Bearer(token))
	if err != nil || res.JSON200 == nil {
		t.Fatalf("me: %v %v", err, res)
	}
	return *res.JSON200
}

// wantLifetimes checks that both parts of m say how long its link and its
// code stay valid, as the tokens' rows have them.
func wantLifetimes(t *testing.T, m mailtest.Mail, link, code string) {
	t.Helper()
	want := "valid for " + link + ", the code for " + code
	for _, part := range []string{m.Text, m.HTML} {
		if !strings.Contains(part, want) {
			t.Errorf("mail %q does not say %q:\n%s", m.Subject, want, part)
		}
	}
}
