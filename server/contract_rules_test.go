package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/servertest"
)

// TestContractSaysWhatServiceDoes: what the service refuses, the contract
// says, and each refusal names what is wrong: path parameters like any field,
// booleans as the schema types them, the patterns of names and addresses, and
// methods a literal path lacks (never a fall-through to its {id} sibling).
func TestContractSaysWhatServiceDoes(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	admin := e.NewAdmin(t)
	tok := admin.Tokens.AccessToken
	me := userPath(admin)
	tests := []struct {
		name, method, path, body string
		status                   int
		code, field, reason      string
		allow                    string
	}{
		{"PathNotUUID_400", http.MethodGet, "/api/v1/users/not-a-uuid", "", 400, string(api.CodeValidationFailed), "id", "must be a UUID", ""},
		{"PathInvalidEscape_400", http.MethodDelete, "/api/v1/auth/sessions/%ff", "", 400, string(api.CodeValidationFailed), "id", "must be a UUID", ""},
		{"PathUUIDWithoutDashes_400", http.MethodGet, "/api/v1/users/" + strings.ReplaceAll(admin.Id.String(), "-", ""), "", 400, string(api.CodeValidationFailed), "id", "must be a UUID", ""},
		{"QueryNotUUID_400", http.MethodGet, "/api/v1/audit-events?actor=nope", "", 400, string(api.CodeValidationFailed), "actor", "must be a UUID", ""},
		{"QueryNotDateTime_400", http.MethodGet, "/api/v1/audit-events?since=yesterday", "", 400, string(api.CodeValidationFailed), "since", "must be an RFC 3339 date-time, such as 2026-01-02T15:04:05Z", ""},
		{"BooleanOne_400", http.MethodGet, "/api/v1/users?deleted=1", "", 400, string(api.CodeValidationFailed), "deleted", "must be true or false", ""},
		{"BooleanUpper_400", http.MethodGet, "/api/v1/users?deleted=TRUE", "", 400, string(api.CodeValidationFailed), "deleted", "must be true or false", ""},
		{"BooleanT_400", http.MethodGet, "/api/v1/users?deleted=t", "", 400, string(api.CodeValidationFailed), "deleted", "must be true or false", ""},
		{"BooleanTrue_200", http.MethodGet, "/api/v1/users?deleted=true", "", 200, "", "", "", ""},
		{"BooleanFalse_200", http.MethodGet, "/api/v1/users?deleted=false", "", 200, "", "", "", ""},
		{"DisabledOne_400", http.MethodGet, "/api/v1/users?disabled=1", "", 400, string(api.CodeValidationFailed), "disabled", "must be true or false", ""},
		{"PatchDisabledString_400", http.MethodPatch, me, `{"disabled":"true"}`, 400, string(api.CodeValidationFailed), "disabled", "value must be a boolean", ""},
		{"NameControl_400", http.MethodPatch, me, `{"name":"Bell\u0007"}`, 400, string(api.CodeValidationFailed), "name", "must not contain control characters", ""},
		{"NameFormatChar_400", http.MethodPatch, me, `{"name":"Zero\u200bWidth"}`, 400, string(api.CodeValidationFailed), "name", "must not contain control characters", ""},
		{"NameLineSeparator_400", http.MethodPatch, me, `{"name":"Two\u2028Lines"}`, 400, string(api.CodeValidationFailed), "name", "must not contain control characters", ""},
		{"NameSurroundingSpace_200", http.MethodPatch, me, `{"name":"  Spaced Out \n"}`, 200, "", "", "", ""},
		{"EmailNoAt_400", http.MethodPatch, me, `{"email":"nobody.example.com"}`, 400, string(api.CodeValidationFailed), "email", "must be an address of the form local@domain", ""},
		{"EmailTwoAts_400", http.MethodPatch, me, `{"email":"a@b@example.com"}`, 400, string(api.CodeValidationFailed), "email", "must be an address of the form local@domain", ""},
		{"PatchMe_405", http.MethodPatch, "/api/v1/users/me", `{"name":"x"}`, 405, string(api.CodeMethodNotAllowed), "", "", "OPTIONS, GET"},
		{"DeleteMe_405", http.MethodDelete, "/api/v1/users/me", "", 405, string(api.CodeMethodNotAllowed), "", "", "OPTIONS, GET"},
		{"PutMe_405", http.MethodPut, "/api/v1/users/me", "", 405, string(api.CodeMethodNotAllowed), "", "", "OPTIONS, GET"},
		{"PostMe_405", http.MethodPost, "/api/v1/users/me", "", 405, string(api.CodeMethodNotAllowed), "", "", "OPTIONS, GET"},
		// Authentication comes before any parameter.
		{"BooleanOneNoToken_401", http.MethodGet, "/api/v1/users?deleted=1", "-", 401, string(api.CodeUnauthenticated), "", "", ""},
		{"QueryNULNoToken_401", http.MethodGet, "/api/v1/users?q=a%00b", "-", 401, string(api.CodeUnauthenticated), "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token, body := tok, tc.body
			if body == "-" { // no token at all
				token, body = "", ""
			}
			res, b := e.Call(t, tc.method, tc.path, token, body)
			if res.StatusCode != tc.status {
				t.Fatalf("got %d %s", res.StatusCode, b)
			}
			if tc.allow != "" && res.Header.Get("Allow") != tc.allow {
				t.Fatalf("Allow %q, want %q", res.Header.Get("Allow"), tc.allow)
			}
			if tc.code == "" {
				return
			}
			p := servertest.ProblemOf(t, b)
			if p.Code != tc.code {
				t.Fatalf("code %q, want %q: %s", p.Code, tc.code, b)
			}
			if tc.field == "" {
				return
			}
			if p.Errors == nil || len(*p.Errors) != 1 || (*p.Errors)[0].Field != tc.field || (*p.Errors)[0].Reason != tc.reason {
				t.Fatalf("want one error, %s %q: %s", tc.field, tc.reason, b)
			}
		})
	}
}
