package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

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
			return fmt.Errorf("keys generate: %s is not a JWK set", *out)
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

// writeFileAtomic writes data to path through a new temporary file in the
// same directory (created 0600 by os.CreateTemp: never a stale or planted one,
// never through a symlink), synced, then renamed over path, so a reader never
// sees half a key file and the key never sits in a wider file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// loadKeys reads ACCOUNTS_SIGNING_KEYS, a key file or the key material itself,
// or in development mode without it makes an ephemeral key and says so in the
// log. No error shows the material.
func loadKeys(cfg config, log *slog.Logger) (*auth.KeySet, error) {
	if cfg.SigningKeys == "" {
		if !cfg.DevMode {
			return nil, usageErrorf("ACCOUNTS_SIGNING_KEYS is required (create a key file with `accounts keys generate --out FILE`), or set ACCOUNTS_DEV_MODE=true")
		}
		log.Warn("development mode: signing with an ephemeral key; tokens die with this process. Set ACCOUNTS_SIGNING_KEYS in production.")
		return auth.NewEphemeralKeySet(rand.Reader)
	}
	if inlineKeys(cfg.SigningKeys) {
		ks, err := auth.ParseKeySet([]byte(cfg.SigningKeys))
		if err != nil {
			return nil, usageErrorf("ACCOUNTS_SIGNING_KEYS (inline key material, not shown): %v", err)
		}
		return ks, nil
	}
	b, err := readKeyFile(cfg.SigningKeys, log)
	if err != nil {
		return nil, usageErrorf("ACCOUNTS_SIGNING_KEYS=%q: %v", cfg.SigningKeys, err)
	}
	ks, err := auth.ParseKeySet(b)
	if err != nil {
		return nil, usageErrorf("ACCOUNTS_SIGNING_KEYS=%q: %v", cfg.SigningKeys, err)
	}
	return ks, nil
}

// readKeyFile reads a key file, warning when others may read it or anyone but
// its owner may write it. (Group read is left alone: Kubernetes mounts Secrets
// group-readable for the pod's fsGroup.)
func readKeyFile(path string, log *slog.Logger) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, errors.New("cannot read the key file: " + errors.Unwrap(err).Error())
	}
	if perm := st.Mode().Perm(); perm&0o027 != 0 {
		log.Warn("ACCOUNTS_SIGNING_KEYS: the key file is readable or writable by others than its owner; chmod 600 (or 440 for a group) it",
			slog.String("path", path), slog.String("mode", perm.String()))
	}
	return os.ReadFile(path)
}
