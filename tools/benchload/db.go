package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// database is the benchmark's own database on the test cluster: created
// fresh, dropped at the end. admin is a connection to the cluster's
// administrative database (TEST_DATABASE_URL), never to this one, so that the
// measuring queries open no session of the database they measure.
type database struct {
	name     string
	url      string
	adminURL string
	admin    *pgx.Conn
}

// createDatabase creates a fresh database on the cluster of adminURL.
func createDatabase(ctx context.Context, adminURL string) (*database, error) {
	if adminURL == "" {
		return nil, errors.New("TEST_DATABASE_URL is not set (make bench-load sets it: the project-local test cluster unless you set it)")
	}
	u, err := url.Parse(adminURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("TEST_DATABASE_URL must be a postgres:// URL")
	}
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return nil, fmt.Errorf("connecting to TEST_DATABASE_URL: %w", err)
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	d := &database{name: "accounts_load_" + hex.EncodeToString(suffix), adminURL: adminURL, admin: admin}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+d.name); err != nil {
		admin.Close(ctx)
		return nil, fmt.Errorf("creating the database: %w", err)
	}
	u.Path = "/" + d.name
	d.url = u.String()
	return d, nil
}

// drop drops the database, whoever is still connected, and closes admin. It
// connects afresh: an interrupted query may have closed admin.
func (d *database) drop() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = d.admin.Close(ctx)
	c, err := pgx.Connect(ctx, d.adminURL)
	if err == nil {
		defer c.Close(ctx)
		_, err = c.Exec(ctx, "DROP DATABASE IF EXISTS "+d.name+" WITH (FORCE)")
	}
	if err != nil {
		logf("dropping the database %s: %v", d.name, err)
	}
}

// exec runs SQL statements in the benchmark's database on a connection of
// their own, closed afterwards (it is not part of any measurement).
func (d *database) exec(ctx context.Context, sql string, args ...any) error {
	c, err := pgx.Connect(ctx, d.url)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql, args...)
	return err
}

// seedUsers inserts the users <prefix><i>@example.com for i from first to
// last, all with the password hash hash: each of them logs in with the
// password it hashes, at the cost it was hashed with.
func (d *database) seedUsers(ctx context.Context, prefix string, first, last int, hash string) error {
	if err := d.exec(ctx, `INSERT INTO users (id, email, email_key, name, password_hash, created_at)
		SELECT gen_random_uuid(), $3 || i || '@example.com', $3 || i || '@example.com', 'Load ' || i, $4,
		       now() - (i / 3) * interval '1 millisecond'
		FROM generate_series($1::int, $2::int) AS i`, first, last, prefix, hash); err != nil {
		return fmt.Errorf("seeding users %d to %d: %w", first, last, err)
	}
	return d.exec(ctx, "ANALYZE users")
}

// userIDs lists the ids of the users whose address starts with prefix.
func (d *database) userIDs(ctx context.Context, prefix string) ([]string, error) {
	c, err := pgx.Connect(ctx, d.url)
	if err != nil {
		return nil, err
	}
	defer c.Close(ctx)
	rows, _ := c.Query(ctx, "SELECT id::text FROM users WHERE email LIKE $1 || '%' ORDER BY id", prefix)
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// passwordHash is the stored hash of the user with address email.
func (d *database) passwordHash(ctx context.Context, email string) (string, error) {
	c, err := pgx.Connect(ctx, d.url)
	if err != nil {
		return "", err
	}
	defer c.Close(ctx)
	var h string
	err = c.QueryRow(ctx, "SELECT password_hash FROM users WHERE email_key = $1", strings.ToLower(email)).Scan(&h)
	return h, err
}

// serverVersion is the cluster's PostgreSQL version, for the report.
func (d *database) serverVersion(ctx context.Context) string {
	var v string
	if err := d.admin.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "?"
	}
	return strings.Fields(v)[0]
}
