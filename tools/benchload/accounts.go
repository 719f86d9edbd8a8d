package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"
)

// readyLimit bounds a start: exec to GET /readyz 200.
const readyLimit = 60 * time.Second

// startAccounts starts `bin/accounts serve -migrate` on the benchmark's
// database and a free loopback port, and waits until it is ready. It runs with
// the production defaults (argon2id, pool, limits) but these: no per-client
// limit on login attempts (all the load comes from one address), no shutdown
// delay, signing keys from a file (tokens outlive a restart, and a start signs
// nothing), and access tokens that outlast a long run.
func (b *bench) startAccounts(ctx context.Context) (*process, time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, 0, err
	}
	env := []string{
		"DATABASE_URL=" + b.db.url,
		"ACCOUNTS_ADDR=" + addr,
		"ACCOUNTS_DEV_MODE=true",
		"ACCOUNTS_SIGNING_KEYS=" + b.keys,
		"ACCOUNTS_AUTH_ATTEMPTS_PER_MINUTE=0",
		"ACCOUNTS_SHUTDOWN_DELAY=0s",
		"ACCOUNTS_ACCESS_TOKEN_TTL=6h",
	}
	p, err := startProcess("accounts", addr, b.o.bin, []string{"serve", "-migrate"}, env, b.serverLog)
	if err != nil {
		return nil, 0, err
	}
	took, err := p.waitReady(ctx, readyLimit)
	if err != nil {
		p.stop()
		return nil, 0, err
	}
	return p, took, nil
}

// generateKeys writes a signing key set into dir with `accounts keys generate`.
func generateKeys(bin, dir string) (string, error) {
	path := filepath.Join(dir, "signing-keys.json")
	if out, err := exec.Command(bin, "keys", "generate", "--out", path).CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s keys generate: %v: %s", bin, err, out)
	}
	return path, nil
}
