package auth

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// t0 has a fraction of a second, which Issue truncates away.
var t0 = time.Date(2031, 3, 4, 5, 6, 7, 500_000_000, time.UTC)

const (
	testIssuer   = "https://accounts.test"
	testAudience = "accounts-api"
	testTTL      = 15 * time.Minute
	testLeeway   = 30 * time.Second
)

// testClock is a clock tests move by hand; safe for concurrent use.
type testClock struct{ ns atomic.Int64 }

func newTestClock(t time.Time) *testClock {
	c := &testClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// tokenEnv is one Tokens with its own key and clock.
type tokenEnv struct {
	key    jwk.Key
	clock  *testClock
	tokens *Tokens
}

func newTokenEnv(t *testing.T, cacheSize int, keys ...jwk.Key) *tokenEnv {
	t.Helper()
	if len(keys) == 0 {
		keys = []jwk.Key{newKey(t)}
	}
	e := &tokenEnv{key: keys[0], clock: newTestClock(t0)}
	e.tokens = newTokensAt(t, mustKeySet(t, keys...), e.clock, cacheSize)
	return e
}

func newTokensAt(t *testing.T, ks *KeySet, clock *testClock, cacheSize int) *Tokens {
	t.Helper()
	tokens, err := NewTokens(ks, TokenOptions{
		Issuer: testIssuer, Audience: testAudience, TTL: testTTL, Leeway: testLeeway,
		CacheSize: cacheSize, Now: clock.Now,
	})
	if err != nil {
		t.Fatalf("NewTokens: %v", err)
	}
	return tokens
}

func (e *tokenEnv) issue(t *testing.T, role Role) (string, uuid.UUID, uuid.UUID) {
	t.Helper()
	user, session := uuid.New(), uuid.New()
	tok, err := e.tokens.Issue(Subject{UserID: user, SessionID: session, Role: role})
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return tok, user, session
}

func b64JSON(t *testing.T, v any) string {
	t.Helper()
	return base64.RawURLEncoding.EncodeToString(mustJSON(t, v))
}

// segment decodes one base64url segment of a compact JWS as a JSON object.
func segment(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments; want 3", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatalf("segment %d is not base64url: %v", i, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("segment %d is not a JSON object: %v", i, err)
	}
	return m
}

func (e *tokenEnv) header() map[string]any {
	kid, _ := e.key.KeyID()
	return map[string]any{"alg": "EdDSA", "typ": "at+jwt", "kid": kid}
}

func (e *tokenEnv) claims() map[string]any {
	now := e.clock.Now().Unix()
	return map[string]any{
		"iss": testIssuer, "aud": []string{testAudience},
		"sub": uuid.NewString(), "sid": uuid.NewString(), "role": "user",
		"iat": now, "exp": now + int64(testTTL/time.Second), "jti": uuid.NewString(),
	}
}

// craft builds a compact JWS by hand, without jwx, signed with priv (EdDSA).
func craft(t *testing.T, hdr, claims map[string]any, priv ed25519.PrivateKey) string {
	t.Helper()
	input := b64JSON(t, hdr) + "." + b64JSON(t, claims)
	return input + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(priv, []byte(input)))
}

// crafted is a hand-made token signed with the env's key after mutate has
// changed a valid header and claims.
func (e *tokenEnv) crafted(t *testing.T, mutate func(hdr, claims map[string]any)) string {
	t.Helper()
	hdr, claims := e.header(), e.claims()
	mutate(hdr, claims)
	return craft(t, hdr, claims, ed25519Of(t, e.key))
}

// jwxSigned signs claims with jwx and the env's key, typ at+jwt.
func (e *tokenEnv) jwxSigned(t *testing.T, build func(*jwt.Builder) *jwt.Builder) string {
	t.Helper()
	now := e.clock.Now()
	b := jwt.NewBuilder().Issuer(testIssuer).Audience([]string{testAudience}).
		Subject(uuid.NewString()).IssuedAt(now).Expiration(now.Add(testTTL)).
		Claim("sid", uuid.NewString()).Claim("role", "user")
	tok, err := build(b).Build()
	if err != nil {
		t.Fatal(err)
	}
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.TypeKey, AccessTokenType); err != nil {
		t.Fatal(err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA(), e.key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

func TestTokens_RoundTrip(t *testing.T) {
	t.Parallel()
	for _, role := range []Role{RoleUser, RoleAdmin} {
		t.Run(string(role), func(t *testing.T) {
			t.Parallel()
			e := newTokenEnv(t, 0)
			tok, user, session := e.issue(t, role)
			p, err := e.tokens.Verify(tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := Principal{UserID: user, SessionID: session, Role: role, ExpiresAt: t0.Truncate(time.Second).Add(testTTL)}
			if p.UserID != want.UserID || p.SessionID != want.SessionID || p.Role != want.Role || !p.ExpiresAt.Equal(want.ExpiresAt) {
				t.Errorf("Verify = %+v; want %+v", p, want)
			}
			if p.IsAdmin() != (role == RoleAdmin) {
				t.Errorf("IsAdmin = %v for role %q", p.IsAdmin(), role)
			}
		})
	}
}

func TestTokens_IssueFormat(t *testing.T) {
	t.Parallel()
	e := newTokenEnv(t, 0)
	tok, user, session := e.issue(t, RoleAdmin)
	hdr := segment(t, tok, 0)
	wantHdr := map[string]any{"alg": "EdDSA", "typ": "at+jwt", "kid": e.tokens.Keys().SigningKeyID()}
	for k, v := range wantHdr {
		if hdr[k] != v {
			t.Errorf("header %s = %v; want %v", k, hdr[k], v)
		}
	}
	claims := segment(t, tok, 1)
	now := float64(t0.Unix())
	want := map[string]any{"iss": testIssuer, "sub": user.String(), "sid": session.String(), "role": "admin",
		"iat": now, "exp": now + testTTL.Seconds()}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("claim %s = %v; want %v", k, claims[k], v)
		}
	}
	if aud := claims["aud"]; aud != testAudience && !(len(asSlice(aud)) == 1 && asSlice(aud)[0] == testAudience) {
		t.Errorf("claim aud = %v; want %q", aud, testAudience)
	}
	if _, err := uuid.Parse(claims["jti"].(string)); err != nil {
		t.Errorf("claim jti = %v; want a UUID", claims["jti"])
	}
	if other, _, _ := e.issue(t, RoleAdmin); segment(t, other, 1)["jti"] == claims["jti"] {
		t.Error("two tokens share a jti")
	}
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// TestTokens_VerifiesWithPublishedJWKS checks that another service can verify
// our tokens with nothing but PublicJSON (each key needs its alg).
func TestTokens_VerifiesWithPublishedJWKS(t *testing.T) {
	t.Parallel()
	e := newTokenEnv(t, 0)
	tok, user, _ := e.issue(t, RoleUser)
	set, err := jwk.Parse(e.tokens.Keys().PublicJSON())
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := jwt.Parse([]byte(tok), jwt.WithKeySet(set), jwt.WithClock(jwt.ClockFunc(e.clock.Now)))
	if err != nil {
		t.Fatalf("verifying with the published JWKS: %v", err)
	}
	if sub, _ := parsed.Subject(); sub != user.String() {
		t.Errorf("sub = %q; want %q", sub, user)
	}
}

// TestTokens_CraftedBaseline guards the attack table: a token made by the same
// helpers without any change verifies, so each attack fails for its change.
func TestTokens_CraftedBaseline(t *testing.T) {
	t.Parallel()
	e := newTokenEnv(t, 0)
	for name, tok := range map[string]string{
		"Crafted":       e.crafted(t, func(hdr, claims map[string]any) {}),
		"CraftedAdmin":  e.crafted(t, func(hdr, claims map[string]any) { claims["role"] = "admin" }),
		"JwxSigned":     e.jwxSigned(t, func(b *jwt.Builder) *jwt.Builder { return b }),
		"NearMaxLength": e.crafted(t, func(_, c map[string]any) { c["pad"] = strings.Repeat("x", maxTokenLength*3/5) }),
	} {
		if _, err := e.tokens.Verify(tok); err != nil {
			t.Errorf("%s: Verify = %v; want nil", name, err)
		}
	}
}

func TestTokens_VerifyRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// reason is what the log is told (TokenFailure); the client is told
		// nothing more than 401.
		reason string
		make   func(t *testing.T, e *tokenEnv) string
	}{
		{"Empty", "malformed", func(*testing.T, *tokenEnv) string { return "" }},
		{"Garbage", "malformed", func(*testing.T, *tokenEnv) string { return "not.a.token" }},
		{"AlgNone", "bad_signature", func(t *testing.T, e *tokenEnv) string {
			hdr := e.header()
			hdr["alg"] = "none"
			return b64JSON(t, hdr) + "." + b64JSON(t, e.claims()) + "."
		}},
		{"AlgNoneSignatureKept", "bad_signature", func(t *testing.T, e *tokenEnv) string {
			parts := strings.Split(e.crafted(t, func(map[string]any, map[string]any) {}), ".")
			hdr := e.header()
			hdr["alg"] = "none"
			return b64JSON(t, hdr) + "." + parts[1] + "." + parts[2]
		}},
		{"HS256_PublicKeyAsSecret", "bad_signature", func(t *testing.T, e *tokenEnv) string {
			return hs256(t, e, ed25519Of(t, e.key).Public().(ed25519.PublicKey))
		}},
		{"HS256_JWKSAsSecret", "bad_signature", func(t *testing.T, e *tokenEnv) string {
			return hs256(t, e, e.tokens.Keys().PublicJSON())
		}},
		{"ExpiredBeyondLeeway", "expired", func(t *testing.T, e *tokenEnv) string {
			tok, _, _ := e.issue(t, RoleUser)
			e.clock.Advance(testTTL + testLeeway + time.Second)
			return tok
		}},
		{"NotBeforeBeyondLeeway", "not_yet_valid", func(t *testing.T, e *tokenEnv) string {
			return e.jwxSigned(t, func(b *jwt.Builder) *jwt.Builder {
				return b.NotBefore(e.clock.Now().Add(testLeeway + time.Minute))
			})
		}},
		{"IssuedInFutureBeyondLeeway", "invalid_claims", func(t *testing.T, e *tokenEnv) string {
			return e.jwxSigned(t, func(b *jwt.Builder) *jwt.Builder {
				return b.IssuedAt(e.clock.Now().Add(testLeeway + time.Minute))
			})
		}},
		{"WrongIssuer", "wrong_issuer_or_audience", mutated(func(_, c map[string]any) { c["iss"] = "https://evil.test" })},
		{"WrongAudience", "wrong_issuer_or_audience", mutated(func(_, c map[string]any) { c["aud"] = []string{"other-api"} })},
		{"WrongAudienceString", "wrong_issuer_or_audience", mutated(func(_, c map[string]any) { c["aud"] = "other-api" })},
		{"UnknownKid", "unknown_key", mutated(func(h, _ map[string]any) { h["kid"] = "unknown" })},
		{"MissingKid", "unknown_key", mutated(func(h, _ map[string]any) { delete(h, "kid") })},
		{"OtherKeyOurKid", "bad_signature", func(t *testing.T, e *tokenEnv) string {
			return craft(t, e.header(), e.claims(), ed25519Of(t, newKey(t)))
		}},
		{"TamperedPayload", "bad_signature", func(t *testing.T, e *tokenEnv) string {
			parts := strings.Split(e.crafted(t, func(map[string]any, map[string]any) {}), ".")
			c := e.claims()
			c["role"] = "admin"
			return parts[0] + "." + b64JSON(t, c) + "." + parts[2]
		}},
		{"MissingExp", "invalid_claims", mutated(func(_, c map[string]any) { delete(c, "exp") })},
		{"MissingIat", "invalid_claims", mutated(func(_, c map[string]any) { delete(c, "iat") })},
		{"MissingIss", "wrong_issuer_or_audience", mutated(func(_, c map[string]any) { delete(c, "iss") })},
		{"MissingAud", "wrong_issuer_or_audience", mutated(func(_, c map[string]any) { delete(c, "aud") })},
		{"MissingSub", "invalid_claims", mutated(func(_, c map[string]any) { delete(c, "sub") })},
		{"MissingSid", "invalid_claims", mutated(func(_, c map[string]any) { delete(c, "sid") })},
		{"MissingRole", "invalid_claims", mutated(func(_, c map[string]any) { delete(c, "role") })},
		{"ExpNotNumber", "invalid_claims", mutated(func(_, c map[string]any) { c["exp"] = "tomorrow" })},
		{"MissingTyp", "wrong_type", mutated(func(h, _ map[string]any) { delete(h, "typ") })},
		{"TypJWT", "wrong_type", mutated(func(h, _ map[string]any) { h["typ"] = "JWT" })},
		{"TypEmpty", "wrong_type", mutated(func(h, _ map[string]any) { h["typ"] = "" })},
		{"NonUUIDSub", "invalid_claims", mutated(func(_, c map[string]any) { c["sub"] = "42" })},
		{"NonUUIDSid", "invalid_claims", mutated(func(_, c map[string]any) { c["sid"] = "session-1" })},
		{"SidNotString", "invalid_claims", mutated(func(_, c map[string]any) { c["sid"] = 7 })},
		{"UnknownRole", "invalid_claims", mutated(func(_, c map[string]any) { c["role"] = "root" })},
		{"RoleWrongCase", "invalid_claims", mutated(func(_, c map[string]any) { c["role"] = "Admin" })},
		{"EmptyRole", "invalid_claims", mutated(func(_, c map[string]any) { c["role"] = "" })},
		{"Truncated", "bad_signature", func(t *testing.T, e *tokenEnv) string {
			tok, _, _ := e.issue(t, RoleUser)
			return tok[:len(tok)-4]
		}},
		{"SignatureDropped", "malformed", func(t *testing.T, e *tokenEnv) string {
			tok, _, _ := e.issue(t, RoleUser)
			return tok[:strings.LastIndexByte(tok, '.')+1]
		}},
		{"TwoSegments", "malformed", func(t *testing.T, e *tokenEnv) string {
			tok, _, _ := e.issue(t, RoleUser)
			return tok[:strings.LastIndexByte(tok, '.')]
		}},
		{"ExtraSegment", "malformed", func(t *testing.T, e *tokenEnv) string {
			tok, _, _ := e.issue(t, RoleUser)
			return tok + ".AAAA"
		}},
		{"SurroundingSpace", "malformed", func(t *testing.T, e *tokenEnv) string {
			tok, _, _ := e.issue(t, RoleUser)
			return " " + tok + " "
		}},
		{"JSONSerialization", "bad_signature", func(t *testing.T, e *tokenEnv) string {
			hdr := jws.NewHeaders()
			if err := hdr.Set(jws.TypeKey, AccessTokenType); err != nil {
				t.Fatal(err)
			}
			signed, err := jws.Sign(mustJSON(t, e.claims()), jws.WithJSON(),
				jws.WithKey(jwa.EdDSA(), e.key, jws.WithProtectedHeaders(hdr)))
			if err != nil {
				t.Fatal(err)
			}
			return string(signed)
		}},
		{"OverMaxLength", "too_long", mutated(func(_, c map[string]any) { c["pad"] = strings.Repeat("x", maxTokenLength) })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTokenEnv(t, 8)
			tok := tt.make(t, e)
			p, err := e.tokens.Verify(tok)
			if !errors.Is(err, ErrInvalidToken) {
				t.Errorf("Verify = %+v, %v; want an error wrapping ErrInvalidToken", p, err)
			}
			if got := TokenFailure(err); got != tt.reason {
				t.Errorf("TokenFailure = %q, want %q", got, tt.reason)
			}
			// A refused token is not cached: it is refused again.
			if _, err := e.tokens.Verify(tok); !errors.Is(err, ErrInvalidToken) {
				t.Errorf("second Verify = %v; want ErrInvalidToken", err)
			}
		})
	}
}

func mutated(mutate func(hdr, claims map[string]any)) func(*testing.T, *tokenEnv) string {
	return func(t *testing.T, e *tokenEnv) string { return e.crafted(t, mutate) }
}

// hs256 signs valid claims with HMAC-SHA256 keyed by secret, under our kid.
func hs256(t *testing.T, e *tokenEnv, secret []byte) string {
	t.Helper()
	hdr := e.header()
	hdr["alg"] = "HS256"
	input := b64JSON(t, hdr) + "." + b64JSON(t, e.claims())
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// TestTokens_Leeway verifies tokens (uncached) around their exp and nbf.
func TestTokens_Leeway(t *testing.T) {
	t.Parallel()
	exp := t0.Truncate(time.Second).Add(testTTL)
	tests := []struct {
		name string
		now  time.Time
		ok   bool
	}{
		{"BeforeExp", exp.Add(-time.Second), true},
		{"AtExp", exp, true},
		{"WithinLeeway", exp.Add(testLeeway / 2), true},
		{"LastNanoOfLeeway", exp.Add(testLeeway - time.Nanosecond), true},
		{"AtLeewayEnd", exp.Add(testLeeway), false},
		{"BeyondLeeway", exp.Add(testLeeway + time.Second), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTokenEnv(t, 0)
			tok, _, _ := e.issue(t, RoleUser)
			e.clock.Set(tt.now)
			_, err := e.tokens.Verify(tok)
			if tt.ok && err != nil || !tt.ok && !errors.Is(err, ErrInvalidToken) {
				t.Errorf("Verify at exp%+v = %v; want ok=%v", tt.now.Sub(exp), err, tt.ok)
			}
		})
	}
}

func TestTokens_NotBeforeWithinLeeway(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		build func(e *tokenEnv) func(*jwt.Builder) *jwt.Builder
	}{
		{"NotBefore", func(e *tokenEnv) func(*jwt.Builder) *jwt.Builder {
			return func(b *jwt.Builder) *jwt.Builder { return b.NotBefore(e.clock.Now().Add(testLeeway - time.Second)) }
		}},
		{"IssuedAt", func(e *tokenEnv) func(*jwt.Builder) *jwt.Builder {
			return func(b *jwt.Builder) *jwt.Builder { return b.IssuedAt(e.clock.Now().Add(testLeeway - time.Second)) }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newTokenEnv(t, 0)
			if _, err := e.tokens.Verify(e.jwxSigned(t, tt.build(e))); err != nil {
				t.Errorf("Verify = %v; want nil (within the leeway)", err)
			}
		})
	}
}

func TestTokens_KeyRotation(t *testing.T) {
	t.Parallel()
	a, b := newKey(t), newKey(t)
	tests := []struct {
		name  string
		set   []jwk.Key
		oldOK bool
	}{
		{"NewPrivate_OldPublic", []jwk.Key{b, publicOf(t, a)}, true},
		{"NewPrivate_OldPrivate", []jwk.Key{b, a}, true},
		{"OldPublicFirst", []jwk.Key{publicOf(t, a), b}, true},
		{"OldRemoved", []jwk.Key{b}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			old := newTokenEnv(t, 0, a)
			oldTok, user, _ := old.issue(t, RoleUser)
			rotated := newTokensAt(t, mustKeySet(t, tt.set...), old.clock, 8)
			p, err := rotated.Verify(oldTok)
			switch {
			case tt.oldOK && (err != nil || p.UserID != user):
				t.Errorf("old token after rotation: %+v, %v; want user %s", p, err, user)
			case !tt.oldOK && !errors.Is(err, ErrInvalidToken):
				t.Errorf("old token after its key was removed: %v; want ErrInvalidToken", err)
			}
			newTok, err := rotated.Issue(Subject{UserID: uuid.New(), SessionID: uuid.New(), Role: RoleUser})
			if err != nil {
				t.Fatal(err)
			}
			if kid := segment(t, newTok, 0)["kid"]; kid != kidOf(t, b) {
				t.Errorf("new token kid = %v; want the new key's %q", kid, kidOf(t, b))
			}
			if _, err := rotated.Verify(newTok); err != nil {
				t.Errorf("new token: %v", err)
			}
			if _, err := old.tokens.Verify(newTok); !errors.Is(err, ErrInvalidToken) {
				t.Errorf("new token verified by the old set only: %v; want ErrInvalidToken", err)
			}
		})
	}
}

func TestNewTokens_Invalid(t *testing.T) {
	t.Parallel()
	ks := mustKeySet(t, newKey(t))
	valid := TokenOptions{Issuer: testIssuer, Audience: testAudience, TTL: testTTL, Leeway: testLeeway, CacheSize: 1, Now: time.Now}
	if _, err := NewTokens(ks, valid); err != nil {
		t.Fatalf("NewTokens(valid) = %v", err)
	}
	tests := []struct {
		name   string
		keys   *KeySet
		mutate func(*TokenOptions)
	}{
		{"NoKeys", nil, func(*TokenOptions) {}},
		{"NoIssuer", ks, func(o *TokenOptions) { o.Issuer = "" }},
		{"NoAudience", ks, func(o *TokenOptions) { o.Audience = "" }},
		{"ZeroTTL", ks, func(o *TokenOptions) { o.TTL = 0 }},
		{"NegativeTTL", ks, func(o *TokenOptions) { o.TTL = -time.Minute }},
		{"NegativeLeeway", ks, func(o *TokenOptions) { o.Leeway = -time.Second }},
		{"NegativeCache", ks, func(o *TokenOptions) { o.CacheSize = -1 }},
		{"NoClock", ks, func(o *TokenOptions) { o.Now = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := valid
			tt.mutate(&opts)
			if tok, err := NewTokens(tt.keys, opts); err == nil {
				t.Errorf("NewTokens = %v, nil; want an error", tok)
			}
		})
	}
}
