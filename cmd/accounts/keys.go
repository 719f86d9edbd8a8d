package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/meridianhq/accounts/server/auth"
)

// keys runs `accounts keys generate --out FILE [--add]`.
func keys(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "generate" {
		return usageErrorf("usage: accounts keys generate --out FILE [--add]")
	}
	fs := flag.NewFlagSet("keys generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "the key file to write (JWK set, mode 0600)")
	add := fs.Bool("add", false, "put the new key first in an existing file: it signs from now on, and the old keys still verify")
	if err := fs.Parse(args[1:]); err != nil {
		return usageErrorf("%v", err)
	}
	if *out == "" {
		return usageErrorf("keys generate: --out is required")
	}
	key, err := auth.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	set := []jwk.Key{key}
	old, err := os.ReadFile(*out)
	switch {
	case err == nil && !*add:
		return usageErrorf("keys generate: %s exists; use --add to rotate in a new key", *out)
	case err == nil:
		oldSet, err := jwk.Parse(old)
		if err != nil {
			return fmt.Errorf("keys generate: reading %s: %w", *out, err)
		}
		for i := range oldSet.Len() {
			k, _ := oldSet.Key(i)
			set = append(set, k)
		}
	case !os.IsNotExist(err):
		return fmt.Errorf("keys generate: %w", err)
	}
	b, err := auth.MarshalPrivateSet(set...)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*out, b, 0o600); err != nil {
		return fmt.Errorf("keys generate: %w", err)
	}
	kid, _ := key.KeyID()
	fmt.Fprintf(stdout, "wrote %s: new signing key %s, %d key(s) in the set\n", *out, kid, len(set))
	return nil
}

// writeFileAtomic writes through a temporary file and a rename, so a reader never
// sees half a key file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// loadKeys reads ACCOUNTS_SIGNING_KEYS, or in development mode without it makes
// an ephemeral key and says so in the log.
func loadKeys(cfg config, log *slog.Logger) (*auth.KeySet, error) {
	if cfg.SigningKeys == "" {
		if !cfg.DevMode {
			return nil, usageErrorf("ACCOUNTS_SIGNING_KEYS is required (create a key file with `accounts keys generate --out FILE`), or set ACCOUNTS_DEV_MODE=true")
		}
		log.Warn("development mode: signing with an ephemeral key; tokens die with this process. Set ACCOUNTS_SIGNING_KEYS in production.")
		return auth.NewEphemeralKeySet(rand.Reader)
	}
	b, err := os.ReadFile(cfg.SigningKeys)
	if err != nil {
		return nil, usageErrorf("ACCOUNTS_SIGNING_KEYS=%q: %v", cfg.SigningKeys, err)
	}
	ks, err := auth.ParseKeySet(b)
	if err != nil {
		return nil, usageErrorf("ACCOUNTS_SIGNING_KEYS=%q: %v", cfg.SigningKeys, err)
	}
	return ks, nil
}
