package auth

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// NormalizeEmail trims surrounding white space, puts the address in Unicode
// normal form C (so that an é typed as one code point or as e plus a combining
// accent is one address), and checks that it is a plain address: local@domain,
// with no display name, comments or quoting. The address keeps its case: it is
// shown as its owner typed it. Compare addresses by EmailKey.
func NormalizeEmail(s string) (string, error) {
	bad := errors.New("must be a plain address such as name@example.com")
	if !utf8.ValidString(s) {
		return "", bad
	}
	s = norm.NFC.String(strings.TrimSpace(s))
	if len(s) < 3 || len(s) > 254 {
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

// EmailKey is the form addresses are compared and stored unique by: a
// normalised address (NormalizeEmail), case-folded by Unicode's full folding (so
// JOSÉ and josé, STRASSE and straße are one address) and put back in normal
// form C. It is computed here, not by the database's locale, so that every
// replica, every database and the migration that filled the column agree.
func EmailKey(normalized string) string {
	return norm.NFC.String(cases.Fold().String(normalized))
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
