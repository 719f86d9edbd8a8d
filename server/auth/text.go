package auth

import (
	"strings"
	"unicode/utf8"
)

// HeaderText turns a header value into text PostgreSQL takes and a row keeps:
// invalid UTF-8 and NUL become U+FFFD, then it is cut to at most n bytes
// without splitting a character. Header bytes are the client's, not ours to
// refuse a request over.
func HeaderText(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
