package httpx

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/meridianhq/accounts/gen/api"
)

// TestCodesMatchSpec ties the table of codes to the contract: every code the
// spec's ProblemCode lists has a row, and every row is in the spec.
func TestCodesMatchSpec(t *testing.T) {
	t.Parallel()
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	ref, ok := doc.Components.Schemas["ProblemCode"]
	if !ok || ref.Value == nil {
		t.Fatal("the spec has no components.schemas.ProblemCode")
	}
	var spec []string
	for _, v := range ref.Value.Enum {
		spec = append(spec, v.(string))
	}
	var table []string
	for _, c := range Codes() {
		table = append(table, string(c.Code))
	}
	for _, code := range spec {
		if !slices.Contains(table, code) {
			t.Errorf("the spec lists %s, the table of codes has no row for it", code)
		}
	}
	for _, code := range table {
		if !slices.Contains(spec, code) {
			t.Errorf("the table of codes has %s, the spec's ProblemCode does not list it", code)
		}
	}
}

func TestCodeTable(t *testing.T) {
	t.Parallel()
	seen := map[api.ProblemCode]bool{}
	for _, c := range Codes() {
		if seen[c.Code] {
			t.Errorf("%s has two rows", c.Code)
		}
		seen[c.Code] = true
		if c.Status < 400 || c.Status > 599 || c.Title == "" {
			t.Errorf("%s: status %d, title %q", c.Code, c.Status, c.Title)
		}
	}
}

func TestStatusCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		want   api.ProblemCode
	}{
		{http.StatusBadRequest, api.CodeValidationFailed},
		{http.StatusUnauthorized, api.CodeUnauthenticated},
		{http.StatusForbidden, api.CodeForbidden},
		{http.StatusNotFound, api.CodeNotFound},
		{http.StatusConflict, api.CodeEmailTaken},
		{http.StatusServiceUnavailable, api.CodeNotReady},
		{http.StatusTeapot, api.CodeInternal},
	}
	for _, tt := range tests {
		if got := StatusCode(tt.status); got != tt.want {
			t.Errorf("StatusCode(%d) = %s; want %s", tt.status, got, tt.want)
		}
	}
}

func TestProblem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		code       api.ProblemCode
		wantStatus int
		wantCode   string
		wantType   string
	}{
		{"Known", api.CodeUserNotFound, 404, "USER_NOT_FOUND", "urn:problem-type:accounts:user-not-found"},
		{"UnknownIsInternal", "NO_SUCH_CODE", 500, "INTERNAL", "urn:problem-type:accounts:internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := Problem(context.Background(), tt.code, "detail", Field("f", "is wrong"))
			if p.Status != tt.wantStatus || p.Code != tt.wantCode || p.Type != tt.wantType || p.Title == "" {
				t.Fatalf("problem %+v", p)
			}
			if p.Detail == nil || *p.Detail != "detail" || p.Errors == nil || (*p.Errors)[0].Field != "f" {
				t.Fatalf("detail and fields: %+v", p)
			}
		})
	}
	if p := Problem(context.Background(), api.CodeInternal, ""); p.Detail != nil || p.Errors != nil {
		t.Fatalf("an empty detail and no fields are left out: %+v", p)
	}
}
