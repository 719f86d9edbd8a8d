package auth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestCursor(t *testing.T) {
	t.Parallel()
	key := []byte(strings.Repeat("k", 32))
	cc, err := NewCursorCodec(key)
	if err != nil {
		t.Fatal(err)
	}
	in := Cursor{CreatedAt: time.Date(2026, 11, 25, 3, 4, 5, 123456000, time.UTC), ID: uuid.New()}
	const scope = "deleted=false&sort=-created_at"
	enc := cc.Encode(in, scope)
	out, err := cc.Decode(enc, scope)
	if err != nil || !out.CreatedAt.Equal(in.CreatedAt) || out.ID != in.ID {
		t.Fatalf("round trip: %+v %v, want %+v", out, err, in)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(enc)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 1
		return base64.RawURLEncoding.EncodeToString(b)
	}
	other, _ := NewCursorCodec([]byte(strings.Repeat("x", 32)))
	tests := []struct{ name, cursor, scope string }{
		{"OtherScope", enc, "deleted=true&sort=-created_at"},
		{"TimeAltered", flip(3), scope},
		{"IDAltered", flip(12), scope},
		{"MACAltered", flip(len(raw) - 1), scope},
		{"VersionAltered", flip(0), scope},
		{"Truncated", enc[:len(enc)-2], scope},
		{"NotBase64", "%%%", scope},
		{"Empty", "", scope},
		{"OtherKey", other.Encode(in, scope), scope},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := cc.Decode(tc.cursor, tc.scope); !errors.Is(err, ErrInvalidCursor) {
				t.Fatalf("Decode = %v, want ErrInvalidCursor", err)
			}
		})
	}
	if _, err := NewCursorCodec([]byte("short")); err == nil {
		t.Fatal("a short key was accepted")
	}
}
