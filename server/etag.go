package server

import (
	"strconv"
	"strings"
)

// etag is the strong entity tag of a user at version.
func etag(version int64) string { return `"v` + strconv.FormatInt(version, 10) + `"` }

// precondition is a parsed If-Match header (RFC 9110 §13.1.1).
type precondition struct {
	present bool     // the header was sent
	any     bool     // If-Match: *
	tags    []string // strong entity tags, quotes included
}

// parseIfMatch reads If-Match. Weak tags (W/"…") are dropped: If-Match uses the
// strong comparison, so they never match.
func parseIfMatch(h *string) precondition {
	if h == nil {
		return precondition{}
	}
	pc := precondition{present: true}
	for _, part := range strings.Split(*h, ",") {
		tag := strings.TrimSpace(part)
		switch {
		case tag == "*":
			pc.any = true
		case len(tag) >= 2 && tag[0] == '"' && tag[len(tag)-1] == '"':
			pc.tags = append(pc.tags, tag)
		}
	}
	return pc
}

// allows reports whether the change may apply to the representation at version.
// No header: the last writer wins.
func (pc precondition) allows(version int64) bool {
	if !pc.present || pc.any {
		return true
	}
	want := etag(version)
	for _, t := range pc.tags {
		if t == want {
			return true
		}
	}
	return false
}
