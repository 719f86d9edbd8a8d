package secrets

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
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

func octetsOf(t *testing.T, k jwk.Key) []byte {
	t.Helper()
	sym, ok := k.(jwk.SymmetricKey)
	if !ok {
		t.Fatalf("key is %T; want a symmetric key", k)
	}
	b, _ := sym.Octets()
	return b
}

func mustKeySet(t *testing.T, keys ...jwk.Key) *KeySet {
	t.Helper()
	b, err := MarshalSet(keys...)
	if err != nil {
		t.Fatalf("MarshalSet: %v", err)
	}
	ks, err := ParseKeySet(b)
	if err != nil {
		t.Fatalf("ParseKeySet: %v", err)
	}
	return ks
}

// assertNoMaterial fails if s shows any of secrets in any encoding a key or a
// plaintext is likely to take: raw, hex, base64 (standard or URL, padded or not).
func assertNoMaterial(t *testing.T, s string, secrets ...[]byte) {
	t.Helper()
	for _, m := range secrets {
		forms := []string{
			string(m), hex.EncodeToString(m),
			base64.StdEncoding.EncodeToString(m), base64.RawStdEncoding.EncodeToString(m),
			base64.URLEncoding.EncodeToString(m), base64.RawURLEncoding.EncodeToString(m),
		}
		for _, f := range forms {
			if f != "" && strings.Contains(s, f) {
				t.Fatalf("%q shows secret material %q", s, f)
			}
		}
	}
}

// jwkJSON is a hand-made JWK set of one key per member map.
func jwkJSON(t *testing.T, keys ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// oct is an oct JWK's members, complete; opts edit them (a nil value deletes).
func oct(material []byte, kid string, opts ...map[string]any) map[string]any {
	m := map[string]any{"kty": "oct", "k": base64.RawURLEncoding.EncodeToString(material), "kid": kid, "alg": "A256GCM", "use": "enc"}
	for _, o := range opts {
		for name, v := range o {
			if v == nil {
				delete(m, name)
			} else {
				m[name] = v
			}
		}
	}
	return m
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestGenerateKey(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 3 {
		k := newKey(t)
		kid := kidOf(t, k)
		if raw, err := base64.RawURLEncoding.DecodeString(kid); err != nil || len(raw) != kidBytes {
			t.Errorf("kid %q: want base64url of %d random bytes (%v)", kid, kidBytes, err)
		}
		if n := len(octetsOf(t, k)); n != 32 {
			t.Errorf("key is %d bytes; want 32", n)
		}
		if k.KeyType().String() != "oct" {
			t.Errorf("kty %q; want oct", k.KeyType())
		}
		if a, ok := k.Algorithm(); !ok || a.String() != "A256GCM" {
			t.Errorf("alg %v (set %v); want A256GCM", a, ok)
		}
		if u, ok := k.KeyUsage(); !ok || u != "enc" {
			t.Errorf("use %q (set %v); want enc", u, ok)
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
	if ks, err := NewEphemeralKeySet(failingReader{}); err == nil {
		t.Fatalf("NewEphemeralKeySet(failing reader) = %v, nil; want an error", ks)
	}
}

func TestParseKeySet_Accepts(t *testing.T) {
	t.Parallel()
	m1, m2 := randomBytes(t, 32), randomBytes(t, 32)
	single, err := json.Marshal(oct(m1, "one"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		kids []string
	}{
		{"OneKey", jwkJSON(t, oct(m1, "one")), []string{"one"}},
		{"TwoKeys_FirstSeals", jwkJSON(t, oct(m1, "one"), oct(m2, "two")), []string{"one", "two"}},
		{"OtherOrder", jwkJSON(t, oct(m2, "two"), oct(m1, "one")), []string{"two", "one"}},
		{"SingleJWK", single, []string{"one"}},
		{"NoAlgNoUse", jwkJSON(t, oct(m1, "one", map[string]any{"alg": nil, "use": nil})), []string{"one"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ks, err := ParseKeySet(tt.data)
			if err != nil {
				t.Fatalf("ParseKeySet: %v", err)
			}
			if got := ks.KeyIDs(); !slices.Equal(got, tt.kids) {
				t.Errorf("KeyIDs = %q; want %q", got, tt.kids)
			}
			if got := ks.PrimaryKeyID(); got != tt.kids[0] {
				t.Errorf("PrimaryKeyID = %q; want %q", got, tt.kids[0])
			}
		})
	}
}

func TestParseKeySet_Refusals(t *testing.T) {
	t.Parallel()
	m, short, long := randomBytes(t, 32), randomBytes(t, 16), randomBytes(t, 64)
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edKey, err := jwk.Import(edPriv)
	if err != nil {
		t.Fatal(err)
	}
	if err := edKey.Set(jwk.KeyIDKey, "sig1"); err != nil {
		t.Fatal(err)
	}
	signing, err := json.Marshal(map[string]any{"keys": []jwk.Key{edKey}})
	if err != nil {
		t.Fatal(err)
	}
	material := [][]byte{m, short, long, edPriv.Seed(), edPriv}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"NotJSON", []byte("not a key set " + hex.EncodeToString(m)), "not a JWK set"},
		{"BrokenJSON", []byte(`{"keys":[{"kty":"oct","k":"` + base64.RawURLEncoding.EncodeToString(m) + `"`), "not a JWK set"},
		{"EmptySet", []byte(`{"keys":[]}`), "empty"},
		{"SigningKey", signing, `"OKP"`},
		{"ShortKey", jwkJSON(t, oct(short, "k1")), "16 bytes"},
		{"LongKey", jwkJSON(t, oct(long, "k1")), "64 bytes"},
		{"MissingKid", jwkJSON(t, oct(m, "", map[string]any{"kid": nil})), "no kid"},
		{"EmptyKid", jwkJSON(t, oct(m, "")), "no kid"},
		{"KidTooLong", jwkJSON(t, oct(m, strings.Repeat("x", 256))), "longer than 255"},
		{"DuplicateKid", jwkJSON(t, oct(m, "k1"), oct(long[:32], "k1")), `two keys have kid "k1"`},
		{"DuplicateKidSecond", jwkJSON(t, oct(m, "k1"), oct(long[:32], "k2"), oct(long[32:], "k2")), `"k2"`},
		{"WrongAlg", jwkJSON(t, oct(m, "k1", map[string]any{"alg": "HS256"})), `alg "HS256"`},
		{"WrongUse", jwkJSON(t, oct(m, "k1", map[string]any{"use": "sig"})), `use "sig"`},
		{"BadOneAmongGood", jwkJSON(t, oct(long[:32], "good"), oct(short, "bad")), `"bad" is 16 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ks, err := ParseKeySet(tt.data)
			if err == nil {
				t.Fatalf("ParseKeySet = %v, nil; want an error", ks)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q; want it to say %q", err, tt.want)
			}
			assertNoMaterial(t, err.Error(), material...)
		})
	}
}

// TestMarshalSet: what MarshalSet writes parses back to the same keys in the
// same order, and MarshalSet refuses what ParseKeySet would refuse.
func TestMarshalSet(t *testing.T) {
	t.Parallel()
	k1, k2 := newKey(t), newKey(t)
	b, err := MarshalSet(k1, k2)
	if err != nil {
		t.Fatalf("MarshalSet: %v", err)
	}
	if !bytes.Contains(b, []byte("\n  ")) {
		t.Errorf("MarshalSet is not indented:\n%s", b)
	}
	ks, err := ParseKeySet(b)
	if err != nil {
		t.Fatalf("ParseKeySet(MarshalSet(...)): %v", err)
	}
	if got, want := ks.KeyIDs(), []string{kidOf(t, k1), kidOf(t, k2)}; !slices.Equal(got, want) {
		t.Errorf("KeyIDs = %q; want %q", got, want)
	}
	// The same material: a blob sealed under the original opens under the parsed set.
	sealed, err := mustKeySet(t, k2).Seal([]byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Open(sealed, nil); err != nil {
		t.Errorf("the parsed set cannot open what its second key sealed: %v", err)
	}

	bad, err := jwk.Import(randomBytes(t, 16))
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Set(jwk.KeyIDKey, "short"); err != nil {
		t.Fatal(err)
	}
	for name, keys := range map[string][]jwk.Key{"None": nil, "ShortKey": {k1, bad}} {
		if b, err := MarshalSet(keys...); err == nil {
			t.Errorf("%s: MarshalSet = %s, nil; want an error", name, b)
		} else {
			assertNoMaterial(t, err.Error(), octetsOf(t, k1), octetsOf(t, bad))
		}
	}
}

// TestKeySet_Printing: printing or logging a key set shows kids, never keys.
func TestKeySet_Printing(t *testing.T) {
	t.Parallel()
	k1, k2 := newKey(t), newKey(t)
	ks := mustKeySet(t, k1, k2)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("loaded", slog.Any("keys", ks))
	shown := map[string]string{
		"%v":   fmt.Sprintf("%v", ks),
		"%+v":  fmt.Sprintf("%+v", ks),
		"%#v":  fmt.Sprintf("%#v", ks),
		"%s":   fmt.Sprintf("%s", ks),
		"slog": logs.String(),
	}
	for verb, s := range shown {
		assertNoMaterial(t, s, octetsOf(t, k1), octetsOf(t, k2))
		if !strings.Contains(s, kidOf(t, k1)) {
			t.Errorf("%s: %q does not name the primary kid", verb, s)
		}
	}
	if !strings.Contains(logs.String(), kidOf(t, k2)) {
		t.Errorf("the log line does not list every kid: %s", logs.String())
	}
}
