// Package testdb gives each test its own PostgreSQL database, cloned from a
// template that has every migration applied, so tests run in parallel and never
// see each other's rows.
//
// The server comes from TEST_DATABASE_URL when it is set, and otherwise from the
// project-local test cluster that tools/devdb.sh starts (or reuses) under .data/.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/meridianhq/accounts/schema"
	"github.com/meridianhq/accounts/server/store"
)

// templateLockID serialises template creation across test processes.
const templateLockID = 0x6163636f756e7473 // "accounts"

var (
	adminOnce sync.Once
	adminURL  string
	adminErr  error

	templateOnce sync.Once
	templateName string
	templateErr  error
)

// AdminURL is the URL of a role that may create databases on the test server.
func AdminURL(tb testing.TB) string {
	tb.Helper()
	u, err := adminURLOnce()
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	return u
}

func adminURLOnce() (string, error) {
	adminOnce.Do(func() { adminURL, adminErr = findAdminURL() })
	return adminURL, adminErr
}

// New creates a fresh, migrated database for this test, drops it when the test
// ends, and returns its URL.
func New(tb testing.TB) string {
	tb.Helper()
	u, drop, err := Create()
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	tb.Cleanup(func() {
		if err := drop(); err != nil {
			tb.Errorf("testdb: %v", err)
		}
	})
	return u
}

// Create is New for where there is no testing.TB, such as a TestMain: it
// returns the URL of a fresh, migrated database and the function that drops it.
func Create() (string, func() error, error) {
	admin, err := adminURLOnce()
	if err != nil {
		return "", nil, err
	}
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(admin) })
	if templateErr != nil {
		return "", nil, templateErr
	}
	name := "accounts_test_" + randomHex(8)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, fmt.Errorf("connecting: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s STRATEGY FILE_COPY", name, templateName)); err != nil {
		return "", nil, fmt.Errorf("cloning the template: %w", err)
	}
	return replaceDB(admin, name), func() error { return drop(admin, name) }, nil
}

// NewPool is New plus a pool on the new database, configured as production
// configures its pools (store.Configure), closed when the test ends. With
// TEST_POOL_MAX_CONNS=1 each pool has one connection: a code path that asks
// for a second one while it holds one (in a transaction, say) hangs, where a
// full pool in production would stall it.
func NewPool(tb testing.TB) (*pgxpool.Pool, string) {
	tb.Helper()
	u := New(tb)
	cfg, err := pgxpool.ParseConfig(u)
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	store.Configure(cfg)
	if n := os.Getenv("TEST_POOL_MAX_CONNS"); n != "" {
		max, err := strconv.ParseInt(n, 10, 32)
		if err != nil || max < 1 {
			tb.Fatalf("testdb: TEST_POOL_MAX_CONNS=%q is not a positive number", n)
		}
		cfg.MaxConns = int32(max)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("testdb: opening a pool: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool, u
}

// Empty creates a database with no schema at all, for migration tests.
func Empty(tb testing.TB) string {
	tb.Helper()
	admin := AdminURL(tb)
	name := "accounts_test_" + randomHex(8)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("testdb: connecting: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("testdb: creating a database: %v", err)
	}
	tb.Cleanup(func() {
		if err := drop(admin, name); err != nil {
			tb.Errorf("testdb: %v", err)
		}
	})
	return replaceDB(admin, name)
}

func drop(admin, name string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connecting to drop %s: %w", name, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("dropping %s: %w", name, err)
	}
	return nil
}

// ensureTemplate creates the migrated template once per migration set. Its name
// carries a hash of the migrations, so a changed migration gets a new template.
func ensureTemplate(admin string) (string, error) {
	sum, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "accounts_tmpl_" + sum[:16]
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("connecting: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(templateLockID)); err != nil {
		return "", err
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", int64(templateLockID))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_building"
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return "", err
	}
	if err := migrateUp(ctx, replaceDB(admin, building)); err != nil {
		return "", fmt.Errorf("migrating the template: %w", err)
	}
	// Renaming last means a template that exists is always complete.
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+building+" RENAME TO "+name); err != nil {
		return "", err
	}
	return name, nil
}

// migrateUp applies every embedded migration to the database at u.
func migrateUp(ctx context.Context, u string) error {
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		return err
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	p, err := schema.NewProvider(db)
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

func migrationsHash() (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", schema.GoMigrationsKey())
	err := fs.WalkDir(schema.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(schema.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

func replaceDB(u, name string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return u
	}
	parsed.Path = "/" + name
	return parsed.String()
}

// findAdminURL reads TEST_DATABASE_URL, or starts the project-local cluster.
func findAdminURL() (string, error) {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(filepath.Join(root, "tools", "devdb.sh"), "start", "test")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("starting the test cluster (tools/devdb.sh start test): %w; "+
			"or set TEST_DATABASE_URL", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// repoRoot walks up from the working directory to the directory with go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
