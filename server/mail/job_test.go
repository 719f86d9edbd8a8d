package mail_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/meridianhq/accounts/server/mail"
	"github.com/meridianhq/accounts/server/mailtest"
)

// TestWorkerOutcomes: a mail is sent; a mail that cannot be rendered, or
// whose address the server refuses, is given up on at once (no retry could
// mend it); a server that cannot be reached is retried, and counted as given
// up on only at the last attempt. No log line names the address.
func TestWorkerOutcomes(t *testing.T) {
	t.Parallel()
	plain := mailtest.Shared(t)
	picky, err := mailtest.Start([]string{"--smtp-allowed-recipients", `@allowed\.example\.com$`})
	if err != nil {
		t.Fatal(err)
	}
	down := closedPort(t)
	tpl, err := mail.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	data := mail.Data{Name: "Ada", Link: "https://example.com/account/verify-email#token=abc", Code: "123456", Expires: "24 hours"}
	tests := []struct {
		name, url, template, to string
		attempt                 int
		wantErr, wantCancel     bool
		sent                    []bool // what Sent was told
	}{
		{"Sent", plain.URL(), mail.KindVerifyEmail, "sent@worker.example.com", 1, false, false, []bool{true}},
		{"UnknownTemplate", plain.URL(), "no_such_template", "tpl@worker.example.com", 1, true, true, []bool{false}},
		{"AddressRefused", picky.URL(), mail.KindVerifyEmail, "refused@worker.example.com", 1, true, true, []bool{false}},
		{"ServerDownRetried", "smtp://" + down + "?tls=none", mail.KindVerifyEmail, "down@worker.example.com", 1, true, false, nil},
		{"ServerDownLastAttempt", "smtp://" + down + "?tls=none", mail.KindVerifyEmail, "last@worker.example.com", 12, true, false, []bool{false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tr, err := mail.ParseURL(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			m, err := mail.NewMailer(tr, "Accounts <accounts@example.com>")
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			var sent []bool
			w := &mail.Worker{Mailer: m, Templates: tpl, Log: slog.New(slog.NewJSONHandler(&logs, nil)),
				Sent: func(_ string, ok bool) { sent = append(sent, ok) }}
			job := &river.Job[mail.Message]{
				JobRow: &rivertype.JobRow{ID: 7, Attempt: tc.attempt, MaxAttempts: 12},
				Args:   mail.Message{Template: tc.template, To: tc.to, Data: data, UserID: "u1"},
			}
			err = w.Work(context.Background(), job)
			var cancel *rivertype.JobCancelError
			if (err != nil) != tc.wantErr || errors.As(err, &cancel) != tc.wantCancel {
				t.Fatalf("Work: %v; want error %v, cancelled %v", err, tc.wantErr, tc.wantCancel)
			}
			if len(sent) != len(tc.sent) || (len(sent) == 1 && sent[0] != tc.sent[0]) {
				t.Fatalf("Sent was told %v; want %v", sent, tc.sent)
			}
			if strings.Contains(logs.String(), tc.to) || strings.Contains(logs.String(), "abc") {
				t.Fatalf("the log names the address or the token:\n%s", logs.String())
			}
		})
	}
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
