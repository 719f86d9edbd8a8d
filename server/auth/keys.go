package auth

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// KeySet holds the token keys: the first private key signs, and every key
// verifies, so a new key can be put first while tokens signed by the old one
// stay valid until the old key is removed. Only Ed25519 (EdDSA) keys are used.
type KeySet struct {
	signer jwk.Key
	public jwk.Set
	json   []byte
}

// GenerateKey returns a new Ed25519 private JWK with its RFC 7638 thumbprint as
// kid, alg EdDSA and use sig.
func GenerateKey(rand io.Reader) (jwk.Key, error) {
	_, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return nil, fmt.Errorf("auth: generating a key: %w", err)
	}
	k, err := jwk.Import(priv)
	if err != nil {
		return nil, fmt.Errorf("auth: importing a key: %w", err)
	}
	if err := completeKey(k); err != nil {
		return nil, err
	}
	return k, nil
}

// completeKey sets what verification needs: kid (a thumbprint when missing),
// alg EdDSA and use sig.
func completeKey(k jwk.Key) error {
	if _, ok := k.KeyID(); !ok {
		tp, err := k.Thumbprint(crypto.SHA256)
		if err != nil {
			return fmt.Errorf("auth: key thumbprint: %w", err)
		}
		if err := k.Set(jwk.KeyIDKey, base64.RawURLEncoding.EncodeToString(tp)); err != nil {
			return err
		}
	}
	if err := k.Set(jwk.AlgorithmKey, jwa.EdDSA()); err != nil {
		return err
	}
	return k.Set(jwk.KeyUsageKey, "sig")
}

// ParseKeySet reads a JWK set (or a single JWK) in JSON, or PEM blocks of
// PKCS#8 private or PKIX public keys. At least one private key is required:
// the first one signs.
func ParseKeySet(data []byte) (*KeySet, error) {
	var opts []jwk.ParseOption
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")) {
		opts = append(opts, jwk.WithPEM(true))
	}
	set, err := jwk.Parse(data, opts...)
	if err != nil {
		// Not err: a parser's message may quote the key material.
		return nil, errors.New("auth: the key set is neither a JWK set (JSON) nor PEM blocks of keys")
	}
	return NewKeySet(set)
}

// KeySetOf is NewKeySet over keys, in order: the first private one signs.
func KeySetOf(keys ...jwk.Key) (*KeySet, error) {
	set, err := setOf(keys)
	if err != nil {
		return nil, err
	}
	return NewKeySet(set)
}

// NewEphemeralKeySet returns a set of one fresh key: for development mode and
// tests, where tokens need not outlive the process.
func NewEphemeralKeySet(rand io.Reader) (*KeySet, error) {
	k, err := GenerateKey(rand)
	if err != nil {
		return nil, err
	}
	return KeySetOf(k)
}

// setOf puts keys into a jwk.Set, in order.
func setOf(keys []jwk.Key) (jwk.Set, error) {
	set := jwk.NewSet()
	for _, k := range keys {
		if err := set.AddKey(k); err != nil {
			return nil, fmt.Errorf("auth: adding a key to a set: %w", err)
		}
	}
	return set, nil
}

// NewKeySet checks set and derives its public half.
func NewKeySet(set jwk.Set) (*KeySet, error) {
	ks := &KeySet{}
	pub := jwk.NewSet()
	seen := map[string]bool{}
	for i := range set.Len() {
		k, _ := set.Key(i)
		if !isEd25519(k) {
			return nil, fmt.Errorf("auth: key %d is not an Ed25519 key; only Ed25519 (EdDSA) keys are supported", i)
		}
		if err := completeKey(k); err != nil {
			return nil, err
		}
		kid, _ := k.KeyID()
		if seen[kid] {
			return nil, fmt.Errorf("auth: two keys have kid %q", kid)
		}
		seen[kid] = true
		if _, private := k.(jwk.OKPPrivateKey); private && ks.signer == nil {
			ks.signer = k
		}
		pk, err := k.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("auth: public half of key %q: %w", kid, err)
		}
		if err := pub.AddKey(pk); err != nil {
			return nil, err
		}
	}
	if ks.signer == nil {
		return nil, errors.New("auth: the key set has no private key to sign with")
	}
	b, err := json.Marshal(pub)
	if err != nil {
		return nil, err
	}
	ks.public, ks.json = pub, b
	return ks, nil
}

// isEd25519 reports whether k holds an Ed25519 key, private or public.
func isEd25519(k jwk.Key) bool {
	if k.KeyType() != jwa.OKP() {
		return false
	}
	var raw any
	if err := jwk.Export(k, &raw); err != nil {
		return false
	}
	switch raw.(type) {
	case ed25519.PrivateKey, ed25519.PublicKey:
		return true
	}
	return false
}

// PublicJSON is the public key set as a JWKS document, without any private part.
func (ks *KeySet) PublicJSON() []byte { return ks.json }

// DeriveSecret derives a secret for another purpose from the signing key
// (HKDF-SHA256 over its private seed, with purpose as info), so the service
// needs no second secret. Rotating the signing key rotates derived secrets too.
func (ks *KeySet) DeriveSecret(purpose string, n int) ([]byte, error) {
	var priv ed25519.PrivateKey
	if err := jwk.Export(ks.signer, &priv); err != nil {
		return nil, fmt.Errorf("auth: exporting the signing key: %w", err)
	}
	return hkdf.Key(sha256.New, priv.Seed(), nil, purpose, n)
}

// SigningKeyID is the kid of the key that signs new tokens.
func (ks *KeySet) SigningKeyID() string {
	kid, _ := ks.signer.KeyID()
	return kid
}

// MarshalPrivateSet serializes keys, private parts included, for a key file.
func MarshalPrivateSet(keys ...jwk.Key) ([]byte, error) {
	set, err := setOf(keys)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(set, "", "  ")
}
