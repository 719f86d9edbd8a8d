// Package secrets encrypts secrets at rest (TOTP seeds and the like) with
// AES-256-GCM under a key set of their own, ACCOUNTS_ENCRYPTION_KEYS, kept
// apart from the token signing keys. The first key of the set seals; every
// key opens, so a new key can be put first while secrets sealed under the old
// ones still open. No error or log line carries key material.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

const (
	// keySize is the length of an AES-256 key.
	keySize = 32
	// kidBytes is how many random bytes make a generated kid (16 base64url characters).
	kidBytes = 12
	// maxKidLen is the longest kid a sealed blob can name (its length is one byte).
	maxKidLen = 255
	// alg and use are the JWK members every encryption key carries.
	alg = "A256GCM"
	use = "enc"
)

// KeySet holds the encryption keys, ready to use: the first one seals, and
// every one opens. It is safe for concurrent use. Printing or logging it shows
// the kids only.
type KeySet struct {
	primary string
	aeads   map[string]cipher.AEAD
	kids    []string
	rand    io.Reader
}

// GenerateKey returns a new 32-byte symmetric JWK with a random kid (the
// base64url form of 12 random bytes), alg A256GCM and use enc, all read from r.
func GenerateKey(r io.Reader) (jwk.Key, error) {
	key, kid := make([]byte, keySize), make([]byte, kidBytes)
	if _, err := io.ReadFull(r, key); err != nil {
		return nil, fmt.Errorf("secrets: generating a key: %w", err)
	}
	if _, err := io.ReadFull(r, kid); err != nil {
		return nil, fmt.Errorf("secrets: generating a kid: %w", err)
	}
	k, err := jwk.Import(key)
	if err != nil {
		return nil, errors.New("secrets: importing a generated key failed")
	}
	for name, value := range map[string]any{
		jwk.KeyIDKey:     base64.RawURLEncoding.EncodeToString(kid),
		jwk.AlgorithmKey: jwa.A256GCM(),
		jwk.KeyUsageKey:  use,
	} {
		if err := k.Set(name, value); err != nil {
			return nil, fmt.Errorf("secrets: setting %s on a generated key failed", name)
		}
	}
	return k, nil
}

// MarshalSet serializes keys, in order and key material included, as an
// indented JWK set for a key file. It refuses keys ParseKeySet would refuse,
// so what it writes always parses back.
func MarshalSet(keys ...jwk.Key) ([]byte, error) {
	set := jwk.NewSet()
	for i, k := range keys {
		if err := set.AddKey(k); err != nil {
			return nil, fmt.Errorf("secrets: key %d cannot join a set", i)
		}
	}
	if _, err := newKeySet(set); err != nil {
		return nil, err
	}
	return json.MarshalIndent(set, "", "  ")
}

// ParseKeySet reads a JWK set (or a single JWK) in JSON. It refuses an empty
// set, a key that is not a 32-byte oct key, a missing, duplicate or overlong
// kid, and an alg or use other than A256GCM and enc.
func ParseKeySet(b []byte) (*KeySet, error) {
	set, err := jwk.Parse(b)
	if err != nil {
		// Not err: a parser's message may quote the key material.
		return nil, errors.New("secrets: the key set is not a JWK set (JSON)")
	}
	return newKeySet(set)
}

// NewEphemeralKeySet returns a set of one fresh key read from r: for
// development mode and tests, where sealed secrets need not outlive the process.
func NewEphemeralKeySet(r io.Reader) (*KeySet, error) {
	k, err := GenerateKey(r)
	if err != nil {
		return nil, err
	}
	set := jwk.NewSet()
	if err := set.AddKey(k); err != nil {
		return nil, errors.New("secrets: a generated key cannot join a set")
	}
	return newKeySet(set)
}

// newKeySet checks every key of set and makes its AEAD.
func newKeySet(set jwk.Set) (*KeySet, error) {
	if set.Len() == 0 {
		return nil, errors.New("secrets: the key set is empty; it needs at least one key")
	}
	ks := &KeySet{aeads: map[string]cipher.AEAD{}, rand: rand.Reader}
	for i := range set.Len() {
		k, _ := set.Key(i)
		kid, aead, err := checkKey(i, k)
		if err != nil {
			return nil, err
		}
		if _, dup := ks.aeads[kid]; dup {
			return nil, fmt.Errorf("secrets: two keys have kid %q", kid)
		}
		ks.aeads[kid] = aead
		ks.kids = append(ks.kids, kid)
	}
	ks.primary = ks.kids[0]
	return ks, nil
}

// checkKey checks that k, the i-th key of a set, is an encryption key and
// returns its kid and AEAD. Its errors name the key by position and kid, and
// never show its material.
func checkKey(i int, k jwk.Key) (string, cipher.AEAD, error) {
	sym, ok := k.(jwk.SymmetricKey)
	if !ok || k.KeyType() != jwa.OctetSeq() {
		return "", nil, fmt.Errorf("secrets: key %d is of type %q; encryption keys are symmetric (oct)", i, k.KeyType().String())
	}
	kid, ok := k.KeyID()
	switch {
	case !ok || kid == "":
		return "", nil, fmt.Errorf("secrets: key %d has no kid", i)
	case len(kid) > maxKidLen:
		return "", nil, fmt.Errorf("secrets: key %d has a kid longer than %d bytes", i, maxKidLen)
	}
	if a, ok := k.Algorithm(); ok && a.String() != alg {
		return "", nil, fmt.Errorf("secrets: key %q has alg %q; want %s", kid, a.String(), alg)
	}
	if u, ok := k.KeyUsage(); ok && u != use {
		return "", nil, fmt.Errorf("secrets: key %q has use %q; want %s", kid, u, use)
	}
	octets, _ := sym.Octets()
	if len(octets) != keySize {
		return "", nil, fmt.Errorf("secrets: key %q is %d bytes; want %d", kid, len(octets), keySize)
	}
	aead, err := newAEAD(octets)
	if err != nil {
		return "", nil, fmt.Errorf("secrets: key %q: %w", kid, err)
	}
	return kid, aead, nil
}

// newAEAD makes AES-256-GCM with the standard 12-byte nonce and 16-byte tag.
func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, errors.New("not an AES key")
	}
	return cipher.NewGCM(block)
}

// PrimaryKeyID is the kid of the key that seals new secrets.
func (ks *KeySet) PrimaryKeyID() string { return ks.primary }

// KeyIDs are the kids of the set, in order: the primary first.
func (ks *KeySet) KeyIDs() []string { return append([]string(nil), ks.kids...) }

// WithRand returns a copy of ks that reads its nonces from r instead of
// crypto/rand: for tests.
func (ks *KeySet) WithRand(r io.Reader) *KeySet {
	c := *ks
	c.rand = r
	return &c
}

// String shows the kids, never the keys, so %v and %+v are safe.
func (ks *KeySet) String() string {
	return fmt.Sprintf("secrets.KeySet{primary: %q, keys: %d}", ks.primary, len(ks.kids))
}

// GoString is String, so %#v is safe too.
func (ks *KeySet) GoString() string { return ks.String() }

// LogValue shows the kids in a log line, never the keys.
func (ks *KeySet) LogValue() slog.Value {
	return slog.GroupValue(slog.String("primary", ks.primary), slog.Any("kids", ks.kids))
}
