package secrets

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
)

func seal(t *testing.T, ks *KeySet, plaintext, aad []byte) []byte {
	t.Helper()
	b, err := ks.Seal(plaintext, aad)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return b
}

func TestSealOpen_RoundTrip(t *testing.T) {
	t.Parallel()
	ks := mustKeySet(t, newKey(t))
	tests := []struct {
		name           string
		plaintext, aad []byte
	}{
		{"Empty", nil, []byte("user-1")},
		{"TOTPSecret", []byte("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"), []byte("0b9c5b4e-8a7e-4c1f-9f00-6d3f2a1b7c11")},
		{"NoAAD", []byte("secret"), nil},
		{"Binary", bytes.Repeat([]byte{0, 0xff, 7}, 1000), []byte{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := seal(t, ks, tt.plaintext, tt.aad), seal(t, ks, tt.plaintext, tt.aad)
			if bytes.Equal(a, b) {
				t.Error("two seals of the same plaintext are equal: the nonce is not fresh")
			}
			if len(tt.plaintext) >= 4 && bytes.Contains(a, tt.plaintext) {
				t.Error("the sealed blob contains the plaintext")
			}
			got, err := ks.Open(a, tt.aad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Errorf("Open = %q; want %q", got, tt.plaintext)
			}
		})
	}
}

// TestSeal_Format: the blob is version, kid length, kid, nonce (from the
// injected reader), then ciphertext and tag.
func TestSeal_Format(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	kid := kidOf(t, k)
	nonce := bytes.Repeat([]byte{0xAB}, nonceSize)
	ks := mustKeySet(t, k).WithRand(bytes.NewReader(nonce))
	plaintext := []byte("twenty bytes of text")
	b := seal(t, ks, plaintext, []byte("u"))
	want := append(append([]byte{1, byte(len(kid))}, kid...), nonce...)
	if !bytes.HasPrefix(b, want) {
		t.Fatalf("blob starts %x; want %x", b[:min(len(b), len(want))], want)
	}
	if got, want := len(b), len(want)+len(plaintext)+tagSize; got != want {
		t.Errorf("blob is %d bytes; want %d", got, want)
	}
	if _, err := ks.Seal(plaintext, nil); err == nil {
		t.Error("Seal with an exhausted nonce reader succeeded; want an error")
	}
	if _, err := mustKeySet(t, k).WithRand(failingReader{}).Seal(plaintext, nil); err == nil {
		t.Error("Seal with a failing nonce reader succeeded; want an error")
	}
}

// TestRotation: a new key put first seals from then on, and what the old key
// sealed still opens until the old key leaves the set.
func TestRotation(t *testing.T) {
	t.Parallel()
	k1, k2 := newKey(t), newKey(t)
	setA := mustKeySet(t, k1)
	setB := mustKeySet(t, k2, k1)
	onlyK2 := mustKeySet(t, k2)
	aad := []byte("user-1")

	old := seal(t, setA, []byte("old secret"), aad)
	if got, err := setB.Open(old, aad); err != nil || string(got) != "old secret" {
		t.Fatalf("set [k2, k1] opens k1's blob: %q, %v; want the plaintext", got, err)
	}
	if setB.PrimaryKeyID() != kidOf(t, k2) {
		t.Fatalf("PrimaryKeyID = %q; want the new key %q", setB.PrimaryKeyID(), kidOf(t, k2))
	}
	fresh := seal(t, setB, []byte("new secret"), aad)
	if got, err := onlyK2.Open(fresh, aad); err != nil || string(got) != "new secret" {
		t.Fatalf("set [k2] opens what [k2, k1] sealed: %q, %v; want the plaintext (sealed under k2)", got, err)
	}
	if _, err := setA.Open(fresh, aad); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("set [k1] opens k2's blob: %v; want ErrUnknownKey", err)
	}
	_, err := onlyK2.Open(old, aad)
	if !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("set [k2] opens k1's blob: %v; want ErrUnknownKey", err)
	}
	if !strings.Contains(err.Error(), kidOf(t, k1)) {
		t.Errorf("error %q does not name the missing kid", err)
	}
}

// TestOpen_Tampered: changing, dropping or adding any byte of a blob, in any
// part, fails Open.
func TestOpen_Tampered(t *testing.T) {
	t.Parallel()
	k1, k2 := newKey(t), newKey(t)
	ks := mustKeySet(t, k1, k2)
	aad := []byte("user-1")
	plaintext := []byte("JBSWY3DPEHPK3PXP")
	blob := seal(t, ks, plaintext, aad)
	kidLen := len(kidOf(t, k1))
	kidAt, nonceAt := 2, 2+kidLen
	ctAt, tagAt := nonceAt+nonceSize, len(blob)-tagSize
	flip := func(i int) func([]byte) []byte {
		return func(b []byte) []byte { b[i] ^= 0x01; return b }
	}
	tests := []struct {
		name   string
		change func([]byte) []byte
		want   error
	}{
		{"Version", flip(0), ErrMalformed},
		{"VersionZero", func(b []byte) []byte { b[0] = 0; return b }, ErrMalformed},
		{"KidLengthZero", func(b []byte) []byte { b[1] = 0; return b }, ErrMalformed},
		{"KidLengthShorter", func(b []byte) []byte { b[1]--; return b }, ErrUnknownKey},
		{"KidLengthTooLong", func(b []byte) []byte { b[1] = 255; return b }, ErrMalformed},
		{"KidFirstByte", flip(kidAt), ErrUnknownKey},
		{"KidLastByte", flip(nonceAt - 1), ErrUnknownKey},
		{"KidOfTheOtherKey", func(b []byte) []byte { copy(b[kidAt:], kidOf(t, k2)); return b }, ErrDecrypt},
		{"NonceFirstByte", flip(nonceAt), ErrDecrypt},
		{"NonceLastByte", flip(ctAt - 1), ErrDecrypt},
		{"Ciphertext", flip(ctAt), ErrDecrypt},
		{"CiphertextLastByte", flip(tagAt - 1), ErrDecrypt},
		{"TagFirstByte", flip(tagAt), ErrDecrypt},
		{"TagLastByte", flip(len(blob) - 1), ErrDecrypt},
		{"TagDropped", func(b []byte) []byte { return b[:tagAt] }, ErrDecrypt},
		{"LastByteDropped", func(b []byte) []byte { return b[:len(b)-1] }, ErrDecrypt},
		{"ByteAppended", func(b []byte) []byte { return append(b, 0) }, ErrDecrypt},
		{"HeaderAndNonceOnly", func(b []byte) []byte { return b[:ctAt] }, ErrMalformed},
		{"OneByte", func(b []byte) []byte { return b[:1] }, ErrMalformed},
		{"Empty", func([]byte) []byte { return nil }, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := tt.change(bytes.Clone(blob))
			got, err := ks.Open(b, aad)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open(tampered) = %q, %v; want %v", got, err, tt.want)
			}
			if got != nil {
				t.Errorf("Open returned %q with its error", got)
			}
			assertNoMaterial(t, err.Error(), plaintext, octetsOf(t, k1), octetsOf(t, k2))
		})
	}
	if got, err := ks.Open(blob, aad); err != nil || !bytes.Equal(got, plaintext) {
		t.Fatalf("the untouched blob no longer opens: %q, %v", got, err)
	}
}

// TestOpen_WrongAAD: a blob sealed for one user does not open for another.
func TestOpen_WrongAAD(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	ks := mustKeySet(t, k)
	plaintext := []byte("totp-seed-42")
	blob := seal(t, ks, plaintext, []byte("user-1"))
	for _, aad := range [][]byte{[]byte("user-2"), []byte("user-10"), []byte("user-"), nil} {
		got, err := ks.Open(blob, aad)
		if !errors.Is(err, ErrDecrypt) {
			t.Errorf("Open with aad %q = %q, %v; want ErrDecrypt", aad, got, err)
			continue
		}
		assertNoMaterial(t, err.Error(), plaintext, octetsOf(t, k))
	}
}

// TestEphemeralKeySet: a development set seals and opens, and two such sets
// do not share a key.
func TestEphemeralKeySet(t *testing.T) {
	t.Parallel()
	a, err := NewEphemeralKeySet(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewEphemeralKeySet(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	blob := seal(t, a, []byte("s"), nil)
	if got, err := a.Open(blob, nil); err != nil || string(got) != "s" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := b.Open(blob, nil); err == nil {
		t.Fatal("another ephemeral set opened the blob")
	}
}

// TestKeySet_Concurrent: one set seals and opens from many goroutines (run with -race).
func TestKeySet_Concurrent(t *testing.T) {
	t.Parallel()
	ks := mustKeySet(t, newKey(t), newKey(t))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			aad := []byte{byte(i)}
			b, err := ks.Seal([]byte("secret"), aad)
			if err == nil {
				_, err = ks.Open(b, aad)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
