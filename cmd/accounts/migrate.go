package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/meridianhq/accounts/schema"
)

// migrate runs `accounts migrate up|down|status`.
func migrate(ctx context.Context, args []string, env environment, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "up" && args[0] != "down" && args[0] != "status") {
		return usageErrorf("usage: accounts migrate up|down|status [flags]")
	}
	action := args[0]
	cfg, err := loadConfig("migrate "+action, args[1:], env, stderr)
	if err != nil {
		return err
	}
	m, err := newMigrator(cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	switch action {
	case "up":
		res, err := m.p.Up(ctx)
		for _, r := range res {
			fmt.Fprintf(stdout, "applied %s (%s)\n", migrationName(r.Source), r.Duration.Round(1e6))
		}
		if err != nil {
			return fmt.Errorf("migrating up: %w", err)
		}
		if len(res) == 0 {
			fmt.Fprintln(stdout, "the schema is current")
		}
	case "down":
		r, err := m.p.Down(ctx)
		if err != nil {
			return fmt.Errorf("migrating down: %w", err)
		}
		fmt.Fprintf(stdout, "rolled back %s\n", migrationName(r.Source))
	case "status":
		st, err := m.p.Status(ctx)
		if err != nil {
			return fmt.Errorf("reading the migration status: %w", err)
		}
		for _, s := range st {
			applied := "pending"
			if s.State == goose.StateApplied {
				applied = "applied " + s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
			}
			fmt.Fprintf(stdout, "%-28s %s\n", migrationName(s.Source), applied)
		}
	}
	return nil
}

// migrator applies and checks the embedded migrations over its own connection,
// with no statement timeout: a migration may legitimately run long.
type migrator struct {
	db *sql.DB
	p  *goose.Provider
}

func newMigrator(cfg config) (*migrator, error) {
	pc, err := poolConfig(cfg)
	if err != nil {
		return nil, err
	}
	// No statement timeout (a role's included): a migration may run long. SET,
	// not a startup parameter, which a pooler refuses.
	db := stdlib.OpenDB(*pc.ConnConfig.Copy(), stdlib.OptionAfterConnect(func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "SET statement_timeout = 0", pgx.QueryExecModeSimpleProtocol)
		return err
	}))
	db.SetMaxOpenConns(2)
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	p, err := schema.NewProvider(db, goose.WithSessionLocker(locker))
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("loading the migrations: %w", err)
	}
	return &migrator{db: db, p: p}, nil
}

// Close releases the migrator's connections.
func (m *migrator) Close() error { return m.p.Close() }

// check reports why the schema is not at this binary's version, or nil.
func (m *migrator) check(ctx context.Context) error {
	current, target, err := m.p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	if current < target {
		return fmt.Errorf("the database is at version %d, this binary needs %d", current, target)
	}
	return nil
}

// ensureCurrent applies pending migrations when told to, and otherwise refuses
// a schema that is behind.
func (m *migrator) ensureCurrent(ctx context.Context, migrateNow bool, log *slog.Logger) error {
	if migrateNow {
		res, err := m.p.Up(ctx)
		for _, r := range res {
			log.Info("migration applied", slog.String("migration", migrationName(r.Source)), slog.String("took", r.Duration.Round(time.Millisecond).String()))
		}
		if err != nil {
			return fmt.Errorf("migrating up: %w", err)
		}
		return nil
	}
	if err := m.check(ctx); err != nil {
		return fmt.Errorf("%w; run `accounts migrate up` or set ACCOUNTS_MIGRATE_ON_START=true", err)
	}
	return nil
}

// migrationName names a migration: its file, or for a Go migration its version.
func migrationName(src *goose.Source) string {
	if src.Path != "" {
		return src.Path
	}
	return fmt.Sprintf("%04d (Go, schema/)", src.Version)
}
