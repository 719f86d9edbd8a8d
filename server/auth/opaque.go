package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
)

// OpaqueToken is a bearer secret the service hands out and later looks up by its
// hash: refresh tokens today, verification and reset tokens next. Only Hash is
// stored, so a database leak yields no usable token.
type OpaqueToken struct {
	// Text is what the client gets: 256 random bits as unpadded base64url.
	Text string
	// Hash is the SHA-256 of Text, the stored form.
	Hash [32]byte
}

// NewOpaqueToken returns a fresh token from rand.
func NewOpaqueToken(rand io.Reader) (OpaqueToken, error) {
	var b [32]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return OpaqueToken{}, fmt.Errorf("auth: reading randomness: %w", err)
	}
	text := base64.RawURLEncoding.EncodeToString(b[:])
	return OpaqueToken{Text: text, Hash: HashOpaqueToken(text)}, nil
}

// HashOpaqueToken is the stored form of a token a client presents. Any string
// hashes, so an unknown or malformed token simply finds no row.
func HashOpaqueToken(text string) [32]byte {
	return sha256.Sum256([]byte(text))
}
