package httpx

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
)

// twoRoutes is a contract of two secured operations with different path
// parameters.
const twoRoutes = `openapi: 3.0.3
info: {title: t, version: "1"}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
security: [{bearer: []}]
paths:
  /a/{x}:
    get:
      operationId: getA
      parameters: [{name: x, in: path, required: true, schema: {type: string}}]
      responses: {"204": {description: ok}}
  /b/{y}:
    get:
      operationId: getB
      parameters: [{name: y, in: path, required: true, schema: {type: string}}]
      responses: {"204": {description: ok}}
`

// TestPathParamsAreTheRequestsOwn checks that the validator's pooled maps of
// path parameters carry nothing from one request into the next: each request's
// authentication sees exactly its own parameters.
func TestPathParamsAreTheRequestsOwn(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(twoRoutes))
	if err != nil {
		t.Fatal(err)
	}
	var seen []map[string]string
	v := NewValidator(doc, func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
		seen = append(seen, maps.Clone(in.RequestValidationInput.PathParams))
		return nil
	})
	ops, err := Operations(doc)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	for _, op := range ops {
		path := map[string]string{"/a/{x}": "/a/:x", "/b/{y}": "/b/:y"}[op.Path]
		e.Add(op.Method, path, func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }, v.For(op))
	}
	for _, path := range []string{"/a/1", "/b/2", "/a/3"} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusNoContent {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
	}
	want := []map[string]string{{"x": "1"}, {"y": "2"}, {"x": "3"}}
	for i := range want {
		if i >= len(seen) || !maps.Equal(seen[i], want[i]) {
			t.Fatalf("path parameters seen: %v; want %v", seen, want)
		}
	}
}
