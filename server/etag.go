package server

import (
	"strconv"
	"strings"
)

// etag is the strong entity tag of a user at version.
func etag(version int64) string { return `"v` + strconv.FormatInt(version, 10) + `"` }

// entityTags is a parsed If-Match or If-None-Match header (RFC 9110 §13.1).
// The contract's patterns have already refused a malformed one, so each
// element is *, a quoted tag, or (If-None-Match only) a weak W/"…" tag.
type entityTags struct {
	present bool     // the header was sent
	any     bool     // *
	tags    []string // the opaque tags, quotes included, W/ removed
}

// parseEntityTags reads a validated If-Match or If-None-Match header.
func parseEntityTags(h *string) entityTags {
	if h == nil {
		return entityTags{}
	}
	et := entityTags{present: true}
	for _, part := range strings.Split(*h, ",") {
		tag := strings.TrimSpace(part)
		if tag == "*" {
			et.any = true
			continue
		}
		et.tags = append(et.tags, strings.TrimPrefix(tag, "W/"))
	}
	return et
}

// names reports whether the tags name the user at version. If-Match compares
// strongly and If-None-Match weakly, but our tags are all strong and the
// contract lets no weak one into If-Match, so one comparison serves both.
func (et entityTags) names(version int64) bool {
	if et.any {
		return true
	}
	want := etag(version)
	for _, t := range et.tags {
		if t == want {
			return true
		}
	}
	return false
}

// allows reports whether a change under If-Match may apply to the user at
// version. No header: the last writer wins.
func (et entityTags) allows(version int64) bool { return !et.present || et.names(version) }

// notModified reports whether a GET under If-None-Match is answered 304.
func (et entityTags) notModified(version int64) bool { return et.present && et.names(version) }
