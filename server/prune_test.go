package server_test

import (
	"context"
	"testing"

	"github.com/meridianhq/accounts/server/servertest"
)

func TestPruneSessions(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	cases := map[string]string{
		"revokedLongAgo":  "revoked_at = now() - interval '25 hours', revoke_reason = 'logout'",
		"expiredLongAgo":  "expires_at = now() - interval '25 hours'",
		"revokedRecently": "revoked_at = now() - interval '1 hour', revoke_reason = 'logout'",
		"expiredRecently": "expires_at = now() - interval '1 hour'",
		"live":            "",
	}
	ids := map[string]string{}
	for name, set := range cases {
		u := e.NewUser(t)
		ids[name] = u.Id.String()
		if set != "" {
			mustExec(t, e, "UPDATE sessions SET "+set+" WHERE user_id = $1", u.Id)
		}
	}
	n, err := e.Service.Sessions.Prune(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("pruned %d (%v), want the 2 sessions that ended more than the 24h retention ago", n, err)
	}
	for name, id := range ids {
		var sessions, tokens int
		if err := e.Pool.QueryRow(context.Background(),
			"SELECT count(DISTINCT s.id), count(rt.token_hash) FROM sessions s LEFT JOIN refresh_tokens rt ON rt.session_id = s.id WHERE s.user_id = $1", id).
			Scan(&sessions, &tokens); err != nil {
			t.Fatal(err)
		}
		gone := name == "revokedLongAgo" || name == "expiredLongAgo"
		if gone != (sessions == 0) || gone != (tokens == 0) {
			t.Errorf("%s: %d sessions, %d refresh tokens left", name, sessions, tokens)
		}
	}
}

func TestPruneAuditEvents(t *testing.T) {
	t.Parallel()
	e := servertest.New(t) // retention 90 days
	e.NewUser(t)           // recent events: registered, login succeeded
	// More old events than one batch deletes, and one just inside the retention.
	mustExec(t, e, `INSERT INTO audit_events (id, occurred_at, action)
		SELECT gen_random_uuid(), now() - interval '91 days', 'user.login_failed' FROM generate_series(1, 2500)`)
	mustExec(t, e, `INSERT INTO audit_events (id, occurred_at, action) VALUES (gen_random_uuid(), now() - interval '89 days', 'user.login_failed')`)
	n, err := e.Service.Audit.Prune(context.Background())
	if err != nil || n != 2500 {
		t.Fatalf("pruned %d (%v), want the 2500 events older than the 90 days retention", n, err)
	}
	var left, old int
	if err := e.Pool.QueryRow(context.Background(),
		"SELECT count(*), count(*) FILTER (WHERE occurred_at < now() - interval '90 days') FROM audit_events").Scan(&left, &old); err != nil {
		t.Fatal(err)
	}
	if left != 3 || old != 0 {
		t.Fatalf("%d events left (%d past the retention); want the 2 recent ones and the one 89 days old", left, old)
	}
}
