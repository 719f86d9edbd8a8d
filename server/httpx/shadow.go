package httpx

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
)

// allowOrder is the order in which Echo lists methods in Allow.
var allowOrder = []string{http.MethodConnect, http.MethodDelete, http.MethodGet, http.MethodHead, http.MethodPatch,
	http.MethodPost, "PROPFIND", http.MethodPut, http.MethodTrace, "REPORT"}

// RefuseShadowedMethods answers 405, with the Allow header of the path itself,
// the methods a literal path lacks when a templated sibling has some of them:
// without it Echo routes PATCH /users/me to PATCH /users/{id}, which refuses
// "me" as an id with a 400, while PUT /users/me (which no sibling has) is a
// proper 405.
func RefuseShadowedMethods(e *echo.Echo, ops []Operation) {
	methods := map[string][]string{} // path → its methods
	for _, op := range ops {
		methods[op.Path] = append(methods[op.Path], op.Method)
	}
	for path, own := range methods {
		if !shadowed(path, methods) {
			continue
		}
		allow := allowHeader(own)
		refuse := func(c echo.Context) error {
			c.Response().Header().Set(echo.HeaderAllow, allow)
			return echo.ErrMethodNotAllowed
		}
		// Every other method, not only the sibling's: once one is registered
		// here, Echo's own 405 would list it in Allow.
		for _, m := range allowOrder {
			if !slices.Contains(own, m) {
				e.Add(m, echoPath(path), refuse)
			}
		}
	}
}

// shadowed reports whether a templated sibling of path has a method path lacks.
func shadowed(path string, methods map[string][]string) bool {
	for other, theirs := range methods {
		if other == path || !shadows(other, path) {
			continue
		}
		for _, m := range theirs {
			if !slices.Contains(methods[path], m) {
				return true
			}
		}
	}
	return false
}

// shadows reports whether the templated path t matches every request path
// that p matches, as /users/{id} does /users/me.
func shadows(t, p string) bool {
	ts, ps := strings.Split(t, "/"), strings.Split(p, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if ts[i] != ps[i] && !isTemplate(ts[i]) {
			return false
		}
		if isTemplate(ps[i]) && !isTemplate(ts[i]) {
			return false
		}
	}
	return true
}

func isTemplate(segment string) bool {
	return strings.HasPrefix(segment, "{") && strings.HasSuffix(segment, "}")
}

// echoPath is an OpenAPI path in Echo's syntax: /users/{id} → /users/:id.
func echoPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if isTemplate(s) {
			segs[i] = ":" + s[1:len(s)-1]
		}
	}
	return strings.Join(segs, "/")
}

// allowHeader lists methods as Echo's own 405 does: OPTIONS first.
func allowHeader(methods []string) string {
	out := []string{http.MethodOptions}
	for _, m := range allowOrder {
		if slices.Contains(methods, m) {
			out = append(out, m)
		}
	}
	return strings.Join(out, ", ")
}
