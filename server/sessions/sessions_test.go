package sessions

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/store"
	"github.com/meridianhq/accounts/server/testdb"
)

// policy is production's default session policy.
var policy = Policy{Lifetime: 720 * time.Hour, IdleTimeout: 168 * time.Hour, Retention: 24 * time.Hour}

func newTokens(t *testing.T) *auth.Tokens {
	t.Helper()
	keys, err := auth.NewEphemeralKeySet(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(keys, auth.TokenOptions{Issuer: "i", Audience: "a", TTL: 15 * time.Minute, Leeway: 30 * time.Second, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

// newService returns a started Service on a fresh database.
func newService(t *testing.T) (*Service, *pgxpool.Pool) {
	t.Helper()
	pool, _ := testdb.NewPool(t)
	s, err := New(Options{Pool: pool, Tokens: newTokens(t), Policy: policy, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s, pool
}

// newUser inserts a user row to hang sessions on.
func newUser(t *testing.T, pool *pgxpool.Pool) uuid.UUID {
	t.Helper()
	id := uuid.New()
	if _, err := db.New(pool).CreateUser(context.Background(), db.CreateUserParams{
		ID: id, Email: id.String() + "@example.com", EmailKey: id.String() + "@example.com", Name: "N", Role: db.UserRoleUser, PasswordHash: "x",
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// begin starts a session for user.
func begin(t *testing.T, s *Service, user uuid.UUID, c Client) Pair {
	t.Helper()
	var p Pair
	err := store.InTx(context.Background(), s.pool, func(tx *store.Tx) (err error) {
		p, err = s.Begin(context.Background(), tx, Start{User: user, Role: auth.RoleUser}, c)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPolicyCheck(t *testing.T) {
	t.Parallel()
	validFor := 15*time.Minute + 30*time.Second
	tests := []struct {
		name    string
		mod     func(*Policy)
		wantErr string
	}{
		{"Default", func(*Policy) {}, ""},
		{"ZeroLifetime", func(p *Policy) { p.Lifetime = 0 }, "must be positive"},
		{"ZeroIdle", func(p *Policy) { p.IdleTimeout = 0 }, "must be positive"},
		{"NegativeLeeway", func(p *Policy) { p.ReuseLeeway = -time.Second }, "not negative"},
		{"IdleOverLifetime", func(p *Policy) { p.IdleTimeout = p.Lifetime + time.Hour }, "longer than the lifetime"},
		{"RetentionUnderTokens", func(p *Policy) { p.Retention = validFor }, "shorter than"},
		{"RetentionAtMinimum", func(p *Policy) { p.Retention = MinRetention(validFor) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := policy
			tt.mod(&p)
			err := p.check(validFor)
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("check = %v; want %q", err, tt.wantErr)
			}
		})
	}
	var re *RetentionError
	if err := (Policy{Lifetime: time.Hour, IdleTimeout: time.Hour, Retention: time.Minute}).check(time.Hour); !errors.As(err, &re) || re.Min != time.Hour+pollOverlap {
		t.Fatalf("a short retention: %v; want a *RetentionError with the minimum", err)
	}
}

func TestNew_Refuses(t *testing.T) {
	t.Parallel()
	tokens := newTokens(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pool := &pgxpool.Pool{}
	tests := []struct {
		name string
		o    Options
	}{
		{"NoPool", Options{Tokens: tokens, Policy: policy, Logger: log}},
		{"NoTokens", Options{Pool: pool, Policy: policy, Logger: log}},
		{"NoLogger", Options{Pool: pool, Tokens: tokens, Policy: policy}},
		{"RetentionTooShort", Options{Pool: pool, Tokens: tokens, Policy: Policy{Lifetime: time.Hour, IdleTimeout: time.Hour, Retention: time.Minute}, Logger: log}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(tt.o); err == nil {
				t.Fatal("New: want an error")
			}
		})
	}
}

// TestBeginRotateEnd walks one session through its life: begin (with its
// client recorded), rotate, reuse, and the revoked set after each end.
func TestBeginRotateEnd(t *testing.T) {
	t.Parallel()
	s, pool := newService(t)
	user := newUser(t, pool)
	ua := strings.Repeat("é", 400) // 800 bytes: cut to 512 without splitting a character
	p := begin(t, s, user, Client{IP: netip.MustParseAddr("203.0.113.7"), UserAgent: ua})
	if p.UserID != user || p.Access == "" || p.Refresh == "" || p.ExpiresIn != 15*time.Minute {
		t.Fatalf("pair %+v", p)
	}
	rows, err := s.List(context.Background(), user)
	if err != nil || len(rows) != 1 || rows[0].Ip == nil || rows[0].Ip.String() != "203.0.113.7" || len(rows[0].UserAgent) != 512 {
		t.Fatalf("listed %+v, %v", rows, err)
	}
	r, err := s.Rotate(context.Background(), p.Refresh)
	if err != nil || r.Outcome != Rotated || r.Pair.SessionID != p.SessionID || r.Pair.Refresh == p.Refresh {
		t.Fatalf("rotate: %+v, %v", r, err)
	}
	if s.Revoked(p.SessionID) {
		t.Fatal("a rotated session is revoked")
	}
	if r, err := s.Rotate(context.Background(), p.Refresh); err != nil || r.Outcome != Reused {
		t.Fatalf("reuse: %+v, %v", r, err)
	}
	if !s.Revoked(p.SessionID) {
		t.Fatal("a reused token's session is not in the revoked set")
	}
	if r, err := s.Rotate(context.Background(), "not a token"); err != nil || r.Outcome != Invalid {
		t.Fatalf("unknown token: %+v, %v", r, err)
	}
	if s.Policy() != policy {
		t.Fatalf("Policy() = %+v", s.Policy())
	}
}

// TestRotateRefusesDisabledUser: a disabled user's sessions are revoked with
// the disable, and even a session that somehow outlived it does not refresh.
func TestRotateRefusesDisabledUser(t *testing.T) {
	t.Parallel()
	s, pool := newService(t)
	user := newUser(t, pool)
	p := begin(t, s, user, Client{})
	if _, err := pool.Exec(context.Background(), "UPDATE users SET disabled_at = now() WHERE id = $1", user); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Rotate(context.Background(), p.Refresh); err != nil || r.Outcome != Invalid {
		t.Fatalf("refresh of a disabled user: %+v, %v; want Invalid", r, err)
	}
}

func TestEnd(t *testing.T) {
	t.Parallel()
	s, pool := newService(t)
	user, other := newUser(t, pool), newUser(t, pool)
	a, b, c := begin(t, s, user, Client{}), begin(t, s, user, Client{}), begin(t, s, user, Client{})
	theirs := begin(t, s, other, Client{})

	if found, err := s.End(context.Background(), user, theirs.SessionID, ReasonSessionDeleted); err != nil || found {
		t.Fatalf("ending another user's session: %v, %v", found, err)
	}
	if s.Revoked(theirs.SessionID) {
		t.Fatal("another user's session was revoked")
	}
	if found, err := s.End(context.Background(), user, a.SessionID, ReasonLogout); err != nil || !found || !s.Revoked(a.SessionID) {
		t.Fatalf("End: %v, %v, revoked %v", found, err, s.Revoked(a.SessionID))
	}
	if err := s.EndAll(context.Background(), user, &b.SessionID, ReasonLogoutOthers); err != nil {
		t.Fatal(err)
	}
	if s.Revoked(b.SessionID) || !s.Revoked(c.SessionID) {
		t.Fatalf("EndAll keeping b: b revoked %v, c revoked %v", s.Revoked(b.SessionID), s.Revoked(c.SessionID))
	}
	// A rolled-back end leaves the set alone: it is applied after commit only.
	boom := errors.New("boom")
	err := store.InTx(context.Background(), pool, func(tx *store.Tx) error {
		if err := s.EndAllTx(context.Background(), tx, user, nil, ReasonPasswordChanged); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || s.Revoked(b.SessionID) {
		t.Fatalf("rolled back: err %v, b revoked %v", err, s.Revoked(b.SessionID))
	}
}

// TestOfUser: the operations on a user named by id tell an unknown or deleted
// user from a session that is not the user's, and end only that user's.
func TestOfUser(t *testing.T) {
	t.Parallel()
	s, pool := newService(t)
	ctx := context.Background()
	user, other, gone := newUser(t, pool), newUser(t, pool), newUser(t, pool)
	a, b := begin(t, s, user, Client{}), begin(t, s, user, Client{})
	theirs := begin(t, s, other, Client{})
	if _, err := pool.Exec(ctx, "UPDATE users SET deleted_at = now() WHERE id = $1", gone); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uuid.UUID{uuid.New(), gone} {
		if _, err := s.ListOfUser(ctx, id); !errors.Is(err, ErrUserNotFound) {
			t.Errorf("ListOfUser(%s): %v; want ErrUserNotFound", id, err)
		}
		if err := s.EndOfUser(ctx, id, theirs.SessionID); !errors.Is(err, ErrUserNotFound) {
			t.Errorf("EndOfUser(%s): %v; want ErrUserNotFound", id, err)
		}
		if err := s.EndAllOfUser(ctx, id); !errors.Is(err, ErrUserNotFound) {
			t.Errorf("EndAllOfUser(%s): %v; want ErrUserNotFound", id, err)
		}
	}
	if err := s.EndOfUser(ctx, user, theirs.SessionID); !errors.Is(err, ErrNotFound) || s.Revoked(theirs.SessionID) {
		t.Fatalf("ending another user's session: %v, revoked %v", err, s.Revoked(theirs.SessionID))
	}
	if err := s.EndOfUser(ctx, user, a.SessionID); err != nil || !s.Revoked(a.SessionID) || s.Revoked(b.SessionID) {
		t.Fatalf("EndOfUser: %v; a revoked %v, b revoked %v", err, s.Revoked(a.SessionID), s.Revoked(b.SessionID))
	}
	if err := s.EndOfUser(ctx, user, a.SessionID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ending an ended session: %v", err)
	}
	if rows, err := s.ListOfUser(ctx, user); err != nil || len(rows) != 1 || rows[0].ID != b.SessionID {
		t.Fatalf("ListOfUser: %+v, %v", rows, err)
	}
	if err := s.EndAllOfUser(ctx, user); err != nil || !s.Revoked(b.SessionID) || s.Revoked(theirs.SessionID) {
		t.Fatalf("EndAllOfUser: %v; b revoked %v, theirs %v", err, s.Revoked(b.SessionID), s.Revoked(theirs.SessionID))
	}
	if rows, err := s.ListOfUser(ctx, user); err != nil || len(rows) != 0 {
		t.Fatalf("after EndAllOfUser: %+v, %v", rows, err)
	}
	var events int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM audit_events WHERE action = 'session.revoked' AND target_id = $1", user).Scan(&events); err != nil || events != 2 {
		t.Fatalf("%d session.revoked events, %v; want 2 (one, all)", events, err)
	}
}

// TestFailuresAreErrors: every operation reports a database failure (here a
// cancelled context) as an error, never as an outcome.
func TestFailuresAreErrors(t *testing.T) {
	t.Parallel()
	s, pool := newService(t)
	user := newUser(t, pool)
	p := begin(t, s, user, Client{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		call func() error
	}{
		{"Rotate", func() error { _, err := s.Rotate(ctx, p.Refresh); return err }},
		{"End", func() error { _, err := s.End(ctx, user, p.SessionID, ReasonLogout); return err }},
		{"EndAll", func() error { return s.EndAll(ctx, user, nil, ReasonLogoutAll) }},
		{"List", func() error { _, err := s.List(ctx, user); return err }},
		{"ListOfUser", func() error { _, err := s.ListOfUser(ctx, user); return err }},
		{"EndOfUser", func() error { return s.EndOfUser(ctx, user, p.SessionID) }},
		{"EndAllOfUser", func() error { return s.EndAllOfUser(ctx, user) }},
		{"Prune", func() error { _, err := s.Prune(ctx); return err }},
		{"Start", func() error { return s.Start(ctx) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("want an error")
			}
			if errors.Is(err, ErrUserNotFound) || errors.Is(err, ErrNotFound) {
				t.Fatalf("err = %v: a failure reported as an outcome", err)
			}
		})
	}
	if s.Revoked(p.SessionID) {
		t.Fatal("a failed end revoked the session")
	}
}

// TestRevokedSetForgets drops entries once their tokens can no longer verify.
func TestRevokedSetForgets(t *testing.T) {
	t.Parallel()
	r := newRevokedSet(nil, &pgx.ConnConfig{}, time.Minute, nil)
	old, recent := uuid.New(), uuid.New()
	r.add(old, recent)
	r.revoked[old] = time.Now().Add(-time.Second)
	r.prune()
	if r.has(old) || !r.has(recent) {
		t.Fatalf("after prune: old %v, recent %v", r.has(old), r.has(recent))
	}
}
