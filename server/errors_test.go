package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/servertest"
)

// chunked hides a body's length, so the server must stop reading at the limit.
type chunked struct{ io.Reader }

func TestProblemKinds(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	const path = "/api/v1/auth/register"
	valid := `{"email":"kinds@example.com","password":"correct horse battery staple","name":"Kinds"}`
	big := `{"email":"big@example.com","password":"correct horse battery staple","name":"` + strings.Repeat("x", 70<<10) + `"}`
	json := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name   string
		method string
		path   string
		body   io.Reader
		header http.Header
		status int
		code   string
		field  string
	}{
		{"UnknownRoute_404", http.MethodGet, "/api/v1/unknown", nil, nil, 404, string(api.CodeNotFound), ""},
		{"WrongMethod_405", http.MethodGet, path, nil, nil, 405, string(api.CodeMethodNotAllowed), ""},
		{"MalformedJSON_400", http.MethodPost, path, strings.NewReader(`{"email":`), json, 400, string(api.CodeMalformedJSON), ""},
		{"TrailingData_400", http.MethodPost, path, strings.NewReader(valid + ` {"x":1}`), json, 400, string(api.CodeMalformedJSON), ""},
		{"TrailingGarbage_400", http.MethodPost, path, strings.NewReader(valid + `garbage`), json, 400, string(api.CodeMalformedJSON), ""},
		{"NotAnObject_400", http.MethodPost, path, strings.NewReader(`[1,2]`), json, 400, string(api.CodeValidationFailed), "body"},
		{"EmptyBody_400", http.MethodPost, path, strings.NewReader(``), json, 400, string(api.CodeValidationFailed), "body"},
		{"UnknownField_400", http.MethodPost, path, strings.NewReader(`{"email":"a@example.com","password":"correct horse battery staple","name":"A","admin":true}`), json, 400, string(api.CodeValidationFailed), "admin"},
		{"WrongType_400", http.MethodPost, path, strings.NewReader(`{"email":"a@example.com","password":12345678,"name":"A"}`), json, 400, string(api.CodeValidationFailed), "password"},
		{"TooLargeWithLength_413", http.MethodPost, path, strings.NewReader(big), json, 413, string(api.CodePayloadTooLarge), ""},
		{"TooLargeChunked_413", http.MethodPost, path, chunked{strings.NewReader(big)}, json, 413, string(api.CodePayloadTooLarge), ""},
		{"TextPlain_415", http.MethodPost, path, strings.NewReader(valid), http.Header{"Content-Type": {"text/plain"}}, 415, string(api.CodeUnsupportedMediaType), ""},
		{"NoContentType_415", http.MethodPost, path, strings.NewReader(valid), nil, 415, string(api.CodeUnsupportedMediaType), ""},
		{"FormEncoded_415", http.MethodPost, path, strings.NewReader("email=a"), http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, 415, string(api.CodeUnsupportedMediaType), ""},
		{"BadPathUUID_401FirstWithoutToken", http.MethodDelete, "/api/v1/auth/sessions/nope", nil, nil, 401, string(api.CodeUnauthenticated), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, b := e.Do(t, tc.method, tc.path, tc.body, tc.header)
			if res.StatusCode != tc.status {
				t.Fatalf("got %d %s", res.StatusCode, b)
			}
			p := servertest.ProblemOf(t, b)
			if p.Code != tc.code {
				t.Fatalf("code %q, want %q: %s", p.Code, tc.code, b)
			}
			if tc.field != "" && (p.Errors == nil || !hasField(*p.Errors, tc.field)) {
				t.Fatalf("want errors naming %q: %s", tc.field, b)
			}
			if strings.Contains(string(b), "Go") || strings.Contains(string(b), "json:") || strings.Contains(string(b), "kin") {
				t.Fatalf("the problem leaks internals: %s", b)
			}
		})
	}
}

func TestInternalErrorsAreHidden(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	mustExec(t, e, "ALTER TABLE users RENAME TO users_gone")
	res, b := e.Do(t, http.MethodPost, "/api/v1/auth/register", strings.NewReader(`{"email":"x@example.com","password":"correct horse battery staple","name":"X"}`), http.Header{"Content-Type": {"application/json"}})
	if res.StatusCode != 500 {
		t.Fatalf("got %d %s", res.StatusCode, b)
	}
	p := servertest.ProblemOf(t, b)
	if p.Code != string(api.CodeInternal) || p.Detail != nil || strings.Contains(string(b), "users") || strings.Contains(string(b), "SQLSTATE") {
		t.Fatalf("the 500 says too much: %s", b)
	}
	if !strings.Contains(e.Logs.String(), p.RequestId) || !strings.Contains(e.Logs.String(), "SQLSTATE") {
		t.Fatalf("the cause is not logged with the request id")
	}
}

// TestEveryOperationIsValidated sends each operation of the contract a request
// that only the validator refuses: no token for a secured operation, an unknown
// body field for an open one with a body. A route registered without the
// validator would answer otherwise.
func TestEveryOperationIsValidated(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			url := strings.ReplaceAll(path, "{id}", uuid.NewString())
			secured := op.Security == nil || len(*op.Security) > 0
			var body io.Reader
			header := http.Header{}
			want := 401
			switch {
			case secured:
			case op.RequestBody != nil:
				body, want = strings.NewReader(`{"__unknown__":true}`), 400
				header.Set("Content-Type", "application/json")
			default:
				continue // an open operation with nothing to validate
			}
			t.Run(op.OperationID, func(t *testing.T) {
				res, b := e.Do(t, method, url, body, header)
				if res.StatusCode != want {
					t.Fatalf("%s %s: %d %s, want %d from the validator", method, url, res.StatusCode, b, want)
				}
				if secured && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Fatalf("%s %s: 401 without a Bearer challenge", method, url)
				}
			})
			checked++
		}
	}
	if checked < 7 {
		t.Fatalf("only %d operations checked", checked)
	}
}
