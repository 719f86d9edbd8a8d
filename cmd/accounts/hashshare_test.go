package main

import (
	"io"
	"math"
	"testing"

	"github.com/meridianhq/accounts/server/auth"
)

// TestHashShareDefault keeps the configuration's default hashing share and
// auth.DefaultShare (what a zero wiring.Config gets) the same, and refuses a
// share that would leave logins almost no CPU.
func TestHashShareDefault(t *testing.T) {
	t.Parallel()
	cfg, err := loadConfig("serve", nil, env(map[string]string{"DATABASE_URL": "postgres://localhost/x"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := int(math.Round(auth.DefaultShare * 100)); cfg.Service.HashSharePercent != want {
		t.Errorf("ACCOUNTS_HASH_SHARE_PERCENT defaults to %d; auth.DefaultShare is %d%%", cfg.Service.HashSharePercent, want)
	}
	if _, err := loadConfig("serve", nil, env(map[string]string{"DATABASE_URL": "postgres://localhost/x", "ACCOUNTS_HASH_SHARE_PERCENT": "5"}), io.Discard); err == nil {
		t.Error("ACCOUNTS_HASH_SHARE_PERCENT=5 was accepted; want at least 10")
	}
}
