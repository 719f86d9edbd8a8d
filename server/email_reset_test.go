package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server/mailtest"
	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/users"
)

const newPassword = "purple monkey dishwasher lamp"

const (
	resetSubject  = "Reset your password"
	verifySubject = "Confirm your email address"
)

// waitSubject returns the nth mail (from 1) to address with subject, once
// there is one, failing t after 15 seconds.
func waitSubject(t *testing.T, mp *mailtest.Server, address, subject string, n int) mailtest.Mail {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ms, err := mp.Messages(context.Background(), address)
		if err != nil {
			t.Fatal(err)
		}
		var match []mailtest.Mail
		for _, m := range ms {
			if m.Subject == subject {
				match = append(match, m)
			}
		}
		if len(match) >= n {
			return match[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mails %q to %s after 15s; want %d", len(match), subject, address, n)
		}
	}
}

// withSubject is the mail of ms with subject.
func withSubject(ms []mailtest.Mail, subject string) (mailtest.Mail, bool) {
	for _, m := range ms {
		if m.Subject == subject {
			return m, true
		}
	}
	return mailtest.Mail{}, false
}

// requestReset asks for a reset mail to email and returns the mails to it.
func requestReset(t *testing.T, e *servertest.Env, email string) {
	t.Helper()
	res, err := e.Client.RequestPasswordResetWithResponse(context.Background(), client.MailRequest{Email: email})
	if err != nil || res.StatusCode() != 202 {
		t.Fatalf("reset request: %v %v", err, res)
	}
}

// TestPasswordReset takes a user from "forgot password" to a new password: the
// mail's link, the policy, every session revoked, the address verified, the
// notice, and the token spent.
func TestPasswordReset(t *testing.T) {
	t.Parallel()
	e, mp := mailEnv(t)
	u := e.NewUser(t)
	other := e.Login(t, u.Email, u.Password)
	requestReset(t, e, strings.ToUpper(u.Email))
	m := waitSubject(t, mp, u.Email, resetSubject, 1)
	if m.Subject != "Reset your password" || !strings.Contains(m.Link(), "/account/reset-password#token=") || m.Code() == "" {
		t.Fatalf("mail %q link %q code %q", m.Subject, m.Link(), m.Code())
	}
	wantLifetimes(t, m, "30 minutes", "15 minutes")
	tok := m.Token()
	ctx := context.Background()
	weak, err := e.Client.ResetPasswordWithResponse(ctx, client.PasswordReset{Token: &tok, NewPassword: "password"})
	if err != nil || weak.ApplicationproblemJSON400 == nil || weak.ApplicationproblemJSON400.Code != "WEAK_PASSWORD" {
		t.Fatalf("weak: %v %d %s", err, weak.StatusCode(), weak.Body)
	}
	res, err := e.Client.ResetPasswordWithResponse(ctx, client.PasswordReset{Token: &tok, NewPassword: newPassword})
	if err != nil || res.StatusCode() != 204 {
		t.Fatalf("reset: %v %d %s", err, res.StatusCode(), res.Body)
	}
	for _, pair := range []client.TokenPair{u.Tokens, other} {
		if got := e.Me(t, pair.AccessToken); got != 401 {
			t.Errorf("a session from before the reset answers %d; want 401", got)
		}
	}
	res, err = e.Client.ResetPasswordWithResponse(ctx, client.PasswordReset{Token: &tok, NewPassword: newPassword + "s"})
	if err != nil || res.ApplicationproblemJSON400 == nil || res.ApplicationproblemJSON400.Code != "TOKEN_INVALID" {
		t.Fatalf("the link again: %v %d %s", err, res.StatusCode(), res.Body)
	}
	pair := e.Login(t, u.Email, newPassword)
	if me := getMe(t, e, pair.AccessToken); !me.EmailVerified {
		t.Error("a reset by mail does not count as verifying the address")
	}
	ms := mailsTo(t, e, mp, u.Email)
	if n, ok := withSubject(ms, "Your password was changed"); len(ms) != 3 || !ok || n.Token() != "" {
		t.Fatalf("%d mails; want 3, the last the notice of the change without a link", len(ms))
	}
}

// lockProbingHasher hashes, and first tries to lock every email token and user
// row from another connection, without waiting: it records whether any was
// locked (by a transaction that hashes while holding them).
type lockProbingHasher struct {
	users.Hasher
	pool   atomic.Pointer[pgxpool.Pool]
	locked atomic.Int64
}

func (h *lockProbingHasher) Hash(ctx context.Context, password string) (string, error) {
	if pool := h.pool.Load(); pool != nil {
		for _, table := range []string{"email_tokens", "users"} {
			err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, "SELECT 1 FROM "+table+" FOR UPDATE NOWAIT")
				return err
			})
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
				h.locked.Add(1)
			} else if err != nil {
				return "", err
			}
		}
	}
	return h.Hasher.Hash(ctx, password)
}

// TestPasswordResetHashesOutsideItsTransaction: the new password is hashed
// while no transaction holds the token's or the user's row (or a connection),
// by the token's link and by its code.
func TestPasswordResetHashesOutsideItsTransaction(t *testing.T) {
	t.Parallel()
	h := &lockProbingHasher{Hasher: servertest.NewHasher(t)}
	e, mp := mailEnv(t, func(o *servertest.Options) { o.Hasher = h })
	for i, by := range []string{"token", "code"} {
		u := e.NewUser(t)
		requestReset(t, e, u.Email)
		m := waitSubject(t, mp, u.Email, resetSubject, 1)
		body := client.PasswordReset{Token: ptr(m.Token()), NewPassword: newPassword}
		if by == "code" {
			body = client.PasswordReset{Email: ptr(u.Email), Code: ptr(m.Code()), NewPassword: newPassword}
		}
		h.pool.Store(e.Pool)
		res, err := e.Client.ResetPasswordWithResponse(context.Background(), body)
		h.pool.Store(nil)
		if err != nil || res.StatusCode() != 204 {
			t.Fatalf("reset by %s: %v %v", by, err, res)
		}
		if n := h.locked.Load(); n != 0 {
			t.Fatalf("reset %d (by %s): %d rows were locked while the password was hashed", i+1, by, n)
		}
	}
}

// TestPasswordResetTokens: the code path, expiry after 30 minutes, and a newer
// request voiding the older mail.
func TestPasswordResetTokens(t *testing.T) {
	t.Parallel()
	e, mp := mailEnv(t)
	reset := func(body string) (*http.Response, []byte) {
		return e.Call(t, http.MethodPost, "/api/v1/auth/password-reset", "", body)
	}
	t.Run("Code", func(t *testing.T) {
		u := e.NewUser(t)
		requestReset(t, e, u.Email)
		m := waitSubject(t, mp, u.Email, resetSubject, 1)
		if res, b := reset(`{"email":"` + u.Email + `","code":"` + m.Code() + `","new_password":"` + newPassword + `"}`); res.StatusCode != 204 {
			t.Fatalf("%d %s", res.StatusCode, b)
		}
		e.Login(t, u.Email, newPassword)
	})
	t.Run("ExpiresAfter30Minutes", func(t *testing.T) {
		u := e.NewUser(t)
		requestReset(t, e, u.Email)
		m := waitSubject(t, mp, u.Email, resetSubject, 1)
		e.Clock.Advance(31 * time.Minute)
		res, b := reset(`{"token":"` + m.Token() + `","new_password":"` + newPassword + `"}`)
		wantCode(t, res, b, 400, "TOKEN_INVALID")
	})
	t.Run("NewerRequestVoidsOlder", func(t *testing.T) {
		u := e.NewUser(t)
		requestReset(t, e, u.Email)
		first := waitSubject(t, mp, u.Email, resetSubject, 1)
		requestReset(t, e, u.Email)
		second := waitSubject(t, mp, u.Email, resetSubject, 2)
		for _, body := range []string{
			`{"token":"` + first.Token() + `","new_password":"` + newPassword + `"}`,
			`{"email":"` + u.Email + `","code":"` + first.Code() + `","new_password":"` + newPassword + `"}`,
		} {
			if first.Code() == second.Code() && strings.Contains(body, "code") {
				continue // one chance in a million
			}
			res, b := reset(body)
			wantCode(t, res, b, 400, "TOKEN_INVALID")
		}
		if res, b := reset(`{"token":"` + second.Token() + `","new_password":"` + newPassword + `"}`); res.StatusCode != 204 {
			t.Fatalf("%d %s", res.StatusCode, b)
		}
	})
	t.Run("UnknownAddressGetsNothing", func(t *testing.T) {
		nobody := servertest.UniqueEmail("nobody")
		requestReset(t, e, nobody)
		if n := len(mailsTo(t, e, mp, nobody)); n != 0 {
			t.Fatalf("%d mails to an address without an account", n)
		}
	})
	t.Run("Malformed", func(t *testing.T) {
		for _, body := range []string{`{"new_password":"` + newPassword + `"}`, `{"token":"x"}`, `{"email":"not an address","code":"123456","new_password":"` + newPassword + `"}`} {
			res, b := reset(body)
			wantCode(t, res, b, 400, "VALIDATION_FAILED")
		}
	})
}

// TestMailCodeGuessesInParallel: wrong codes sent at once are counted against
// their token one after the other, so that the token takes 5 guesses in all,
// and the right code after them is refused too.
func TestMailCodeGuessesInParallel(t *testing.T) {
	t.Parallel()
	e, mp := mailEnv(t, func(o *servertest.Options) { o.Config.AuthAttemptsPerMinute = 0 })
	u := e.NewUser(t)
	requestReset(t, e, u.Email)
	m := waitSubject(t, mp, u.Email, resetSubject, 1)
	wrong := "000000"
	if m.Code() == wrong {
		wrong = "111111"
	}
	const guesses = 20
	var wg sync.WaitGroup
	statuses := make([]int, guesses)
	for i := range guesses {
		wg.Go(func() {
			res, err := e.Client.ResetPasswordWithResponse(context.Background(),
				client.PasswordReset{Email: ptr(u.Email), Code: ptr(wrong), NewPassword: newPassword})
			if err == nil {
				statuses[i] = res.StatusCode()
			}
		})
	}
	wg.Wait()
	for i, st := range statuses {
		if st != 400 {
			t.Fatalf("guess %d answered %d; want 400", i+1, st)
		}
	}
	var attempts int
	if err := e.Pool.QueryRow(context.Background(),
		"SELECT attempts FROM email_tokens WHERE user_id = $1 AND purpose = 'reset_password'", u.Id).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if attempts != 5 {
		t.Fatalf("%d wrong codes counted after %d parallel guesses; want 5, the limit, and no guess past it", attempts, guesses)
	}
	res, err := e.Client.ResetPasswordWithResponse(context.Background(),
		client.PasswordReset{Email: ptr(u.Email), Code: ptr(m.Code()), NewPassword: newPassword})
	if err != nil || res.ApplicationproblemJSON400 == nil || res.ApplicationproblemJSON400.Code != "TOKEN_INVALID" {
		t.Fatalf("the right code after 5 wrong ones: %v %v; want 400 TOKEN_INVALID", err, res)
	}
}

// TestAdminEmailChangeDoesNotWaitOnATokenInUse: an admin's change of an
// address supersedes the user's verification mails without waiting on one
// that a verification is spending at that moment. (That verification locks
// the token, then the user; the change locks the user, then the tokens:
// waiting there deadlocked the two, and PostgreSQL aborted one with a 500.)
func TestAdminEmailChangeDoesNotWaitOnATokenInUse(t *testing.T) {
	t.Parallel()
	e, mp := mailEnv(t)
	admin := e.NewAdmin(t)
	u := e.NewUser(t)
	waitSubject(t, mp, u.Email, verifySubject, 1)
	ctx := context.Background()
	// A verification, holding the token's row, on a connection of its own
	// (the service's pool may have only one: make test-one-conn).
	conn, err := pgx.Connect(ctx, e.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "SELECT 1 FROM email_tokens WHERE user_id = $1 AND used_at IS NULL FOR UPDATE", u.Id); err != nil {
		t.Fatal(err)
	}
	moved := servertest.UniqueEmail("moved")
	done := make(chan int, 1)
	go func() {
		res, _ := e.Call(t, http.MethodPatch, userPath(u), admin.Tokens.AccessToken, `{"email":"`+moved+`"}`)
		done <- res.StatusCode
	}()
	select {
	case st := <-done:
		if st != 200 {
			t.Fatalf("the admin's change: %d; want 200", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the admin's change waited on a token another transaction held")
	}
}

// TestEmailChange: a user changes their address only through the new
// address's confirmation; the old address is told; no answer says whether the
// new address is taken.
func TestEmailChange(t *testing.T) {
	t.Parallel()
	e, mp := mailEnv(t)
	u := e.NewUser(t)
	other := e.Login(t, u.Email, u.Password)
	target := servertest.UniqueEmail("target")
	ask := func(token, newEmail, password string) (*http.Response, []byte) {
		return e.Call(t, http.MethodPost, "/api/v1/users/me/email", token, `{"new_email":"`+newEmail+`","current_password":"`+password+`"}`)
	}
	res, b := e.Call(t, http.MethodPatch, userPath(u), u.Tokens.AccessToken, `{"email":"`+target+`"}`)
	wantCode(t, res, b, 403, "EMAIL_CHANGE_REQUIRES_CONFIRMATION")
	// A patch that sends the whole user, its address unchanged, changes no
	// address: it is not refused.
	if res, b := e.Call(t, http.MethodPatch, userPath(u), u.Tokens.AccessToken, `{"email":"`+u.Email+`","name":"Renamed"}`); res.StatusCode != 200 {
		t.Fatalf("a patch with the unchanged address: %d %s", res.StatusCode, b)
	}
	res, b = ask(u.Tokens.AccessToken, target, "not my password at all")
	wantCode(t, res, b, 401, "INVALID_CREDENTIALS")
	res, b = ask("", target, u.Password)
	wantCode(t, res, b, 401, "UNAUTHENTICATED")
	if res, b := ask(u.Tokens.AccessToken, target, u.Password); res.StatusCode != 202 {
		t.Fatalf("%d %s", res.StatusCode, b)
	}
	confirm := mp.WaitFor(t, target, 1)[0]
	wantLifetimes(t, confirm, "24 hours", "15 minutes")
	if n, ok := withSubject(mailsTo(t, e, mp, u.Email), "Your email address is about to change"); !ok || !strings.Contains(n.Text, target) || n.Token() != "" {
		t.Fatalf("the old address's notice: %v %q", ok, n.Text)
	}
	if me := getMe(t, e, u.Tokens.AccessToken); me.Email != u.Email {
		t.Fatal("the address changed before it was confirmed")
	}
	// A scanner opens the link; nothing changes.
	if res, err := http.Get(confirm.Link()); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET %s: %v %v", confirm.Link(), err, res)
	}
	tok := confirm.Token()
	ok, err := e.Client.ConfirmEmailChangeWithResponse(context.Background(), client.MailProof{Token: &tok})
	if err != nil || ok.JSON200 == nil || ok.JSON200.Email != target || !ok.JSON200.EmailVerified {
		t.Fatalf("confirm: %v %d %s", err, ok.StatusCode(), ok.Body)
	}
	if got := e.Me(t, u.Tokens.AccessToken); got != 200 {
		t.Errorf("the session that asked answers %d; want 200", got)
	}
	if got := e.Me(t, other.AccessToken); got != 401 {
		t.Errorf("another session answers %d after the change; want 401", got)
	}
	e.Login(t, target, u.Password)

	t.Run("DiesWithItsSession", func(t *testing.T) {
		// A thief's session asks for its own address; the user ends it, by a
		// logout everywhere or a password change from another session, and the
		// thief's link changes nothing.
		for _, end := range []string{"LogoutEverywhere", "PasswordChange"} {
			v := e.NewUser(t)
			thief := e.Login(t, v.Email, v.Password)
			theirs := servertest.UniqueEmail("thief")
			if res, b := ask(thief.AccessToken, theirs, v.Password); res.StatusCode != 202 {
				t.Fatalf("%s: %d %s", end, res.StatusCode, b)
			}
			link := mp.WaitFor(t, theirs, 1)[0].Token()
			if end == "LogoutEverywhere" {
				call(t, e, http.MethodPost, "/api/v1/auth/logout", v.Tokens.AccessToken, `{"scope":"all"}`, 204)
			} else {
				call(t, e, http.MethodPut, userPath(v)+"/password", v.Tokens.AccessToken,
					`{"current_password":"`+v.Password+`","new_password":"`+newPassword+`"}`, 204)
			}
			res, err := e.Client.ConfirmEmailChangeWithResponse(context.Background(), client.MailProof{Token: &link})
			if err != nil || res.ApplicationproblemJSON400 == nil || res.ApplicationproblemJSON400.Code != "TOKEN_INVALID" {
				t.Fatalf("%s: the thief's link: %v %d %s; want 400 TOKEN_INVALID", end, err, res.StatusCode(), res.Body)
			}
			var email string
			if err := e.Pool.QueryRow(context.Background(), "SELECT email FROM users WHERE id = $1", v.Id).Scan(&email); err != nil || email != v.Email {
				t.Fatalf("%s: the address is %q (%v); want %q still", end, email, err, v.Email)
			}
		}
	})
	t.Run("TakenAddress", func(t *testing.T) {
		taken := e.NewUser(t)
		before := len(mailsTo(t, e, mp, taken.Email))
		res, b := ask(u.Tokens.AccessToken, strings.ToUpper(taken.Email), u.Password)
		if res.StatusCode != 202 {
			t.Fatalf("%d %s; want the same 202 as for a free address", res.StatusCode, b)
		}
		ms := mailsTo(t, e, mp, taken.Email)
		if n, ok := withSubject(ms, "Someone tried to use your email address"); len(ms) != before+1 || !ok || n.Token() != "" {
			t.Fatalf("%d mails to the taken address (was %d); want one more, a notice without a link", len(ms), before)
		}
	})
	t.Run("AdminChangeIsImmediateAndNoticed", func(t *testing.T) {
		admin := e.NewAdmin(t)
		v := e.NewUser(t)
		moved := servertest.UniqueEmail("moved")
		b := call(t, e, http.MethodPatch, userPath(v), admin.Tokens.AccessToken, `{"email":"`+moved+`"}`, 200)
		if !strings.Contains(string(b), moved) || !strings.Contains(string(b), `"email_verified":false`) {
			t.Fatalf("%s", b)
		}
		if n, ok := withSubject(mailsTo(t, e, mp, v.Email), "Your email address was changed"); !ok || !strings.Contains(n.Text, moved) {
			t.Fatal("the old address was not told")
		}
		if ms := mailsTo(t, e, mp, moved); len(ms) != 1 || ms[0].Subject != "Confirm your email address" {
			t.Fatalf("%d mails to the new address; want its verification", len(ms))
		}
	})
	t.Run("Malformed", func(t *testing.T) {
		res, b := ask(u.Tokens.AccessToken, "not an address", u.Password)
		wantCode(t, res, b, 400, "VALIDATION_FAILED")
		res, b = e.Call(t, http.MethodPost, "/api/v1/auth/email-change", "", `{"token":"unknown"}`)
		wantCode(t, res, b, 400, "TOKEN_INVALID")
	})
}
