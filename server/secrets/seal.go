package secrets

import (
	"errors"
	"fmt"
	"io"
)

// The sealed format, version 1:
//
//	version  1 byte   formatVersion
//	kidLen   1 byte   n, 1..255
//	kid      n bytes  the kid of the key that sealed it
//	nonce    12 bytes random
//	sealed   the rest: AES-256-GCM ciphertext, then its 16-byte tag
//
// GCM authenticates the header (version, kidLen, kid) and then the caller's
// aad, so no byte of the blob can change, and no blob can move to another
// aad (another user), without Open failing.
const (
	formatVersion = 1
	nonceSize     = 12
	tagSize       = 16
)

// Errors of Open. Callers may test them with errors.Is; none carries key
// material or plaintext.
var (
	// ErrMalformed is a blob too short, or of an unknown format version.
	ErrMalformed = errors.New("secrets: malformed sealed secret")
	// ErrUnknownKey is a blob sealed under a kid the set no longer holds.
	ErrUnknownKey = errors.New("secrets: sealed under a key not in the key set")
	// ErrDecrypt is a blob that fails authentication: altered, or opened with the wrong aad.
	ErrDecrypt = errors.New("secrets: the sealed secret does not authenticate (altered, or the wrong aad)")
)

// Seal encrypts plaintext under the primary key, binding it to aad (callers
// pass the owner's id, so a sealed secret cannot be moved to another owner).
// The result names its key and opens with Open under any set holding that key.
func (ks *KeySet) Seal(plaintext, aad []byte) ([]byte, error) {
	header := sealHeader(ks.primary)
	nonce := make([]byte, nonceSize)
	if _, err := io.ReadFull(ks.rand, nonce); err != nil {
		return nil, fmt.Errorf("secrets: reading a nonce: %w", err)
	}
	aead := ks.aeads[ks.primary]
	out := make([]byte, 0, len(header)+nonceSize+len(plaintext)+aead.Overhead())
	out = append(append(out, header...), nonce...)
	return aead.Seal(out, nonce, plaintext, authData(header, aad)), nil
}

// Open decrypts a blob made by Seal with the key its kid names, checking aad.
// Its errors are ErrMalformed, ErrUnknownKey or ErrDecrypt, wrapped.
func (ks *KeySet) Open(sealed, aad []byte) ([]byte, error) {
	header, kid, rest, err := splitSealed(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := ks.aeads[kid]
	if !ok {
		return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	nonce, ciphertext := rest[:nonceSize], rest[nonceSize:]
	plaintext, err := aead.Open(nil, nonce, ciphertext, authData(header, aad))
	if err != nil {
		return nil, fmt.Errorf("%w: kid %q", ErrDecrypt, kid)
	}
	return plaintext, nil
}

// sealHeader is the version byte, then kid with its one-byte length.
func sealHeader(kid string) []byte {
	h := make([]byte, 0, 2+len(kid))
	h = append(h, formatVersion, byte(len(kid)))
	return append(h, kid...)
}

// splitSealed splits a blob into its header, the kid the header names, and the
// nonce with the ciphertext and tag after it.
func splitSealed(b []byte) (header []byte, kid string, rest []byte, err error) {
	if len(b) < 2 {
		return nil, "", nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(b))
	}
	if b[0] != formatVersion {
		return nil, "", nil, fmt.Errorf("%w: format version %d", ErrMalformed, b[0])
	}
	n := int(b[1])
	if n == 0 || len(b) < 2+n+nonceSize+tagSize {
		return nil, "", nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(b))
	}
	return b[:2+n], string(b[2 : 2+n]), b[2+n:], nil
}

// authData is what GCM authenticates besides the ciphertext: the header, then
// the caller's aad. The header's length prefix keeps the two apart.
func authData(header, aad []byte) []byte {
	return append(append(make([]byte, 0, len(header)+len(aad)), header...), aad...)
}
