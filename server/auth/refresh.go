package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
)

// NewRefreshToken returns a fresh refresh token, 256 random bits as unpadded
// base64url, and the SHA-256 that is stored in its place.
func NewRefreshToken(rand io.Reader) (string, [32]byte, error) {
	var b [32]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return "", [32]byte{}, fmt.Errorf("auth: reading randomness: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashRefreshToken(token), nil
}

// HashRefreshToken is the stored form of a refresh token. Any string hashes, so
// an unknown or malformed token simply finds no row.
func HashRefreshToken(token string) [32]byte {
	return sha256.Sum256([]byte(token))
}
