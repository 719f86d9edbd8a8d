//go:build scale

package scaletest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server/mailtest"
)

// startMailpit runs a Mailpit for the replicas, killed with the test process.
func startMailpit(t *testing.T) *mailtest.Server {
	t.Helper()
	mp, err := mailtest.Start(nil)
	if err != nil {
		t.Fatalf("mailpit: %v", err)
	}
	return mp
}

// mailThroughPool registers users and asks for their password resets, each on
// another replica, through the transaction pooler: every replica's job queue
// polls (exec mode, no LISTEN), and every mail must arrive exactly once.
func mailThroughPool(t *testing.T, apis []*client.ClientWithResponses, mp *mailtest.Server) {
	ctx := context.Background()
	const users = 9
	start := time.Now()
	var emails []string
	for i := range users {
		email := fmt.Sprintf("mail-%d@example.com", rand.Int64())
		reg, err := apis[i%3].RegisterWithResponse(ctx, client.RegisterRequest{Email: email, Name: "Mail", Password: password}, from())
		if err != nil || reg.JSON201 == nil {
			t.Fatalf("register: %v %v", err, reg)
		}
		res, err := apis[(i+1)%3].RequestPasswordResetWithResponse(ctx, client.MailRequest{Email: email}, from())
		if err != nil || res.StatusCode() != 202 {
			t.Fatalf("reset request: %v %v", err, res)
		}
		emails = append(emails, email)
	}
	var wrong []string
	deadline := time.Now().Add(30 * time.Second)
	for _, email := range emails {
		var n int
		for {
			ms, err := mp.Messages(ctx, email)
			if err != nil {
				t.Fatal(err)
			}
			if n = len(ms); n >= 2 || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if n != 2 {
			wrong = append(wrong, fmt.Sprintf("%s: %d", email, n))
		}
	}
	took := time.Since(start)
	time.Sleep(2 * time.Second) // duplicates would come within a poll or two
	for _, email := range emails {
		if ms, err := mp.Messages(ctx, email); err != nil || len(ms) != 2 {
			wrong = append(wrong, fmt.Sprintf("%s: %d later", email, len(ms)))
		}
	}
	report(t, "mail through PgBouncer", len(wrong) == 0,
		"%d registrations and %d resets over 3 polling replicas: %d mails expected, each once, all in %s; wrong %v",
		users, users, 2*users, took.Round(time.Millisecond), wrong)
}
