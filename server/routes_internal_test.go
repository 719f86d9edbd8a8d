package server

import (
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/meridianhq/accounts/server/ratelimit"
)

// TestBehaviourOf reads the x-accounts-* extensions of an operation: a typo in
// the spec must stop the service at start, not silently drop a limit.
func TestBehaviourOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ext     map[string]any
		want    behaviour
		wantErr string
	}{
		{"None", nil, behaviour{}, ""},
		{"RateLimit", map[string]any{extRateLimit: "auth"}, behaviour{rateLimit: ratelimit.ScopeAuth}, ""},
		{"Page", map[string]any{extPage: true}, behaviour{page: true}, ""},
		{"OtherVendorsIgnored", map[string]any{"x-go-type": "string"}, behaviour{}, ""},
		{"UnknownScope", map[string]any{extRateLimit: "per-planet"}, behaviour{}, "names no limiter"},
		{"ScopeNotAString", map[string]any{extRateLimit: 3}, behaviour{}, "names no limiter"},
		{"PageNotABool", map[string]any{extPage: "yes"}, behaviour{}, "must be true or false"},
		{"UnknownExtension", map[string]any{"x-accounts-cache": true}, behaviour{}, "unknown extension"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := behaviourOf(&openapi3.Operation{OperationID: "op", Extensions: tt.ext})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v; want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("behaviourOf = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestRoutesRefuseUnknownLimiter builds the routes of a spec whose extension
// names an unknown limiter: New must fail, not serve without the limit.
func TestRoutesRefuseUnknownLimiter(t *testing.T) {
	t.Parallel()
	doc := &openapi3.T{OpenAPI: "3.0.3", Info: &openapi3.Info{Title: "t", Version: "1"}, Paths: openapi3.NewPaths()}
	op := openapi3.NewOperation()
	op.OperationID = "login"
	op.Extensions = map[string]any{extRateLimit: "logins-per-moon"}
	op.Responses = openapi3.NewResponses()
	doc.AddOperation("/login", "POST", op)
	s := &Server{}
	if _, err := s.operationMiddlewares(doc); err == nil || !strings.Contains(err.Error(), "logins-per-moon") {
		t.Fatalf("operationMiddlewares = %v; want an error naming the unknown scope", err)
	}
}
