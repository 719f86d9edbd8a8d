package server_test

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/testdb"
)

// forge signs claims with key under exactly headers, the way an attacker with
// that key would. The raw key is used: a jwk.Key would add its own kid.
func forge(t *testing.T, key jwk.Key, alg jwa.SignatureAlgorithm, headers map[string]any, claims map[string]any) string {
	t.Helper()
	var raw ed25519.PrivateKey
	if err := jwk.Export(key, &raw); err != nil {
		t.Fatal(err)
	}
	tok := jwt.New()
	for k, v := range claims {
		if err := tok.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	hdr := jws.NewHeaders()
	for k, v := range headers {
		if err := hdr.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	b, err := jwt.Sign(tok, jwt.WithKey(alg, raw, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rawToken assembles header.payload.signature from JSON parts.
func rawToken(t *testing.T, header, payload map[string]any, sign func(signingInput string) []byte) string {
	t.Helper()
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(payload)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	return in + "." + base64.RawURLEncoding.EncodeToString(sign(in))
}

func TestJWTAttacks(t *testing.T) {
	t.Parallel()
	key := mustKey()
	e := servertest.New(t, servertest.WithKeys(mustKeySet(key)))
	u := e.NewUser(t)
	deleted := e.NewUser(t)
	revoked := e.NewUser(t)
	kid, _ := key.KeyID()
	now := time.Now()
	claims := func(over map[string]any) map[string]any {
		c := map[string]any{
			"iss": "accounts-test", "aud": []string{"accounts-test"}, "sub": u.Id.String(),
			"sid": sessionOf(t, u.Tokens.AccessToken), "role": "user",
			"iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "jti": uuid.NewString(),
		}
		for k, v := range over {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	good := map[string]any{"kid": kid, "typ": "at+jwt"}
	sign := func(over map[string]any, headers map[string]any) string {
		return forge(t, key, jwa.EdDSA(), headers, claims(over))
	}
	other := mustKey()
	_ = other.Set(jwk.KeyIDKey, kid)
	var pub ed25519.PublicKey
	if pk, err := key.PublicKey(); err != nil || jwk.Export(pk, &pub) != nil {
		t.Fatal("exporting the public key")
	}

	if e.Me(t, sign(nil, good)) != 200 {
		t.Fatal("the control token, forged with the right key, should verify")
	}
	if h := header(t, sign(nil, map[string]any{"typ": "at+jwt"})); h["kid"] != nil {
		t.Fatalf("forge added a kid: %v", h)
	}
	if res, err := e.Client.DeleteSessionWithResponse(context.Background(), uuidOf(sessionOf(t, revoked.Tokens.AccessToken)), servertest.Bearer(revoked.Tokens.AccessToken)); err != nil || res.StatusCode() != 204 {
		t.Fatalf("revoking: %v", err)
	}
	e.DeleteUser(t, deleted.Id)

	tests := []struct{ name, token string }{
		{"AlgNone", rawToken(t, map[string]any{"alg": "none", "kid": kid, "typ": "at+jwt"}, claims(nil), func(string) []byte { return nil })},
		{"HS256WithPublicKey", rawToken(t, map[string]any{"alg": "HS256", "kid": kid, "typ": "at+jwt"}, claims(nil), func(in string) []byte {
			m := hmac.New(sha256.New, pub)
			m.Write([]byte(in))
			return m.Sum(nil)
		})},
		{"ExpiredBeyondLeeway", sign(map[string]any{"iat": now.Add(-20 * time.Minute).Unix(), "exp": now.Add(-31 * time.Second).Unix()}, good)},
		{"NotYetValid", sign(map[string]any{"nbf": now.Add(2 * time.Minute).Unix()}, good)},
		{"IssuedInTheFuture", sign(map[string]any{"iat": now.Add(2 * time.Minute).Unix()}, good)},
		{"WrongIssuer", sign(map[string]any{"iss": "someone-else"}, good)},
		{"WrongAudience", sign(map[string]any{"aud": []string{"another-service"}}, good)},
		{"NoExp", sign(map[string]any{"exp": nil}, good)},
		{"UnknownKid", sign(nil, map[string]any{"kid": "unknown", "typ": "at+jwt"})},
		{"NoKid", sign(nil, map[string]any{"typ": "at+jwt"})},
		{"OtherKeySameKid", forge(t, other, jwa.EdDSA(), good, claims(nil))},
		{"TypJWT", sign(nil, map[string]any{"kid": kid, "typ": "JWT"})},
		{"NoTyp", sign(nil, map[string]any{"kid": kid})},
		{"AdminRoleForged", forge(t, other, jwa.EdDSA(), good, claims(map[string]any{"role": "admin"}))},
		{"Truncated", u.Tokens.AccessToken[:len(u.Tokens.AccessToken)-10]},
		{"ExtraSegment", u.Tokens.AccessToken + ".AAAA"},
		{"Garbage", "not.a.token"},
		{"DeletedUser", deleted.Tokens.AccessToken},
		{"RevokedSession", revoked.Tokens.AccessToken},
	}
	for _, tc := range tests {
		t.Run(tc.name+"_401", func(t *testing.T) {
			res, b := e.Do(t, http.MethodGet, "/api/v1/users/me", nil, http.Header{"Authorization": {"Bearer " + tc.token}})
			if res.StatusCode != 401 || servertest.ProblemOf(t, b).Code != string(api.CodeUnauthenticated) {
				t.Fatalf("got %d %s", res.StatusCode, b)
			}
			if got := res.Header.Get("WWW-Authenticate"); got != `Bearer realm="accounts", error="invalid_token"` {
				t.Fatalf("WWW-Authenticate %q", got)
			}
		})
	}
	t.Run("ExpiredWithinLeeway_200", func(t *testing.T) {
		tok := sign(map[string]any{"iat": now.Add(-20 * time.Minute).Unix(), "exp": now.Add(-10 * time.Second).Unix()}, good)
		if got := e.Me(t, tok); got != 200 {
			t.Fatalf("got %d", got)
		}
	})
	t.Run("CachedTokenExpires_401", func(t *testing.T) {
		fresh := e.Login(t, u.Email, u.Password)
		if e.Me(t, fresh.AccessToken) != 200 {
			t.Fatal("fresh token refused")
		}
		e.Clock.Advance(16 * time.Minute)
		if got := e.Me(t, fresh.AccessToken); got != 401 {
			t.Fatalf("a cached token past exp and leeway answers %d", got)
		}
	})
}

func TestBearerMissing(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	for _, h := range []string{"", "Basic dXNlcjpwYXNz", "Bearer", "Bearer "} {
		res, b := e.Do(t, http.MethodGet, "/api/v1/users/me", nil, http.Header{"Authorization": {h}})
		if res.StatusCode != 401 || servertest.ProblemOf(t, b).Code != string(api.CodeUnauthenticated) {
			t.Fatalf("Authorization %q: %d %s", h, res.StatusCode, b)
		}
		if got := res.Header.Get("WWW-Authenticate"); got != `Bearer realm="accounts"` {
			t.Fatalf("Authorization %q: WWW-Authenticate %q", h, got)
		}
	}
	u := e.NewUser(t)
	res, _ := e.Do(t, http.MethodGet, "/api/v1/users/me", nil, http.Header{"Authorization": {"bearer " + u.Tokens.AccessToken}})
	if res.StatusCode != 200 {
		t.Fatalf("lower-case scheme: %d", res.StatusCode)
	}
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	pool, dbURL := testdb.NewPool(t)
	oldKey, newKey := mustKey(), mustKey()
	before := servertest.New(t, servertest.OnDatabase(pool, dbURL), servertest.WithKeys(mustKeySet(oldKey)))
	u := before.NewUser(t)
	// The new key goes first: it signs; the old one still verifies.
	after := servertest.New(t, servertest.OnDatabase(pool, dbURL), servertest.WithKeys(mustKeySet(newKey, oldKey)))
	if got := after.Me(t, u.Tokens.AccessToken); got != 200 {
		t.Fatalf("a token of the old key answers %d after rotation", got)
	}
	fresh := after.Login(t, u.Email, u.Password)
	newKid, _ := newKey.KeyID()
	if kidOf(t, fresh.AccessToken) != newKid {
		t.Fatalf("new tokens are signed by %q, want the new key %q", kidOf(t, fresh.AccessToken), newKid)
	}
	// Once the old key is dropped, its tokens stop working.
	dropped := servertest.New(t, servertest.OnDatabase(pool, dbURL), servertest.WithKeys(mustKeySet(newKey)))
	if got := dropped.Me(t, u.Tokens.AccessToken); got != 401 {
		t.Fatalf("a token of a removed key answers %d", got)
	}
	if got := dropped.Me(t, fresh.AccessToken); got != 200 {
		t.Fatalf("a token of the current key answers %d", got)
	}
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	pool, dbURL := testdb.NewPool(t)
	a, b := mustKey(), mustKey()
	e := servertest.New(t, servertest.OnDatabase(pool, dbURL), servertest.WithKeys(mustKeySet(a, b)))
	res, body := e.Do(t, http.MethodGet, "/.well-known/jwks.json", nil, nil)
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Cache-Control"), "max-age=") {
		t.Fatalf("got %d, Cache-Control %q", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 2 {
		t.Fatalf("%d keys published, want 2", len(doc.Keys))
	}
	for i, k := range doc.Keys {
		want, _ := []jwk.Key{a, b}[i].KeyID()
		if k["kid"] != want || k["alg"] != "EdDSA" || k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["use"] != "sig" {
			t.Errorf("key %d: %v", i, k)
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := k[private]; ok {
				t.Errorf("key %d publishes the private member %q", i, private)
			}
		}
	}
	// Another service can verify our tokens with the published set alone.
	set, err := jwk.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	u := e.NewUser(t)
	if _, err := jwt.Parse([]byte(u.Tokens.AccessToken), jwt.WithKeySet(set), jwt.WithAudience("accounts-test")); err != nil {
		t.Fatalf("verifying with the published keys: %v", err)
	}
}

// header decodes a token's protected header.
func header(t *testing.T, token string) map[string]any {
	t.Helper()
	seg, _, _ := strings.Cut(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func kidOf(t *testing.T, token string) string {
	kid, _ := header(t, token)["kid"].(string)
	return kid
}

// sessionOf reads the sid claim of one of our tokens.
func sessionOf(t *testing.T, token string) string {
	t.Helper()
	return claimOf(t, token, "sid")
}

func roleOf(t *testing.T, token string) string {
	t.Helper()
	return claimOf(t, token, "role")
}

// claimOf reads a string claim of a token without verifying it.
func claimOf(t *testing.T, token, claim string) string {
	t.Helper()
	tok, err := jwt.ParseInsecure([]byte(token))
	if err != nil {
		t.Fatal(err)
	}
	var v string
	if err := tok.Get(claim, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func uuidOf(s string) uuid.UUID { return uuid.MustParse(s) }
