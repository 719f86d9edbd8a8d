package server_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server/mailtest"
	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/store"
	"github.com/meridianhq/accounts/server/testdb"
)

// TestOutboxSurvivesACrash: a registration commits its verification mail with
// the account; when no replica's worker runs (they crashed before sending),
// the mail waits in the outbox, and the next replica to start sends it, once.
func TestOutboxSurvivesACrash(t *testing.T) {
	t.Parallel()
	first, mp := mailEnv(t)
	if err := first.Service.Stop(context.Background()); err != nil { // the worker dies; the API still answers
		t.Fatal(err)
	}
	email := servertest.UniqueEmail("crash")
	first.Register(t, email, "Crash", servertest.StrongPassword)
	time.Sleep(300 * time.Millisecond) // a worker that still ran would have sent by now
	if ms, err := mp.Messages(context.Background(), email); err != nil || len(ms) != 0 {
		t.Fatalf("%d mails (%v) with no worker running", len(ms), err)
	}
	second := servertest.New(t, servertest.WithMail(t), servertest.OnDatabase(first.Pool, first.DatabaseURL))
	if ms := mailsTo(t, second, mp, email); len(ms) != 1 {
		t.Fatalf("%d mails after the restart; want exactly 1", len(ms))
	}
}

// TestOutboxTwoReplicas: two replicas drain one outbox; every mail is sent
// once.
func TestOutboxTwoReplicas(t *testing.T) {
	t.Parallel()
	a, mp := mailEnv(t)
	b := servertest.New(t, servertest.WithMail(t), servertest.OnDatabase(a.Pool, a.DatabaseURL))
	var emails []string
	for i := range 20 {
		e := []*servertest.Env{a, b}[i%2]
		email := servertest.UniqueEmail("replica")
		e.Register(t, email, "R", servertest.StrongPassword)
		requestReset(t, []*servertest.Env{b, a}[i%2], email)
		emails = append(emails, email)
	}
	drained(t, a)
	for _, email := range emails {
		ms := mailsTo(t, a, mp, email)
		var subjects []string
		for _, m := range ms {
			subjects = append(subjects, m.Subject)
		}
		slices.Sort(subjects)
		if len(ms) != 2 || subjects[0] != "Confirm your email address" || subjects[1] != resetSubject {
			t.Errorf("%s got %v; want one verification and one reset mail", email, subjects)
		}
	}
}

// TestMailLimits: per address, the budget is spent alike by addresses with and
// without an account, and past it the request still answers 202 but sends
// nothing; per client, requests past the limit answer 429 with Retry-After.
func TestMailLimits(t *testing.T) {
	t.Parallel()
	t.Run("PerAddress", func(t *testing.T) {
		t.Parallel()
		e, mp := mailEnv(t, func(o *servertest.Options) { o.Config.Mail.PerAddressPerHour = 3 })
		known := e.NewUser(t)
		for range 5 {
			requestReset(t, e, known.Email)
		}
		drained(t, e)
		if got := countSubject(mailsTo(t, e, mp, known.Email), resetSubject); got != 3 {
			t.Fatalf("%d reset mails after 5 requests; want the budget of 3", got)
		}
		// An address without an account spends its budget too: once it has
		// one, the spent budget still holds.
		later := servertest.UniqueEmail("later")
		for range 3 {
			requestReset(t, e, later)
		}
		drained(t, e) // the requests are decided without an account
		e.Register(t, later, "Later", servertest.StrongPassword)
		requestReset(t, e, later)
		if got := countSubject(mailsTo(t, e, mp, later), resetSubject); got != 0 {
			t.Fatalf("%d reset mails; want none: the budget was spent before the account existed", got)
		}
	})
	t.Run("Verification", func(t *testing.T) {
		// The registration's mail and each resend spend one of the budget,
		// once: 3 mails for a registration and 4 resends.
		t.Parallel()
		e, mp := mailEnv(t, func(o *servertest.Options) { o.Config.Mail.PerAddressPerHour = 3 })
		email := servertest.UniqueEmail("resend")
		e.Register(t, email, "Resend", servertest.StrongPassword)
		for range 4 {
			if status, err := mailRequest(e, "Verification", email); err != nil || status != 202 {
				t.Fatalf("verification request: %d %v", status, err)
			}
		}
		drained(t, e)
		if got := countSubject(mailsTo(t, e, mp, email), verifySubject); got != 3 {
			t.Fatalf("%d verification mails after a registration and 4 resends; want the budget of 3", got)
		}
	})
	t.Run("OnePoolConnection", func(t *testing.T) {
		// A mail is taken from its budget in the transaction that enqueues it,
		// on that transaction's connection: with one connection in the pool, a
		// second one would never come.
		t.Parallel()
		e, mp := mailEnv(t, onePoolConnection(t))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		email := servertest.UniqueEmail("onecon")
		reg, err := e.Client.RegisterWithResponse(ctx, client.RegisterRequest{Email: email, Name: "One", Password: servertest.StrongPassword})
		if err != nil || reg.JSON201 == nil {
			t.Fatalf("registration on one connection: %v %v", err, reg)
		}
		admin := e.NewAdmin(t)
		moved := servertest.UniqueEmail("onecon-moved")
		upd, err := e.Client.UpdateUserWithResponse(ctx, reg.JSON201.Id, nil, client.UserPatch{Email: &moved}, servertest.Bearer(admin.Tokens.AccessToken))
		if err != nil || upd.JSON200 == nil {
			t.Fatalf("admin's change of the address on one connection: %v %v", err, upd)
		}
		drained(t, e)
		for _, to := range []string{email, moved} {
			if got := countSubject(mailsTo(t, e, mp, to), verifySubject); got != 1 {
				t.Fatalf("%d verification mails to %s; want 1", got, to)
			}
		}
	})
	t.Run("PerClient", func(t *testing.T) {
		t.Parallel()
		e, _ := mailEnv(t, func(o *servertest.Options) { o.Config.Mail.RequestsPerMinute = 3 })
		for i := range 4 {
			res, err := e.Client.RequestPasswordResetWithResponse(context.Background(), client.MailRequest{Email: servertest.UniqueEmail("client")})
			if err != nil {
				t.Fatal(err)
			}
			if i < 3 && res.StatusCode() != 202 {
				t.Fatalf("request %d: %d %s", i+1, res.StatusCode(), res.Body)
			}
			if i == 3 {
				retry, _ := strconv.Atoi(res.HTTPResponse.Header.Get("Retry-After"))
				if res.ApplicationproblemJSON429 == nil || res.ApplicationproblemJSON429.Code != "RATE_LIMITED" || retry < 1 {
					t.Fatalf("request 4: %d %s Retry-After %q; want 429 RATE_LIMITED", res.StatusCode(), res.Body, res.HTTPResponse.Header.Get("Retry-After"))
				}
			}
		}
	})
}

// onePoolConnection gives the service a fresh database behind a pool of one
// connection.
func onePoolConnection(t *testing.T) func(*servertest.Options) {
	_, url := testdb.NewPool(t)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	store.Configure(cfg)
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return servertest.OnDatabase(pool, url)
}

// countSubject counts the mails with subject.
func countSubject(ms []mailtest.Mail, subject string) int {
	n := 0
	for _, m := range ms {
		if m.Subject == subject {
			n++
		}
	}
	return n
}

// TestMailRequestsCostTheSame is the structural half of "the 202 says
// nothing": a request for an address with an account and one without does
// the same work in the request, one job in the outbox, and the difference is
// made by that job in the background.
func TestMailRequestsCostTheSame(t *testing.T) {
	t.Parallel()
	e, _ := mailEnv(t)
	if err := e.Service.Stop(context.Background()); err != nil { // keep the jobs to count them
		t.Fatal(err)
	}
	known := e.NewUser(t)
	unknown := servertest.UniqueEmail("unknown")
	for _, path := range []string{"/api/v1/auth/password-reset/request", "/api/v1/auth/email-verification/request"} {
		for _, email := range []string{known.Email, unknown} {
			call(t, e, http.MethodPost, path, "", `{"email":"`+email+`"}`, 202)
		}
	}
	rows, err := e.Pool.Query(context.Background(),
		"SELECT args->>'email', count(*) FROM river_job WHERE kind = 'mail_request' GROUP BY 1")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for rows.Next() {
		var email string
		var n int
		if err := rows.Scan(&email, &n); err != nil {
			t.Fatal(err)
		}
		got[email] = n
	}
	if rows.Err() != nil || got[known.Email] != 2 || got[unknown] != 2 {
		t.Fatalf("mail_request jobs by address %v (%v); want 2 each", got, rows.Err())
	}
}

// BenchmarkMailRequests times the 202 endpoints for an address with an
// account and one without, alternately (so that the background work a known
// address causes weighs on both alike, as it would on any caller's next
// request), and reports both medians and their ratio: they must agree within
// 25% (the request only enqueues; the job decides, after the answer).
func BenchmarkMailRequests(b *testing.B) {
	e := servertest.New(b, servertest.WithMail(b), func(o *servertest.Options) {
		o.Config.Mail.RequestsPerMinute, o.Config.Mail.PerAddressPerHour = 1_000_000, 1_000_000
	})
	known := e.NewUser(b)
	for _, op := range []string{"PasswordReset", "Verification"} {
		b.Run(op, func(b *testing.B) {
			var took [2][]time.Duration
			i := 0
			for b.Loop() {
				email := []string{known.Email, "nobody-bench@example.com"}[i%2]
				start := time.Now()
				status, err := mailRequest(e, op, email)
				took[i%2] = append(took[i%2], time.Since(start))
				if err != nil || status != 202 {
					b.Fatalf("%v %d", err, status)
				}
				i++
			}
			if len(took[1]) == 0 {
				return
			}
			p50 := func(d []time.Duration) float64 { slices.Sort(d); return float64(d[len(d)/2].Microseconds()) }
			k, u := p50(took[0]), p50(took[1])
			b.ReportMetric(k, "known-p50-µs")
			b.ReportMetric(u, "unknown-p50-µs")
			b.ReportMetric(k/u, "known/unknown")
			if r := k / u; r < 0.8 || r > 1.25 {
				b.Errorf("known/unknown median %.2f; want within 25%%", r)
			}
		})
	}
}

// mailRequest sends the request of op ("PasswordReset" or "Verification")
// for email and returns its status.
func mailRequest(e *servertest.Env, op, email string) (int, error) {
	body := client.MailRequest{Email: email}
	if op == "PasswordReset" {
		res, err := e.Client.RequestPasswordResetWithResponse(context.Background(), body)
		if err != nil {
			return 0, err
		}
		return res.StatusCode(), nil
	}
	res, err := e.Client.RequestEmailVerificationWithResponse(context.Background(), body)
	if err != nil {
		return 0, err
	}
	return res.StatusCode(), nil
}
