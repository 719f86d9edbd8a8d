package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
)

var opaqueTokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

func TestNewOpaqueToken_Format(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for range 1000 {
		ot, err := NewOpaqueToken(rand.Reader)
		if err != nil {
			t.Fatalf("NewOpaqueToken: %v", err)
		}
		tok, hash := ot.Text, ot.Hash
		if !opaqueTokenRE.MatchString(tok) {
			t.Fatalf("token %q: want 43 characters of unpadded base64url", tok)
		}
		if hash != sha256.Sum256([]byte(tok)) || hash != HashOpaqueToken(tok) {
			t.Fatalf("hash of %q is not the SHA-256 of the token string", tok)
		}
		if seen[tok] {
			t.Fatalf("token %q returned twice", tok)
		}
		seen[tok] = true
	}
}

func TestNewOpaqueToken_Reader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		rand    io.Reader
		want    string
		wantErr error
	}{
		{"Zeros", bytes.NewReader(make([]byte, 32)), strings.Repeat("A", 43), nil},
		{"Ones", bytes.NewReader(bytes.Repeat([]byte{0xff}, 32)), strings.Repeat("_", 42) + "8", nil},
		{"ReadsOnly32Bytes", bytes.NewReader(make([]byte, 64)), strings.Repeat("A", 43), nil},
		{"ShortRead", bytes.NewReader(make([]byte, 31)), "", io.ErrUnexpectedEOF},
		{"NoEntropy", bytes.NewReader(nil), "", io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ot, err := NewOpaqueToken(tt.rand)
			tok, hash := ot.Text, ot.Hash
			if !errors.Is(err, tt.wantErr) || tok != tt.want {
				t.Fatalf("NewOpaqueToken = %q, %v; want %q, %v", tok, err, tt.want, tt.wantErr)
			}
			if err != nil && hash != [32]byte{} {
				t.Errorf("hash = %x on error; want zero", hash)
			}
		})
	}
}

func TestHashOpaqueToken(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		// FIPS 180-2 test vectors.
		{"Empty", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"Token", strings.Repeat("A", 43), hex.EncodeToString(func() []byte { s := sha256.Sum256([]byte(strings.Repeat("A", 43))); return s[:] }())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := HashOpaqueToken(tt.in); hex.EncodeToString(got[:]) != tt.want {
				t.Errorf("HashOpaqueToken(%q) = %x; want %s", tt.in, got, tt.want)
			}
		})
	}
}
