package schema_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/meridianhq/accounts/schema"
	"github.com/meridianhq/accounts/server/testdb"
)

// TestEmailKeyMigration fills email_key for existing users, and stops naming
// the live users whose addresses are one once normalised, instead of failing
// on the unique index without saying why.
func TestEmailKeyMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(testdb.Empty(t))
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	p, err := schema.NewProvider(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	insert := func(id, email string, deleted bool) {
		t.Helper()
		del := "NULL"
		if deleted {
			del = "now()"
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO users (id, email, name, password_hash, deleted_at) VALUES ($1, $2, 'N', 'x', "+del+")", id, email); err != nil {
			t.Fatal(err)
		}
	}
	const nfc, nfd = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-00000000000b"
	insert(nfc, "jos\u00e9@example.com", false)
	insert(nfd, "JOSE\u0301@example.com", false)
	insert("00000000-0000-0000-0000-00000000000c", "jose\u0301@example.com", true) // deleted: no conflict
	insert("00000000-0000-0000-0000-00000000000d", "Ada@Example.com", false)
	_, err = p.Up(ctx)
	if err == nil || !strings.Contains(err.Error(), nfc) || !strings.Contains(err.Error(), nfd) || strings.Contains(err.Error(), "00c") {
		t.Fatalf("migrating with a collision: %v; want an error naming %s and %s only", err, nfc, nfd)
	}
	if _, err := db.ExecContext(ctx, "UPDATE users SET deleted_at = now() WHERE id = $1", nfd); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrating once the collision is resolved: %v", err)
	}
	var key string
	if err := db.QueryRowContext(ctx, "SELECT email_key FROM users WHERE id = '00000000-0000-0000-0000-00000000000d'").Scan(&key); err != nil || key != "ada@example.com" {
		t.Fatalf("email_key %q, %v", key, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT email_key FROM users WHERE id = $1", nfc).Scan(&key); err != nil || key != "jos\u00e9@example.com" {
		t.Fatalf("email_key %q, %v; want the NFC, folded form", key, err)
	}
	if _, err := p.DownTo(ctx, 4); err != nil {
		t.Fatalf("migrating down: %v", err)
	}
}
