package auth

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/google/uuid"
)

func benchTokens(b *testing.B, cacheSize int) *Tokens {
	b.Helper()
	ks, err := NewEphemeralKeySet(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	t, err := NewTokens(ks, TokenOptions{Issuer: "i", Audience: "a", TTL: 15 * time.Minute, Leeway: 30 * time.Second, CacheSize: cacheSize, Now: time.Now})
	if err != nil {
		b.Fatal(err)
	}
	return t
}

// BenchmarkTokenIssue signs one access token (login and refresh do this once).
func BenchmarkTokenIssue(b *testing.B) {
	t := benchTokens(b, 0)
	u, s := uuid.New(), uuid.New()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := t.Issue(Subject{UserID: u, SessionID: s, Role: RoleUser}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTokenVerify verifies a token: the signature check on first sight,
// and the cache on every later request carrying the same token.
func BenchmarkTokenVerify(b *testing.B) {
	for _, tc := range []struct {
		name  string
		cache int
	}{{"Uncached", 0}, {"Cached", 1000}} {
		b.Run(tc.name, func(b *testing.B) {
			t := benchTokens(b, tc.cache)
			tok, err := t.Issue(Subject{UserID: uuid.New(), SessionID: uuid.New(), Role: RoleUser})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := t.Verify(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPasswordHash is one argon2id hash at OWASP's parameters: the cost
// that bounds logins per second per core.
func BenchmarkPasswordHash(b *testing.B) {
	h, err := NewHasher(OWASPArgon2, NewCPUSlots(1, Queue{}), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(context.Background(), "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
