package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/testdb"
)

func TestAdminCreate(t *testing.T) {
	t.Parallel()
	dbURL := testdb.New(t)
	vars := map[string]string{"DATABASE_URL": dbURL, "ACCOUNTS_ARGON2_MEMORY_KIB": "1024", "ACCOUNTS_ARGON2_ITERATIONS": "1"}
	ctx := context.Background()

	code, out, errOut := runCmd(t, ctx, vars, "admin", "create", "--email", " First@Example.com ", "--name", "First Admin")
	if code != 0 || !strings.Contains(out, "created admin First@Example.com") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	m := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no generated password printed:\n%s", out)
	}
	assertAdmin(t, dbURL, "first@example.com", m[1])

	var stdout, stderr bytes.Buffer
	code = run(ctx, []string{"admin", "create", "--email", "second@example.com", "--name", "Second", "--password-stdin"},
		env(vars), strings.NewReader("purple monkey dishwasher lamp\n"), &stdout, &stderr)
	if code != 0 || strings.Contains(stdout.String(), "password:") {
		t.Fatalf("--password-stdin: exit %d\n%s%s", code, &stdout, &stderr)
	}
	assertAdmin(t, dbURL, "second@example.com", "purple monkey dishwasher lamp")

	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		says  string
	}{
		{"Duplicate_1", []string{"--email", "FIRST@example.com", "--name", "Again"}, "", 1, "already exists"},
		{"WeakPassword_2", []string{"--email", "third@example.com", "--name", "T", "--password-stdin"}, "password1\n", 2, "password"},
		{"BadEmail_2", []string{"--email", "not an address", "--name", "T"}, "", 2, "email"},
		{"NoName_2", []string{"--email", "third@example.com"}, "", 2, "--name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(ctx, append([]string{"admin", "create"}, tc.args...), env(vars), strings.NewReader(tc.stdin), &stdout, &stderr)
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if code != tc.code || len(lines) != 1 || !strings.Contains(lines[0], tc.says) {
				t.Fatalf("exit %d, want %d naming %q:\n%s", code, tc.code, tc.says, &stderr)
			}
		})
	}
	t.Run("SchemaBehind_1", func(t *testing.T) {
		behind := map[string]string{"DATABASE_URL": testdb.Empty(t)}
		code, _, errOut := runCmd(t, ctx, behind, "admin", "create", "--email", "x@example.com", "--name", "X")
		if code != 1 || !strings.Contains(errOut, "migrate up") {
			t.Fatalf("exit %d: %s", code, errOut)
		}
	})
}

// assertAdmin checks that the user exists as an admin with that password.
func assertAdmin(t *testing.T, dbURL, email, password string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var role, hash string
	if err := conn.QueryRow(ctx, "SELECT role, password_hash FROM users WHERE lower(email) = $1", email).Scan(&role, &hash); err != nil {
		t.Fatalf("%s: %v", email, err)
	}
	h, err := auth.NewHasher(auth.Argon2Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}, nil, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	v, err := h.Verify(ctx, hash, password)
	if role != "admin" || err != nil || !v.Match {
		t.Fatalf("%s: role %s, password matches %v (%v)", email, role, v.Match, err)
	}
}
