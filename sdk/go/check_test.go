package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/client"
	accounts "github.com/meridianhq/accounts/sdk/go"
	"github.com/meridianhq/accounts/server/servertest"
)

// TestCheckOverOperations: the error answers of several operations of a real
// server become ProblemErrors with their status, code, fields and request id.
func TestCheckOverOperations(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u, _, api := login(t, e, nil)
	anon := e.Client
	stale := `"stale"`
	rename := "Renamed"
	tests := []struct {
		name   string
		call   func(context.Context, client.RequestEditorFn) (accounts.Response, error)
		status int
		code   client.ProblemCode
		field  string // a field the problem must name
	}{
		{"Register_400", func(ctx context.Context, ed client.RequestEditorFn) (accounts.Response, error) {
			return anon.RegisterWithResponse(ctx, client.RegisterRequest{Email: "not an address", Name: "X", Password: servertest.StrongPassword}, ed)
		}, 400, client.CodeValidationFailed, "email"},
		{"Login_401", func(ctx context.Context, ed client.RequestEditorFn) (accounts.Response, error) {
			return anon.LoginWithResponse(ctx, client.LoginRequest{Email: u.Email, Password: "not the password at all"}, ed)
		}, 401, client.CodeInvalidCredentials, ""},
		{"GetMeWithoutToken_401", func(ctx context.Context, ed client.RequestEditorFn) (accounts.Response, error) {
			return anon.GetMeWithResponse(ctx, nil, ed)
		}, 401, client.CodeUnauthenticated, ""},
		{"ListUsersNotAdmin_403", func(ctx context.Context, ed client.RequestEditorFn) (accounts.Response, error) {
			return api.ListUsersWithResponse(ctx, nil, ed)
		}, 403, client.CodeForbidden, ""},
		{"GetUser_404", func(ctx context.Context, ed client.RequestEditorFn) (accounts.Response, error) {
			return api.GetUserWithResponse(ctx, uuid.New(), nil, ed)
		}, 404, client.CodeUserNotFound, ""},
		{"RegisterTaken_409", func(ctx context.Context, ed client.RequestEditorFn) (accounts.Response, error) {
			return anon.RegisterWithResponse(ctx, client.RegisterRequest{Email: strings.ToUpper(u.Email), Name: "Again", Password: servertest.StrongPassword}, ed)
		}, 409, client.CodeEmailTaken, ""},
		{"UpdateStale_412", func(ctx context.Context, ed client.RequestEditorFn) (accounts.Response, error) {
			return api.UpdateUserWithResponse(ctx, u.Id, &client.UpdateUserParams{IfMatch: &stale}, client.UserPatch{Name: &rename}, ed)
		}, 412, client.CodePreconditionFailed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := "check-" + strings.ToLower(tc.name)
			res, err := tc.call(t.Context(), func(_ context.Context, r *http.Request) error {
				r.Header.Set("X-Request-ID", id)
				return nil
			})
			err = accounts.Check(res, err)
			var pe *accounts.ProblemError
			if !errors.As(fmt.Errorf("wrapped: %w", err), &pe) {
				t.Fatalf("want a *ProblemError through a wrap, got %T: %v", err, err)
			}
			if pe.Status != tc.status || pe.Code != tc.code || pe.RequestID != id || pe.Title == "" {
				t.Fatalf("got %+v, want %d %s with request id %s and a title", pe, tc.status, tc.code, id)
			}
			if reason, ok := pe.Field(tc.field); tc.field != "" && (!ok || reason == "") {
				t.Fatalf("the problem does not name %s: %+v", tc.field, pe.Errors)
			}
			for _, part := range []string{fmt.Sprint(tc.status), string(tc.code), id, tc.field} {
				if !strings.Contains(pe.Error(), part) {
					t.Errorf("Error() %q does not say %q", pe.Error(), part)
				}
			}
		})
	}
}

// TestCheckPassesSuccessAndErrors: 2xx is no error, a call's own error is
// returned as it is, and a missing answer is an error.
func TestCheckPassesSuccessAndErrors(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	_, s, api := login(t, e, nil)
	me, err := api.GetMeWithResponse(t.Context(), nil)
	if err := accounts.Check(me, err); err != nil {
		t.Fatalf("200: %v", err)
	}
	if err := s.Logout(t.Context(), ""); err != nil { // 204
		t.Fatalf("204: %v", err)
	}
	sentinel := errors.New("no answer")
	if err := accounts.Check((*client.GetMeResponse)(nil), sentinel); err != sentinel {
		t.Fatalf("got %v, want the call's error", err)
	}
	if err := accounts.Check(nil, nil); err == nil {
		t.Fatal("no response and no error passed as success")
	}
}

// TestAnswersThatAreNotProblems: an error answer from something in front of
// the service (a proxy's 502 page) still gives a ProblemError with its status.
func TestAnswersThatAreNotProblems(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 150) // 300 bytes: cut at a rune, not inside one
	tests := []struct {
		name, contentType, body string
		status                  int
		wantDetail              []string
		wantNoDetail            string
	}{
		{"ProxyText_502", "text/plain; charset=utf-8", "upstream connect error\n", 502,
			[]string{"502", "text/plain", `"upstream connect error"`}, ""},
		{"HTML_503", "text/html", "<html><body>Service Unavailable</body></html>", 503,
			[]string{"text/html", "Service Unavailable"}, ""},
		{"NoContentType_500", "", "", 500, []string{"no content type"}, ":"},
		{"Binary_500", "application/octet-stream", "\x00\x01\xff", 500, []string{"application/octet-stream"}, "\\x"},
		{"Long_502", "text/plain", long, 502, []string{"…"}, long},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tc.contentType != "" {
					w.Header().Set("Content-Type", tc.contentType)
				} else {
					w.Header()["Content-Type"] = nil // no sniffing
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			t.Cleanup(srv.Close)
			c, err := client.NewClientWithResponses(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			me, err := c.GetMeWithResponse(t.Context(), nil)
			pe := problem(t, accounts.Check(me, err))
			if pe.Status != tc.status || pe.Code != accounts.CodeUnexpectedResponse || pe.Title != http.StatusText(tc.status) {
				t.Fatalf("got %+v", pe)
			}
			for _, want := range tc.wantDetail {
				if !strings.Contains(pe.Detail, want) {
					t.Errorf("detail %q does not say %q", pe.Detail, want)
				}
			}
			if tc.wantNoDetail != "" && strings.Contains(strings.TrimPrefix(pe.Detail, "the server answered"), tc.wantNoDetail) {
				t.Errorf("detail %q says %q", pe.Detail, tc.wantNoDetail)
			}
			if !strings.Contains(pe.Error(), fmt.Sprint(tc.status)) {
				t.Errorf("Error() %q has no status", pe.Error())
			}
		})
	}
}

// TestProblemFrom reads raw answers: problems of routes the contract does not
// have, and problem documents that are not.
func TestProblemFrom(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	for _, tc := range []struct {
		method, path string
		status       int
		code         client.ProblemCode
	}{
		{http.MethodGet, "/api/v1/nowhere", 404, client.CodeNotFound},
		{http.MethodPut, "/api/v1/auth/login", 405, client.CodeMethodNotAllowed},
	} {
		res, body := e.Call(t, tc.method, tc.path, "", "")
		pe := accounts.ProblemFrom(res, body)
		if pe.Status != tc.status || pe.Code != tc.code || pe.RequestID != res.Header.Get("X-Request-ID") {
			t.Errorf("%s %s: got %+v, want %d %s", tc.method, tc.path, pe, tc.status, tc.code)
		}
	}

	res := &http.Response{StatusCode: 502, Status: "502 Bad Gateway", Header: http.Header{}}
	res.Header.Set("Content-Type", "application/problem+json")
	res.Header.Set("X-Request-ID", "from-header")
	for body, why := range map[string]string{"<html>": "does not decode", `{"title":"x"}`: "without a code"} {
		pe := accounts.ProblemFrom(res, []byte(body))
		if pe.Code != accounts.CodeUnexpectedResponse || pe.RequestID != "from-header" || !strings.Contains(pe.Detail, why) {
			t.Errorf("problem+json %s: got %+v, want UNEXPECTED_RESPONSE saying %q", body, pe, why)
		}
	}
}

// TestEveryResultIsAResponse: Check takes the result of every operation of
// the generated client, including operations added after this test.
func TestEveryResultIsAResponse(t *testing.T) {
	t.Parallel()
	iface := reflect.TypeFor[client.ClientWithResponsesInterface]()
	want := reflect.TypeFor[accounts.Response]()
	for i := range iface.NumMethod() {
		m := iface.Method(i)
		if out := m.Type.Out(0); !out.Implements(want) {
			t.Errorf("%s returns %s, which Check cannot take", m.Name, out)
		}
	}
	if iface.NumMethod() < 20 {
		t.Fatalf("only %d operations: is this the generated interface?", iface.NumMethod())
	}
}
