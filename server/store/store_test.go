package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/meridianhq/accounts/gen/db"
	"github.com/meridianhq/accounts/server/store"
	"github.com/meridianhq/accounts/server/testdb"
)

func createUser(ctx context.Context, q *db.Queries, email string) error {
	_, err := q.CreateUser(ctx, db.CreateUserParams{ID: uuid.New(), Email: email, EmailKey: strings.ToLower(email), Name: "N", Role: db.UserRoleUser, PasswordHash: "x"})
	return err
}

func TestInTx(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.NewPool(t)
	ctx := context.Background()
	count := func() (n int) {
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	t.Run("CommitRunsHooksAfterwardsInOrder", func(t *testing.T) {
		var ran []int
		err := store.InTx(ctx, pool, func(tx *store.Tx) error {
			tx.AfterCommit(func() { ran = append(ran, count()) })
			tx.AfterCommit(func() { ran = append(ran, -1) })
			return createUser(ctx, tx.Queries, "commit@example.com")
		})
		if err != nil || len(ran) != 2 || ran[0] != 1 || ran[1] != -1 {
			t.Fatalf("err %v, hooks saw %v; want [1 -1]: after the commit, in order", err, ran)
		}
	})
	t.Run("RollbackRunsNoHook", func(t *testing.T) {
		boom := errors.New("boom")
		ran := false
		err := store.InTx(ctx, pool, func(tx *store.Tx) error {
			tx.AfterCommit(func() { ran = true })
			if err := createUser(ctx, tx.Queries, "rollback@example.com"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || ran || count() != 1 {
			t.Fatalf("err %v, hook ran %v, %d users; want boom, no hook, the insert rolled back", err, ran, count())
		}
	})
	t.Run("BeginFailure", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := store.InTx(cctx, pool, func(*store.Tx) error { t.Fatal("fn ran"); return nil }); err == nil {
			t.Fatal("want an error")
		}
	})
}

func TestIsUniqueViolation(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.NewPool(t)
	ctx := context.Background()
	q := db.New(pool)
	if err := createUser(ctx, q, "dup@example.com"); err != nil {
		t.Fatal(err)
	}
	dup := createUser(ctx, q, "DUP@example.com")
	tests := []struct {
		name string
		err  error
		c    store.UniqueConstraint
		want bool
	}{
		{"TheConstraint", dup, store.UniqueUsersEmailLive, true},
		{"AnotherConstraint", dup, "users_pkey", false},
		{"NotAPgError", errors.New("users_email_live_key"), store.UniqueUsersEmailLive, false},
		{"Nil", nil, store.UniqueUsersEmailLive, false},
	}
	for _, tt := range tests {
		if got := store.IsUniqueViolation(tt.err, tt.c); got != tt.want {
			t.Errorf("%s: store.IsUniqueViolation = %v; want %v (err %v)", tt.name, got, tt.want, tt.err)
		}
	}
}

// TestIsUnavailable: what says the database cannot be used now (503) and what
// says a query was wrong (500). A connection the database (or a proxy) cut is
// an outage, whether pgx noticed it during a query or before one.
func TestIsUnavailable(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.NewPool(t)
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.Conn().Close(ctx) // as after the server went away
	_, closed := conn.Exec(ctx, "SELECT 1")
	conn.Release()
	_, syntax := pool.Exec(ctx, "SELEC 1")
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"ConnClosed", closed, true},
		{"UnexpectedEOF", fmt.Errorf("query: %w", io.ErrUnexpectedEOF), true},
		{"AdminShutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"ConnectionFailure", &pgconn.PgError{Code: "08006"}, true},
		{"DeadlineExceeded", context.DeadlineExceeded, true},
		{"SyntaxError", syntax, false},
		{"NoRows", pgx.ErrNoRows, false},
		{"Plain", errors.New("boom"), false},
		{"Nil", nil, false},
	}
	for _, tt := range tests {
		if got := store.IsUnavailable(tt.err); got != tt.want {
			t.Errorf("%s: store.IsUnavailable(%v) = %v; want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

// TestUniqueConstraintsExist keeps the named constraints in step with the
// schema: a renamed index would otherwise turn a 409 into a 500.
func TestUniqueConstraintsExist(t *testing.T) {
	t.Parallel()
	pool, _ := testdb.NewPool(t)
	for _, c := range store.UniqueConstraints {
		var n int
		err := pool.QueryRow(context.Background(), `
			SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname = $1 AND indexdef LIKE 'CREATE UNIQUE%'`, string(c)).Scan(&n)
		if err != nil || n != 1 {
			t.Errorf("unique index %s: found %d (%v)", c, n, err)
		}
	}
}

func TestPoolConfig(t *testing.T) {
	t.Parallel()
	o := store.PoolOptions{MaxConns: 7, MinConns: 2, MaxConnLifetime: time.Hour, MaxConnIdleTime: time.Minute,
		HealthCheckPeriod: 30 * time.Second, ConnectTimeout: 3 * time.Second, StatementTimeout: 1500 * time.Millisecond,
		ExecMode: pgx.QueryExecModeExec}
	pc, err := store.PoolConfig("postgres://u:secret@localhost:5432/db", o)
	if err != nil {
		t.Fatal(err)
	}
	if pc.MaxConns != 7 || pc.MinConns != 2 || pc.MaxConnLifetime != time.Hour || pc.MaxConnLifetimeJitter != 6*time.Minute ||
		pc.MaxConnIdleTime != time.Minute || pc.HealthCheckPeriod != 30*time.Second || pc.ConnConfig.ConnectTimeout != 3*time.Second ||
		pc.ConnConfig.RuntimeParams["statement_timeout"] != "" || pc.AfterConnect == nil || pc.ConnConfig.DefaultQueryExecMode != pgx.QueryExecModeExec {
		t.Fatalf("config %+v", pc)
	}
	_, err = store.PoolConfig("postgres://u:secret@[::1", o)
	if !errors.Is(err, store.ErrBadURL) || err.Error() != store.ErrBadURL.Error() {
		t.Fatalf("a bad URL: %v; want store.ErrBadURL, without pgx's text (it can echo the password)", err)
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	o := store.PoolOptions{MaxConns: 2, ConnectTimeout: time.Second, StatementTimeout: time.Second, MaxConnLifetime: time.Hour, MaxConnIdleTime: time.Minute, HealthCheckPeriod: time.Minute}
	pool, err := store.Open(context.Background(), testdb.New(t), o)
	if err != nil {
		t.Fatal(err)
	}
	var timeout string
	if err := pool.QueryRow(context.Background(), "SHOW statement_timeout").Scan(&timeout); err != nil || timeout != "1s" {
		t.Fatalf("statement_timeout %q (%v); want 1s", timeout, err)
	}
	pool.Close()
	if _, err := store.Open(context.Background(), "postgres://nobody@127.0.0.1:1/none?sslmode=disable", o); err == nil {
		t.Fatal("Open of a closed port: want an error")
	}
	if _, err := store.Open(context.Background(), "postgres://u:secret@[::1", o); !errors.Is(err, store.ErrBadURL) {
		t.Fatalf("Open of a bad URL: %v", err)
	}
}

// TestUUIDPointerArguments checks that a *uuid.UUID argument (a nullable id)
// is encoded as a UUID, not through uuid.UUID's driver.Valuer (its text,
// parsed back after a failed binary plan), and that nil and non-nil pointers
// reach the database as NULL and as the id.
func TestUUIDPointerArguments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	o := store.PoolOptions{MaxConns: 1, ConnectTimeout: time.Second, MaxConnLifetime: time.Hour, MaxConnIdleTime: time.Minute, HealthCheckPeriod: time.Minute}
	pool, err := store.Open(ctx, testdb.New(t), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plan := conn.Conn().TypeMap().PlanEncode(pgtype.UUIDOID, pgtype.BinaryFormatCode, (*uuid.UUID)(nil))
	conn.Release()
	if got := fmt.Sprintf("%T", plan); got == "*pgtype.encodePlanDriverValuer" {
		t.Errorf("a *uuid.UUID is encoded by %s", got)
	}
	id := uuid.New()
	for _, tc := range []struct {
		name string
		arg  *uuid.UUID
		want string
	}{{"Nil", nil, "null"}, {"ID", &id, id.String()}} {
		t.Run(tc.name, func(t *testing.T) {
			var got string
			if err := pool.QueryRow(ctx, "SELECT coalesce($1::uuid::text, 'null')", tc.arg).Scan(&got); err != nil || got != tc.want {
				t.Fatalf("%q (%v); want %q", got, err, tc.want)
			}
		})
	}
}
