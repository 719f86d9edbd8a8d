package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"

	"github.com/google/uuid"
)

// Cursor is a position in a keyset listing: the last row of a page.
type Cursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// ErrInvalidCursor is a cursor that was altered, or issued for another listing.
var ErrInvalidCursor = errors.New("auth: invalid cursor")

const (
	cursorVersion = 1
	cursorMACLen  = 16
	cursorLen     = 1 + 8 + 16 + cursorMACLen
)

// CursorCodec makes opaque, tamper-evident cursors: the position and an
// HMAC-SHA256 over it and the listing's scope (its filters and sort), so a
// cursor is refused when altered or used with other filters.
type CursorCodec struct{ key []byte }

// NewCursorCodec returns a codec keyed with key (at least 32 bytes).
func NewCursorCodec(key []byte) (CursorCodec, error) {
	if len(key) < 32 {
		return CursorCodec{}, errors.New("auth: a cursor key needs 32 bytes or more")
	}
	return CursorCodec{key: key}, nil
}

// Ready reports whether cc was made by NewCursorCodec (the zero codec has no key).
func (cc CursorCodec) Ready() bool { return len(cc.key) > 0 }

// Encode returns the cursor for c in the listing described by scope.
func (cc CursorCodec) Encode(c Cursor, scope string) string {
	b := make([]byte, 0, cursorLen)
	b = append(b, cursorVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(c.CreatedAt.UnixMicro()))
	b = append(b, c.ID[:]...)
	b = append(b, cc.mac(b, scope)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode checks and reads a cursor issued for scope.
func (cc CursorCodec) Decode(s, scope string) (Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != cursorLen || b[0] != cursorVersion {
		return Cursor{}, ErrInvalidCursor
	}
	body, mac := b[:cursorLen-cursorMACLen], b[cursorLen-cursorMACLen:]
	if !hmac.Equal(mac, cc.mac(body, scope)) {
		return Cursor{}, ErrInvalidCursor
	}
	var id uuid.UUID
	copy(id[:], body[9:25])
	micros := int64(binary.BigEndian.Uint64(body[1:9]))
	return Cursor{CreatedAt: time.UnixMicro(micros).UTC(), ID: id}, nil
}

func (cc CursorCodec) mac(body []byte, scope string) []byte {
	m := hmac.New(sha256.New, cc.key)
	m.Write(body)
	m.Write([]byte{0})
	m.Write([]byte(scope))
	return m.Sum(nil)[:cursorMACLen]
}
