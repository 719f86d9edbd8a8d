package server

import (
	"net/url"
	"strconv"

	"github.com/meridianhq/accounts/server/auth"
)

// nextPage seals the cursor after last for the listing of path whose filters
// are query (their encoding, scope, is what the cursor is bound to), and the
// Link header of the next page.
func (s *Server) nextPage(path string, query url.Values, scope string, limit int, last auth.Cursor) (*string, *string) {
	next := s.Cursors.Encode(last, scope)
	query.Set("limit", strconv.Itoa(limit))
	query.Set("cursor", next)
	link := "<" + path + "?" + query.Encode() + `>; rel="next"`
	return &next, &link
}

// afterCursor opens the cursor of a listing: nil for the first page; false when
// it was altered, or issued for other filters.
func (s *Server) afterCursor(cursor *string, scope string) (*auth.Cursor, bool) {
	if cursor == nil {
		return nil, true
	}
	c, err := s.Cursors.Decode(*cursor, scope)
	if err != nil {
		return nil, false
	}
	return &c, true
}

// pageSize is the limit parameter of a listing, or its default.
func pageSize(limit *int) int {
	if limit == nil {
		return defaultPageSize
	}
	return *limit
}
