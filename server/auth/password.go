package auth

import (
	"strings"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
)

// Password lengths, in Unicode code points. openapi.yaml says the same for API
// requests; the policy repeats it for callers that do not come through the API,
// such as `accounts admin create`.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 128
)

// minGuesses is the fewest guesses (as zxcvbn estimates them) a password may
// take: 10^8, the floor of zxcvbn's "safely unguessable" band. The band's score
// (3) starts just above 10^8, which no 8-character password reaches; the guess
// count itself lets a random 8-character password through while refusing
// patterns such as "Summer2024!" (~3·10^7).
const minGuesses = 1e8

// WeakPasswordError is a password the policy refuses. Reason is written for the
// user and safe to show.
type WeakPasswordError struct{ Reason string }

func (e *WeakPasswordError) Error() string { return "weak password: " + e.Reason }

// CheckPassword applies the password policy for an account with this address and
// name: the length, no containing the address's local part (3 characters or
// more, compared case-insensitively), and not among the most common passwords or
// too easy to guess, as zxcvbn estimates with the address and name as hints. It
// returns *WeakPasswordError or nil. zxcvbn costs up to ~50 ms of CPU for the
// longest passwords: run it in the hasher's pool.
func CheckPassword(password, email, name string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLength:
		return &WeakPasswordError{"must be at least 8 characters long"}
	case n > MaxPasswordLength:
		return &WeakPasswordError{"must be at most 128 characters long"}
	}
	local, _, _ := strings.Cut(email, "@")
	if utf8.RuneCountInString(local) >= 3 && strings.Contains(strings.ToLower(password), strings.ToLower(local)) {
		return &WeakPasswordError{"must not contain the name part of your email address"}
	}
	hints := append([]string{local, email, "accounts"}, strings.Fields(name)...)
	for i := range hints {
		hints[i] = foldASCII(hints[i])
	}
	r := zxcvbn.PasswordStrength(foldASCII(password), hints)
	switch {
	case r.Guesses < 1e4:
		return &WeakPasswordError{"is one of the most commonly used passwords"}
	case r.Guesses < minGuesses:
		return &WeakPasswordError{"is too easy to guess: use a longer phrase of uncommon words, or more varied characters"}
	}
	return nil
}

// foldASCII maps every non-ASCII rune to one ASCII control character chosen by
// a hash of the rune, never '\n', which zxcvbn's repeat matcher (a regexp whose
// '.' excludes newlines) would not see repeated. trustelem/zxcvbn v1.0.1 mixes byte and rune offsets, and
// on multi-byte input its estimate can collapse to 0 guesses, refusing strong
// passwords as "common". Folding keeps the length in runes, keeps equal runes
// equal (so repeats are still seen), and matches no dictionary word or keyboard
// pattern, so a non-ASCII character counts as an unpredictable one.
func foldASCII(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		h := uint32(r) * 2654435761 // Knuth's multiplicative hash
		b.WriteByte(foldBytes[(h>>16)%uint32(len(foldBytes))])
	}
	return b.String()
}

// foldBytes are the ASCII control characters foldASCII maps to: 0x01 to 0x1f
// without '\n'.
var foldBytes = func() []byte {
	var b []byte
	for c := byte(1); c < 0x20; c++ {
		if c != '\n' {
			b = append(b, c)
		}
	}
	return b
}()
