package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/meridianhq/accounts/schema"
	"github.com/meridianhq/accounts/server/store"
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

// newMigrator opens the migrator's connections: to ACCOUNTS_LISTEN_DATABASE_URL
// when it is set, the direct connection beside a transaction pooler, since a
// migrator keeps session state (its SET, goose's advisory lock) that a pooler
// would leave on a server connection other clients then get; to DATABASE_URL
// otherwise.
func newMigrator(cfg config) (*migrator, error) {
	pc, err := poolConfig(cfg)
	if err != nil {
		return nil, err
	}
	cc := pc.ConnConfig.Copy()
	if cfg.ListenURL != "" {
		direct, err := store.ListenConfig(cfg.ListenURL, cfg.DB)
		if err != nil {
			return nil, usageErrorf("ACCOUNTS_LISTEN_DATABASE_URL: cannot be parsed as a connection string")
		}
		direct.RuntimeParams["application_name"] = cc.RuntimeParams["application_name"]
		cc = direct
	}
	// No statement timeout (a role's included): a migration may run long. SET,
	// not a startup parameter, which a pooler refuses.
	db := stdlib.OpenDB(*cc, stdlib.OptionAfterConnect(func(ctx context.Context, conn *pgx.Conn) error {
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
func (m *migrator) check(ctx context.Context) error { return versionCheck(m.p)(ctx) }

// schemaCheck is /readyz's check of the schema version, over the service's
// own pool: it sets nothing on a connection, and holds none of its own.
func schemaCheck(pool *pgxpool.Pool) (func(context.Context) error, error) {
	p, err := schema.NewProvider(stdlib.OpenDBFromPool(pool))
	if err != nil {
		return nil, fmt.Errorf("loading the migrations: %w", err)
	}
	return versionCheck(p), nil
}

// versionCheck reports, with p, why the schema is not at this binary's
// version, or nil.
func versionCheck(p *goose.Provider) func(context.Context) error {
	return func(ctx context.Context) error {
		current, target, err := p.GetVersions(ctx)
		if err != nil {
			return fmt.Errorf("reading the schema version: %w", err)
		}
		if current < target {
			return fmt.Errorf("the database is at version %d, this binary needs %d", current, target)
		}
		return nil
	}
}

// migrateOnStart is serve's migrator, closed once it is done: it applies
// pending migrations with ACCOUNTS_MIGRATE_ON_START, and otherwise refuses a
// schema that is behind.
func migrateOnStart(ctx context.Context, cfg config, log *slog.Logger) error {
	m, err := newMigrator(cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	return m.ensureCurrent(ctx, cfg.MigrateOnStart, log)
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
