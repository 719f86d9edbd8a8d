package auth

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeEmail trims surrounding white space and checks that what remains is a
// plain address: local@domain, with no display name, comments or quoting. The
// address keeps its case; compare addresses with strings.EqualFold or SQL lower().
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	bad := errors.New("must be a plain address such as name@example.com")
	if len(s) < 3 || len(s) > 254 || !utf8.ValidString(s) {
		return "", bad
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || len(local) > 64 || strings.Contains(domain, "@") {
		return "", bad
	}
	if !validLocal(local) || !validDomain(domain) {
		return "", bad
	}
	return s, nil
}

// validLocal accepts the dot-atom form of RFC 5322, plus non-ASCII letters
// (RFC 6531): no quoting, no white space or control characters, no leading,
// trailing or double dots.
func validLocal(local string) bool {
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for _, r := range local {
		switch {
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'):
		case r < 0x80 && strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", r):
		case r >= 0x80 && (unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)):
		default:
			return false
		}
	}
	return true
}

// validDomain accepts dot-separated labels of letters, digits and inner hyphens,
// with at least one dot: addresses at a bare host are not deliverable.
func validDomain(domain string) bool {
	labels := strings.Split(domain, ".")
	if len(labels) < 2 || len(domain) > 253 {
		return false
	}
	for _, l := range labels {
		if l == "" || utf8.RuneCountInString(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)) {
				return false
			}
		}
	}
	return true
}

// CheckName checks a display name: 1 to 100 characters after trimming white
// space, none of them control or format characters. It returns the trimmed name.
func CheckName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", errors.New("must be valid UTF-8")
	}
	n := utf8.RuneCountInString(s)
	if n < 1 || n > 100 {
		return "", errors.New("must be 1 to 100 characters long")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			return "", errors.New("must not contain control characters")
		}
	}
	return s, nil
}
