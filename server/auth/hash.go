package auth

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Argon2Params are the argon2id costs of new password hashes.
type Argon2Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
}

// OWASPArgon2 is OWASP's recommended minimum: m=19456 KiB, t=2, p=1.
var OWASPArgon2 = Argon2Params{MemoryKiB: 19456, Iterations: 2, Parallelism: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// ErrUnknownHash is a stored hash in no format we know: a data problem, not a
// wrong password.
var ErrUnknownHash = errors.New("auth: unrecognised password hash")

// Hasher hashes and verifies passwords. New hashes are argon2id PHC strings;
// bcrypt hashes of imported users ($2a$, $2b$, $2y$) also verify. Every hash and
// verification runs in bounded CPU slots, so a burst of logins cannot exhaust
// memory or starve the other requests of CPU.
type Hasher struct {
	params Argon2Params
	slots  *CPUSlots
	rand   io.Reader
	dummy  string
}

// NewHasher returns a Hasher for params that runs in slots (nil: DefaultSlots,
// with DefaultQueue). It hashes one random password at once, to have a dummy
// hash of the current parameters for logins of unknown users.
func NewHasher(params Argon2Params, slots *CPUSlots, rand io.Reader) (*Hasher, error) {
	if params.MemoryKiB < 8*uint32(params.Parallelism) || params.Iterations < 1 || params.Parallelism < 1 {
		return nil, fmt.Errorf("auth: invalid argon2id parameters %+v", params)
	}
	if slots == nil {
		slots = NewCPUSlots(0, DefaultQueue(DefaultSlots(), 1))
	}
	h := &Hasher{params: params, slots: slots, rand: rand}
	secret := make([]byte, 32)
	if _, err := io.ReadFull(rand, secret); err != nil {
		return nil, fmt.Errorf("auth: reading randomness: %w", err)
	}
	dummy, err := h.hash(string(secret))
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

// Slots are the hasher's CPU slots, for other CPU-heavy password work.
func (h *Hasher) Slots() *CPUSlots { return h.slots }

// DummyHash is a hash of a random secret under the current parameters. Verifying
// against it costs what a real verification costs, and never matches.
func (h *Hasher) DummyHash() string { return h.dummy }

// Hash returns the argon2id PHC string of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	var out string
	err := h.slots.Do(ctx, func() (err error) {
		out, err = h.hash(password)
		return err
	})
	return out, err
}

func (h *Hasher) hash(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := io.ReadFull(h.rand, salt); err != nil {
		return "", fmt.Errorf("auth: reading randomness: %w", err)
	}
	p := h.params
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verification is the outcome of checking a password against a stored hash.
type Verification struct {
	// Match is true when the password is right.
	Match bool
	// Rehash is true when the hash should be replaced by one of the current
	// parameters (a bcrypt hash, or argon2id with other costs). Only set on Match.
	Rehash bool
}

// Verify checks password against encoded in constant time.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (Verification, error) {
	var v Verification
	err := h.slots.Do(ctx, func() (err error) {
		v, err = h.verify(encoded, password)
		return err
	})
	return v, err
}

func (h *Hasher) verify(encoded, password string) (Verification, error) {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		p, salt, key, err := parseArgon2id(encoded)
		if err != nil {
			return Verification{}, err
		}
		got := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, uint32(len(key)))
		match := subtle.ConstantTimeCompare(got, key) == 1
		return Verification{Match: match, Rehash: match && (p != h.params || len(salt) != saltLen || len(key) != keyLen)}, nil
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		err := bcrypt.CompareHashAndPassword([]byte(encoded), []byte(password))
		switch {
		case err == nil:
			return Verification{Match: true, Rehash: true}, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return Verification{}, nil
		default:
			return Verification{}, fmt.Errorf("%w: %v", ErrUnknownHash, err)
		}
	default:
		return Verification{}, ErrUnknownHash
	}
}

// parseArgon2id reads $argon2id$v=19$m=…,t=…,p=…$salt$key, exactly: Sscanf stops
// at the last number, so the parsed fields are printed back and must equal the
// input, or trailing text (and parameters we do not know, such as data=) would
// pass unnoticed.
func parseArgon2id(encoded string) (Argon2Params, []byte, []byte, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 {
		return Argon2Params{}, nil, nil, ErrUnknownHash
	}
	var version int
	var p Argon2Params
	_, err1 := fmt.Sscanf(parts[2], "v=%d", &version)
	_, err2 := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Iterations, &p.Parallelism)
	if err1 != nil || err2 != nil || version != argon2.Version ||
		parts[2] != fmt.Sprintf("v=%d", version) ||
		parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", p.MemoryKiB, p.Iterations, p.Parallelism) {
		return Argon2Params{}, nil, nil, ErrUnknownHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 ||
		p.Iterations < 1 || p.Iterations > 100 || p.Parallelism < 1 || p.MemoryKiB > 1<<20 {
		return Argon2Params{}, nil, nil, ErrUnknownHash
	}
	return p, salt, key, nil
}
