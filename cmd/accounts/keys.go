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

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/secrets"
)

// keysUsage is the synopsis of the keys command.
const keysUsage = "usage: accounts keys generate --out FILE [--add] [--kind signing|encryption]"

// keyKind is one kind of key file `accounts keys generate` writes.
type keyKind struct {
	name     string      // as --kind spells it
	kty      jwa.KeyType // the type of every key in such a file
	generate func(io.Reader) (jwk.Key, error)
	marshal  func(...jwk.Key) ([]byte, error)
}

// keyKinds are the kinds of key file, by --kind: the token signing keys
// (ACCOUNTS_SIGNING_KEYS) and the keys that encrypt secrets at rest
// (ACCOUNTS_ENCRYPTION_KEYS).
var keyKinds = map[string]keyKind{
	"signing":    {"signing", jwa.OKP(), auth.GenerateKey, auth.MarshalPrivateSet},
	"encryption": {"encryption", jwa.OctetSeq(), secrets.GenerateKey, secrets.MarshalSet},
}

// keys runs `accounts keys generate --out FILE [--add] [--kind signing|encryption]`.
func keys(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "generate" {
		return usageErrorf("%s", keysUsage)
	}
	fs := flag.NewFlagSet("keys generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "the key file to write (JWK set, mode 0600)")
	add := fs.Bool("add", false, "put the new key first in an existing file: it signs (or encrypts) from now on, and the old keys still verify (or decrypt)")
	kindName := fs.String("kind", "signing", "signing: an Ed25519 token signing key (ACCOUNTS_SIGNING_KEYS); encryption: an AES-256-GCM key for secrets at rest (ACCOUNTS_ENCRYPTION_KEYS)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageErrorf("%v", err)
	}
	kind, ok := keyKinds[*kindName]
	switch {
	case *out == "":
		return usageErrorf("keys generate: --out is required")
	case !ok:
		return usageErrorf("keys generate: --kind %q: must be signing or encryption", *kindName)
	}
	return generateKeyFile(kind, *out, *add, stdout)
}

// generateKeyFile writes a new key of kind to out, or with add puts it first
// in the set already there, which must be of the same kind.
func generateKeyFile(kind keyKind, out string, add bool, stdout io.Writer) error {
	key, err := kind.generate(rand.Reader)
	if err != nil {
		return err
	}
	set := []jwk.Key{key}
	old, err := os.ReadFile(out)
	switch {
	case err == nil && !add:
		return usageErrorf("keys generate: %s exists; use --add to rotate in a new key", out)
	case err == nil:
		oldKeys, err := existingKeys(kind, out, old)
		if err != nil {
			return err
		}
		set = append(set, oldKeys...)
	case !os.IsNotExist(err):
		return fmt.Errorf("keys generate: %w", err)
	}
	b, err := kind.marshal(set...)
	if err != nil {
		return fmt.Errorf("keys generate: %s: %w", out, err)
	}
	if err := writeFileAtomic(out, b, 0o600); err != nil {
		return fmt.Errorf("keys generate: %w", err)
	}
	kid, _ := key.KeyID()
	fmt.Fprintf(stdout, "wrote %s: new %s key %s, %d key(s) in the set\n", out, kind.name, kid, len(set))
	return nil
}

// existingKeys reads the keys of the file at path (its content b), refusing a
// file that holds another kind of key: a signing key must never become an
// encryption key, nor the reverse.
func existingKeys(kind keyKind, path string, b []byte) ([]jwk.Key, error) {
	oldSet, err := jwk.Parse(b)
	if err != nil {
		// Not err: a parser's message may quote the key material.
		return nil, fmt.Errorf("keys generate: %s is not a JWK set", path)
	}
	keys := make([]jwk.Key, 0, oldSet.Len())
	for i := range oldSet.Len() {
		k, _ := oldSet.Key(i)
		if k.KeyType().String() != kind.kty.String() {
			return nil, usageErrorf("keys generate: %s is not a key file of --kind %s: its key %d has kty %q, %s; use another --out, or the --kind of that file",
				path, kind.name, i, k.KeyType().String(), describeKeyType(k.KeyType()))
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// describeKeyType says which kind of key file a key of type kty belongs in.
func describeKeyType(kty jwa.KeyType) string {
	for _, k := range keyKinds {
		if k.kty.String() == kty.String() {
			return "a key of --kind " + k.name
		}
	}
	return "a kind of key this service does not use"
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
	b, err := readKeyFile("ACCOUNTS_SIGNING_KEYS", cfg.SigningKeys, log)
	if err != nil {
		return nil, usageErrorf("ACCOUNTS_SIGNING_KEYS=%s: %v", maskKeys(cfg.SigningKeys), err)
	}
	ks, err := auth.ParseKeySet(b)
	if err != nil {
		return nil, usageErrorf("ACCOUNTS_SIGNING_KEYS=%s: %v", maskKeys(cfg.SigningKeys), err)
	}
	return ks, nil
}

// readKeyFile reads the key file that setting names, warning when others may
// read it or anyone but its owner may write it. (Group read is left alone:
// Kubernetes mounts Secrets group-readable for the pod's fsGroup.)
func readKeyFile(setting, path string, log *slog.Logger) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, errors.New("cannot read the key file: " + errors.Unwrap(err).Error())
	}
	if perm := st.Mode().Perm(); perm&0o027 != 0 {
		log.Warn(setting+": the key file is readable or writable by others than its owner; chmod 600 (or 440 for a group) it",
			slog.String("path", path), slog.String("mode", perm.String()))
	}
	return os.ReadFile(path)
}
