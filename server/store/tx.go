// Package store is how the service talks to PostgreSQL beside the generated
// queries: transactions with after-commit effects, named unique-constraint
// checks, and the configuration of every pool.
package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/gen/db"
)

// Tx is one transaction: the generated queries bound to it, and the in-memory
// effects to apply once it has committed.
type Tx struct {
	*db.Queries
	tx          pgx.Tx
	afterCommit []func()
}

// Pgx is the transaction itself, for libraries that write in it too (the
// job queue's InsertTx).
func (tx *Tx) Pgx() pgx.Tx { return tx.tx }

// AfterCommit runs fn once the transaction has committed, and never when it
// rolls back. Effects outside the database (this replica's set of revoked
// sessions, say) are registered here by the package that owns them, so that
// they can neither run for a change that was rolled back nor be forgotten by a
// caller.
func (tx *Tx) AfterCommit(fn func()) { tx.afterCommit = append(tx.afterCommit, fn) }

// InTx runs fn in one transaction: committed when fn returns nil, rolled back
// otherwise. Multi-step writes, and the audit and outbox rows they cause, go
// through here, so that nothing is half-written.
func InTx(ctx context.Context, pool *pgxpool.Pool, fn func(*Tx) error) error {
	var tx *Tx
	err := pgx.BeginFunc(ctx, pool, func(ptx pgx.Tx) error {
		tx = &Tx{Queries: db.New(ptx), tx: ptx}
		return fn(tx)
	})
	if err != nil {
		return err
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}
