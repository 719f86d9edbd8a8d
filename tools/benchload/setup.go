package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// open creates the database, the signing keys and the servers' log.
func (b *bench) open(ctx context.Context) error {
	if _, err := os.Stat(b.o.bin); err != nil {
		return fmt.Errorf("%s: %w (make build builds it; make bench-load does)", b.o.bin, err)
	}
	db, err := createDatabase(ctx, os.Getenv("TEST_DATABASE_URL"))
	if err != nil {
		return err
	}
	b.db = db
	dir, err := os.MkdirTemp("", "benchload-")
	if err != nil {
		return err
	}
	b.tmp = dir
	if b.keys, err = generateKeys(b.o.bin, dir); err != nil {
		return err
	}
	if b.o.serverLogPath != "" {
		f, err := os.OpenFile(b.o.serverLogPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		b.serverLog = f
	}
	return nil
}

// close stops the servers and drops the database.
func (b *bench) close() {
	for _, p := range []*process{b.acc, b.bare} {
		if p != nil {
			p.stop()
		}
	}
	if b.db != nil {
		b.db.drop()
	}
	if b.tmp != "" {
		_ = os.RemoveAll(b.tmp)
	}
	if f, ok := b.serverLog.(*os.File); ok {
		_ = f.Close()
	}
}

// setup migrates the database (the first start of the service), registers
// the first seeded user and the admin through the API, copies the first
// user's password hash, made at the service's production argon2id cost, to
// the other seeded users with SQL, and logs the admin in. The signing keys
// come from a file, so the token stays good across the restarts that follow.
func (b *bench) setup(ctx context.Context) error {
	p, _, err := b.startAccounts(ctx)
	if err != nil {
		return err
	}
	defer p.stop()
	first := userPrefix + "1@example.com"
	if err := register(ctx, p.base, first, loadPassword); err != nil {
		return err
	}
	if err := register(ctx, p.base, adminEmail, adminPassword); err != nil {
		return err
	}
	hash, err := b.db.passwordHash(ctx, first)
	if err != nil {
		return fmt.Errorf("reading the password hash: %w", err)
	}
	if !strings.HasPrefix(hash, "$argon2id$") {
		return fmt.Errorf("the service stored a password hash of an unexpected kind: %.20s…", hash)
	}
	began := time.Now()
	if err := b.db.seedUsers(ctx, userPrefix, 2, b.o.users, hash); err != nil {
		return err
	}
	logf("seeded %d users in %s", b.o.users, time.Since(began).Round(time.Millisecond))
	if err := b.db.exec(ctx, "UPDATE users SET role = 'admin' WHERE email = $1", adminEmail); err != nil {
		return err
	}
	if b.token, err = accessToken(ctx, p.base, adminEmail, adminPassword); err != nil {
		return err
	}
	b.ids, err = b.db.userIDs(ctx, userPrefix)
	return err
}
