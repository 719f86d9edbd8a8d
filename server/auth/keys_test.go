package auth

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"slices"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

func newKey(t *testing.T) jwk.Key {
	t.Helper()
	k, err := GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	return k
}

func kidOf(t *testing.T, k jwk.Key) string {
	t.Helper()
	kid, ok := k.KeyID()
	if !ok || kid == "" {
		t.Fatal("key has no kid")
	}
	return kid
}

func publicOf(t *testing.T, k jwk.Key) jwk.Key {
	t.Helper()
	pk, err := k.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

func importKey(t *testing.T, raw any) jwk.Key {
	t.Helper()
	k, err := jwk.Import(raw)
	if err != nil {
		t.Fatalf("jwk.Import(%T): %v", raw, err)
	}
	return k
}

func marshalSet(t *testing.T, keys ...jwk.Key) []byte {
	t.Helper()
	b, err := MarshalPrivateSet(keys...)
	if err != nil {
		t.Fatalf("MarshalPrivateSet: %v", err)
	}
	return b
}

func mustKeySet(t *testing.T, keys ...jwk.Key) *KeySet {
	t.Helper()
	ks, err := ParseKeySet(marshalSet(t, keys...))
	if err != nil {
		t.Fatalf("ParseKeySet: %v", err)
	}
	return ks
}

// rfc7638 computes an Ed25519 key's thumbprint by hand, without jwx.
func rfc7638(pub ed25519.PublicKey) string {
	x := base64.RawURLEncoding.EncodeToString(pub)
	sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + x + `"}`))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func ed25519Of(t *testing.T, k jwk.Key) ed25519.PrivateKey {
	t.Helper()
	var priv ed25519.PrivateKey
	if err := jwk.Export(k, &priv); err != nil {
		t.Fatalf("exporting an Ed25519 private key: %v", err)
	}
	return priv
}

func TestGenerateKey(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 3 {
		k := newKey(t)
		if _, ok := k.(jwk.OKPPrivateKey); !ok {
			t.Fatalf("GenerateKey returned %T; want an OKP private key", k)
		}
		priv := ed25519Of(t, k)
		kid := kidOf(t, k)
		if want := rfc7638(priv.Public().(ed25519.PublicKey)); kid != want {
			t.Errorf("kid %q; want the RFC 7638 thumbprint %q", kid, want)
		}
		if alg, ok := k.Algorithm(); !ok || alg.String() != "EdDSA" {
			t.Errorf("alg %v (set %v); want EdDSA", alg, ok)
		}
		if use, ok := k.KeyUsage(); !ok || use != "sig" {
			t.Errorf("use %q (set %v); want sig", use, ok)
		}
		if seen[kid] {
			t.Errorf("kid %q generated twice", kid)
		}
		seen[kid] = true
	}
}

func TestGenerateKey_RandomnessError(t *testing.T) {
	t.Parallel()
	if k, err := GenerateKey(failingReader{}); err == nil {
		t.Fatalf("GenerateKey(failing reader) = %v, nil; want an error", k)
	}
}

func TestParseKeySet_Signer(t *testing.T) {
	t.Parallel()
	a, b := newKey(t), newKey(t)
	single, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	// A private key without kid, alg or use: ParseKeySet completes it.
	bare := importKey(t, ed25519Of(t, b))
	tests := []struct {
		name    string
		data    []byte
		wantKid string
		kids    []string
	}{
		{"OnePrivate", marshalSet(t, a), kidOf(t, a), []string{kidOf(t, a)}},
		{"TwoPrivate_FirstSigns", marshalSet(t, a, b), kidOf(t, a), []string{kidOf(t, a), kidOf(t, b)}},
		{"OtherOrder", marshalSet(t, b, a), kidOf(t, b), []string{kidOf(t, b), kidOf(t, a)}},
		{"PublicFirst_FirstPrivateSigns", marshalSet(t, publicOf(t, b), a), kidOf(t, a), []string{kidOf(t, b), kidOf(t, a)}},
		{"SingleJWK", single, kidOf(t, a), []string{kidOf(t, a)}},
		{"BareKey_GetsThumbprint", marshalSet(t, bare), kidOf(t, b), []string{kidOf(t, b)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ks, err := ParseKeySet(tt.data)
			if err != nil {
				t.Fatalf("ParseKeySet: %v", err)
			}
			if got := ks.SigningKeyID(); got != tt.wantKid {
				t.Errorf("SigningKeyID = %q; want %q", got, tt.wantKid)
			}
			if got := publicKids(t, ks.PublicJSON()); !slices.Equal(got, tt.kids) {
				t.Errorf("public kids = %q; want %q", got, tt.kids)
			}
		})
	}
}

// publicKids parses a JWKS with encoding/json and returns its kids in order,
// failing on any key that is not a complete public Ed25519 signing key.
func publicKids(t *testing.T, doc []byte) []string {
	t.Helper()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatalf("PublicJSON is not a JWKS: %v\n%s", err, doc)
	}
	var kids []string
	for _, k := range set.Keys {
		for member, want := range map[string]string{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig"} {
			if k[member] != want {
				t.Errorf("key %v: %s = %v; want %q", k["kid"], member, k[member], want)
			}
		}
		kid, _ := k["kid"].(string)
		kids = append(kids, kid)
	}
	return kids
}

// privateMembers are the JWK members that carry secret material (RFC 7518 §6).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// findPrivateMember walks any JSON value and returns the path of the first
// object member named like a private key part.
func findPrivateMember(v any, path string) string {
	switch v := v.(type) {
	case map[string]any:
		for name, child := range v {
			if slices.Contains(privateMembers, name) {
				return path + "/" + name
			}
			if p := findPrivateMember(child, path+"/"+name); p != "" {
				return p
			}
		}
	case []any:
		for _, child := range v {
			if p := findPrivateMember(child, path+"/[]"); p != "" {
				return p
			}
		}
	}
	return ""
}

func TestKeySet_PublicJSON(t *testing.T) {
	t.Parallel()
	a, b, c := newKey(t), newKey(t), newKey(t)
	tests := []struct {
		name string
		keys []jwk.Key
	}{
		{"OnePrivate", []jwk.Key{a}},
		{"ThreePrivate", []jwk.Key{a, b, c}},
		{"MixedPublicPrivate", []jwk.Key{publicOf(t, a), b, publicOf(t, c)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := marshalSet(t, tt.keys...)
			var doc any
			if err := json.Unmarshal(file, &doc); err != nil {
				t.Fatal(err)
			}
			if findPrivateMember(doc, "") == "" {
				t.Fatal("the private key file has no \"d\": the walk cannot see private members")
			}
			ks, err := ParseKeySet(file)
			if err != nil {
				t.Fatalf("ParseKeySet: %v", err)
			}
			out := ks.PublicJSON()
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatalf("PublicJSON is not JSON: %v", err)
			}
			if p := findPrivateMember(doc, ""); p != "" {
				t.Errorf("PublicJSON leaks the private member %s:\n%s", p, out)
			}
			var want []string
			for _, k := range tt.keys {
				want = append(want, kidOf(t, k))
			}
			if got := publicKids(t, out); !slices.Equal(got, want) {
				t.Errorf("PublicJSON kids = %q; want %q", got, want)
			}
		})
	}
}

func pemBlock(t *testing.T, typ string, der []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := pem.Encode(&buf, &pem.Block{Type: typ, Bytes: der}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pkcs8(t *testing.T, priv any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock(t, "PRIVATE KEY", der)
}

func pkix(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock(t, "PUBLIC KEY", der)
}

func TestParseKeySet_PEM(t *testing.T) {
	t.Parallel()
	pubA, privA, _ := ed25519.GenerateKey(rand.Reader)
	pubB, privB, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name    string
		data    []byte
		wantKid string
		kids    []string
	}{
		{"PKCS8", pkcs8(t, privA), rfc7638(pubA), []string{rfc7638(pubA)}},
		{"LeadingWhitespace", append([]byte("\n  \n"), pkcs8(t, privA)...), rfc7638(pubA), []string{rfc7638(pubA)}},
		{"PrivateAndPublic", append(pkcs8(t, privA), pkix(t, pubB)...), rfc7638(pubA), []string{rfc7638(pubA), rfc7638(pubB)}},
		{"PublicThenPrivate", append(pkix(t, pubA), pkcs8(t, privB)...), rfc7638(pubB), []string{rfc7638(pubA), rfc7638(pubB)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ks, err := ParseKeySet(tt.data)
			if err != nil {
				t.Fatalf("ParseKeySet(PEM): %v", err)
			}
			if got := ks.SigningKeyID(); got != tt.wantKid {
				t.Errorf("SigningKeyID = %q; want %q", got, tt.wantKid)
			}
			if got := publicKids(t, ks.PublicJSON()); !slices.Equal(got, tt.kids) {
				t.Errorf("public kids = %q; want %q", got, tt.kids)
			}
		})
	}
}

func TestParseKeySet_Rejects(t *testing.T) {
	t.Parallel()
	a, b := newKey(t), newKey(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// b under a's kid.
	clash, err := b.Clone()
	if err != nil {
		t.Fatal(err)
	}
	if err := clash.Set(jwk.KeyIDKey, kidOf(t, a)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"Nil", nil},
		{"Garbage", []byte("not a key")},
		{"EmptySet", []byte(`{"keys":[]}`)},
		{"OnlyPublic", marshalSet(t, publicOf(t, a))},
		{"OnlyPublicTwo", marshalSet(t, publicOf(t, a), publicOf(t, b))},
		{"RSAPrivate", marshalSet(t, importKey(t, rsaKey))},
		{"P256Private", marshalSet(t, importKey(t, p256))},
		{"X25519Private", marshalSet(t, importKey(t, x25519))},
		{"Symmetric", marshalSet(t, importKey(t, []byte("0123456789abcdef0123456789abcdef")))},
		{"Ed25519ThenRSA", marshalSet(t, a, importKey(t, rsaKey))},
		{"Ed25519ThenP256Public", marshalSet(t, a, importKey(t, &p256.PublicKey))},
		{"DuplicateKid", marshalSet(t, a, clash)},
		{"DuplicateKidPublicHalf", marshalSet(t, a, publicOf(t, a))},
		{"SameKeyTwice", []byte(`{"keys":[` + string(mustJSON(t, a)) + `,` + string(mustJSON(t, a)) + `]}`)},
		{"PEM_RSA", pkcs8(t, rsaKey)},
		{"PEM_P256", pkcs8(t, p256)},
		{"PEM_OnlyPublic", pkix(t, ed25519Of(t, a).Public())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if ks, err := ParseKeySet(tt.data); err == nil {
				t.Errorf("ParseKeySet = signer %q, nil; want an error", ks.SigningKeyID())
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeySet_DeriveSecret(t *testing.T) {
	t.Parallel()
	a, b := newKey(t), newKey(t)
	base, err := mustKeySet(t, a).DeriveSecret("cursor", 32)
	if err != nil || len(base) != 32 {
		t.Fatalf("DeriveSecret = %x, %v; want 32 bytes", base, err)
	}
	tests := []struct {
		name    string
		ks      *KeySet
		purpose string
		same    bool
	}{
		{"SameKeyParsedAgain", mustKeySet(t, a), "cursor", true},
		{"PublicKeysDoNotMatter", mustKeySet(t, a, publicOf(t, b)), "cursor", true},
		{"OtherPurpose", mustKeySet(t, a), "csrf", false},
		{"OtherKey", mustKeySet(t, b), "cursor", false},
		{"Rotated", mustKeySet(t, b, a), "cursor", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.ks.DeriveSecret(tt.purpose, 32)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(got, base) != tt.same {
				t.Errorf("secret %x vs %x: equal=%v; want %v", got, base, !tt.same, tt.same)
			}
			if bytes.Equal(got, ed25519Of(t, tt.ks.signer).Seed()) {
				t.Error("the derived secret is the raw signing seed")
			}
		})
	}
}

func TestKeySetOf(t *testing.T) {
	t.Parallel()
	a, b := newKey(t), newKey(t)
	kid := func(k jwk.Key) string { id, _ := k.KeyID(); return id }
	tests := []struct {
		name       string
		keys       []jwk.Key
		wantSigner string
		wantErr    bool
	}{
		{"FirstPrivateSigns", []jwk.Key{a, b}, kid(a), false},
		{"PublicFirstIsSkipped", []jwk.Key{publicOf(t, a), b}, kid(b), false},
		{"OnlyPublic", []jwk.Key{publicOf(t, a)}, "", true},
		{"Empty", nil, "", true},
		{"DuplicateKid", []jwk.Key{a, a}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ks, err := KeySetOf(tt.keys...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("KeySetOf: err = %v; want error %v", err, tt.wantErr)
			}
			if err == nil && ks.SigningKeyID() != tt.wantSigner {
				t.Errorf("signer = %s; want %s", ks.SigningKeyID(), tt.wantSigner)
			}
		})
	}
}

func TestNewEphemeralKeySet(t *testing.T) {
	t.Parallel()
	a, err := NewEphemeralKeySet(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewEphemeralKeySet(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if a.SigningKeyID() == "" || a.SigningKeyID() == b.SigningKeyID() {
		t.Errorf("kids %q and %q: want two distinct, non-empty ones", a.SigningKeyID(), b.SigningKeyID())
	}
	if _, err := NewEphemeralKeySet(bytes.NewReader(nil)); err == nil {
		t.Error("NewEphemeralKeySet without randomness: want an error")
	}
}
