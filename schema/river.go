package schema

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
)

// River's tables, the job queue behind the outbox (server/outbox), come from
// River's own migrations, applied inside goose's transactions: River's SQL is
// River's to maintain, not copied here. They take two goose versions because
// River's 004 adds a value to an enum that its 006 uses, which PostgreSQL
// allows only once the first transaction has committed.
const (
	riverVersion     = 10 // River up to its 004
	riverSplitAt     = 4
	riverRestVersion = 11 // River from 005 on
)

// riverSchemaVersion is the River migration the schema is at. A River upgrade
// that brings a new one adds a goose migration going on to it, so that
// `accounts migrate` stays the one migration command.
const riverSchemaVersion = 8

// riverMigrations are River's tables in two steps; down removes them all.
var riverMigrations = []*goose.Migration{
	goose.NewGoMigration(riverVersion,
		&goose.GoFunc{RunTx: riverTo(rivermigrate.DirectionUp, riverSplitAt)},
		&goose.GoFunc{RunTx: riverTo(rivermigrate.DirectionDown, -1)}),
	goose.NewGoMigration(riverRestVersion,
		&goose.GoFunc{RunTx: riverTo(rivermigrate.DirectionUp, riverSchemaVersion)},
		&goose.GoFunc{RunTx: riverTo(rivermigrate.DirectionDown, riverSplitAt)}),
}

// riverTo migrates River's tables to target (-1 down: none at all).
func riverTo(direction rivermigrate.Direction, target int) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error { return migrateRiver(ctx, tx, direction, target) }
}

func migrateRiver(ctx context.Context, tx *sql.Tx, direction rivermigrate.Direction, target int) error {
	m, err := rivermigrate.New(riverdatabasesql.New(nil), nil)
	if err != nil {
		return err
	}
	if _, err := m.MigrateTx(ctx, tx, direction, &rivermigrate.MigrateOpts{TargetVersion: target}); err != nil {
		return fmt.Errorf("schema: River's migrations %s: %w", direction, err)
	}
	return nil
}
