package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// AccessTokenType is the typ header of our access tokens (RFC 9068).
const AccessTokenType = "at+jwt"

// maxTokenLength bounds what Verify looks at; ours are about 500 bytes.
const maxTokenLength = 4096

// ErrInvalidToken is any access token that does not verify: malformed, signed by
// a key we do not have, expired, not yet valid, or for another issuer or audience.
var ErrInvalidToken = errors.New("auth: invalid access token")

// TokenOptions configure access tokens.
type TokenOptions struct {
	Issuer   string
	Audience string
	// TTL is the lifetime of an access token.
	TTL time.Duration
	// Leeway is the clock skew allowed when checking exp, nbf and iat.
	Leeway time.Duration
	// CacheSize bounds the cache of verified tokens (entries).
	CacheSize int
	// Now is the clock.
	Now func() time.Time
}

// Tokens issues and verifies access tokens: EdDSA-signed JWTs with kid and typ
// at+jwt, carrying iss, aud, sub (the user), sid (the session), role, iat, exp
// and jti. Verified tokens are cached until they expire, keyed by the SHA-256 of
// the token, so a token costs one signature check however often it is sent.
type Tokens struct {
	keys  *KeySet
	opts  TokenOptions
	cache *tokenCache
}

// NewTokens returns Tokens over keys.
func NewTokens(keys *KeySet, opts TokenOptions) (*Tokens, error) {
	switch {
	case keys == nil:
		return nil, errors.New("auth: no keys")
	case opts.Issuer == "" || opts.Audience == "":
		return nil, errors.New("auth: issuer and audience are required")
	case opts.TTL <= 0 || opts.Leeway < 0 || opts.CacheSize < 0:
		return nil, errors.New("auth: invalid token lifetimes")
	case opts.Now == nil:
		return nil, errors.New("auth: no clock")
	}
	return &Tokens{keys: keys, opts: opts, cache: newTokenCache(opts.CacheSize)}, nil
}

// Keys is the key set tokens are signed and verified with.
func (t *Tokens) Keys() *KeySet { return t.keys }

// TTL is the lifetime of new access tokens.
func (t *Tokens) TTL() time.Duration { return t.opts.TTL }

// ValidFor is the longest an access token verifies after it was issued: its
// lifetime plus the clock leeway. A revoked session must be remembered this long.
func (t *Tokens) ValidFor() time.Duration { return t.opts.TTL + t.opts.Leeway }

// Subject is whom an access token speaks for.
type Subject struct {
	UserID, SessionID uuid.UUID
	Role              Role
	// EmailVerified is the email_verified claim: the address was proven to
	// reach the user when the token was issued.
	EmailVerified bool
	// Assurance is the session's level and methods (the aal and amr claims).
	Assurance Assurance
	// MFARequired is the mfa_required claim: the user has an active second
	// factor that this session has not verified, so the token is good only
	// for verifying it and a few reads (an aal1 token of an MFA user).
	MFARequired bool
}

// Issue signs an access token for a session.
func (t *Tokens) Issue(s Subject) (string, error) {
	if s.Assurance.Level == 0 || len(s.Assurance.Methods) == 0 {
		s.Assurance = PasswordOnly()
	}
	now := t.opts.Now().Truncate(time.Second)
	tok, err := jwt.NewBuilder().
		Issuer(t.opts.Issuer).
		Audience([]string{t.opts.Audience}).
		Subject(s.UserID.String()).
		IssuedAt(now).
		Expiration(now.Add(t.opts.TTL)).
		JwtID(uuid.NewString()).
		Claim("sid", s.SessionID.String()).
		Claim("role", string(s.Role)).
		Claim("email_verified", s.EmailVerified).
		Claim("aal", s.Assurance.Level.String()).
		Claim("amr", s.Assurance.Methods).
		Claim("mfa_required", s.MFARequired).
		Build()
	if err != nil {
		return "", fmt.Errorf("auth: building a token: %w", err)
	}
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.TypeKey, AccessTokenType); err != nil {
		return "", err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA(), t.keys.signer, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", fmt.Errorf("auth: signing a token: %w", err)
	}
	return string(signed), nil
}

// Verify checks an access token and returns its principal. Whether the session
// has been revoked since is for the caller to check. A refused token is a
// *TokenError saying why, for the log.
func (t *Tokens) Verify(token string) (Principal, error) {
	p, _, err := t.VerifyCached(token)
	return p, err
}

// VerifyCached is Verify, and reports whether the token came from the cache.
func (t *Tokens) VerifyCached(token string) (Principal, bool, error) {
	if len(token) > maxTokenLength {
		return Principal{}, false, &TokenError{Reason: "too_long"}
	}
	key := tokenKey(token)
	now := t.opts.Now()
	if p, ok := t.cache.get(key); ok {
		// As jwx decides for a token it verifies: valid while now < exp + leeway.
		if !now.Before(p.ExpiresAt.Add(t.opts.Leeway)) {
			return Principal{}, true, &TokenError{Reason: "expired"}
		}
		return p, true, nil
	}
	p, err := t.verify([]byte(token))
	if err != nil {
		return Principal{}, false, t.why([]byte(token), err)
	}
	t.cache.put(key, p, now)
	return p, false, nil
}

// tokenKey is the SHA-256 of token, hashed from a copy on the stack (a
// conversion to []byte would copy it to the heap on every request).
func tokenKey(token string) [sha256.Size]byte {
	var buf [maxTokenLength]byte
	return sha256.Sum256(buf[:copy(buf[:], token)])
}

// verify checks the signature with our keys only, each with its own algorithm
// (so alg none, HS256 keyed with a public key, and unknown kids all fail), then
// the typ header, then the claims.
func (t *Tokens) verify(token []byte) (Principal, error) {
	var sig *jws.Signature
	payload, err := jws.Verify(token,
		jws.WithKeySet(t.keys.public, jws.WithRequireKid(true), jws.WithUseDefault(false)),
		jws.WithCompact(),
		jws.WithVerifiedSignature(&sig))
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %v", errSignature, err)
	}
	if typ, _ := sig.ProtectedHeaders().Type(); typ != AccessTokenType {
		return Principal{}, fmt.Errorf("%w: typ %q, want %q", errWrongType, typ, AccessTokenType)
	}
	tok, err := jwt.Parse(payload,
		jwt.WithVerify(false),
		jwt.WithValidate(true),
		jwt.WithClock(jwt.ClockFunc(t.opts.Now)),
		jwt.WithAcceptableSkew(t.opts.Leeway),
		jwt.WithIssuer(t.opts.Issuer),
		jwt.WithAudience(t.opts.Audience),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithRequiredClaim(jwt.IssuedAtKey),
		jwt.WithRequiredClaim(jwt.SubjectKey),
		jwt.WithRequiredClaim("sid"),
		jwt.WithRequiredClaim("role"))
	if err != nil {
		return Principal{}, err
	}
	return principalOf(tok)
}

// principalOf reads the claims of a validated token.
func principalOf(tok jwt.Token) (Principal, error) {
	sub, _ := tok.Subject()
	exp, _ := tok.Expiration()
	var sid, role string
	if err := tok.Get("sid", &sid); err != nil {
		return Principal{}, err
	}
	if err := tok.Get("role", &role); err != nil {
		return Principal{}, err
	}
	userID, err1 := uuid.Parse(sub)
	sessionID, err2 := uuid.Parse(sid)
	if err1 != nil || err2 != nil {
		return Principal{}, errors.New("sub and sid must be UUIDs")
	}
	if r := Role(role); r != RoleUser && r != RoleAdmin {
		return Principal{}, fmt.Errorf("unknown role %q", role)
	}
	// Tokens issued before the claim existed do not say: not verified.
	var verified bool
	if tok.Has("email_verified") {
		if err := tok.Get("email_verified", &verified); err != nil {
			return Principal{}, errors.New("email_verified must be a boolean")
		}
	}
	as, mfaRequired, err := assuranceOf(tok)
	if err != nil {
		return Principal{}, err
	}
	return Principal{UserID: userID, SessionID: sessionID, Role: Role(role), ExpiresAt: exp, EmailVerified: verified,
		Assurance: as, MFARequired: mfaRequired}, nil
}

// assuranceOf reads the aal, amr and mfa_required claims. A token without
// them (issued before they existed) is aal1 by a password, with no factor to
// verify: what its session was.
func assuranceOf(tok jwt.Token) (Assurance, bool, error) {
	as := Assurance{Level: AAL1, Methods: []string{MethodPassword}}
	if tok.Has("aal") {
		var aal string
		if err := tok.Get("aal", &aal); err != nil {
			return Assurance{}, false, errors.New("aal must be a string")
		}
		level, ok := ParseLevel(aal)
		if !ok {
			return Assurance{}, false, fmt.Errorf("unknown aal %q", aal)
		}
		as.Level = level
	}
	if tok.Has("amr") {
		var amr []any
		if err := tok.Get("amr", &amr); err != nil {
			return Assurance{}, false, errors.New("amr must be an array of strings")
		}
		as.Methods = as.Methods[:0]
		for _, m := range amr {
			s, ok := m.(string)
			if !ok {
				return Assurance{}, false, errors.New("amr must be an array of strings")
			}
			as.Methods = append(as.Methods, s)
		}
	}
	var required bool
	if tok.Has("mfa_required") {
		if err := tok.Get("mfa_required", &required); err != nil {
			return Assurance{}, false, errors.New("mfa_required must be a boolean")
		}
	}
	return as, required, nil
}
