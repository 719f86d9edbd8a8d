package server_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/servertest"
)

// hostile are the byte sequences PostgreSQL refuses in text, and that a client
// can put anywhere: NUL, a lone continuation byte, a truncated sequence, and an
// overlong encoding.
var hostile = map[string]string{"NUL": "a\x00b", "FF": "a\xffb", "Truncated": "a\xc3(b", "Overlong": "a\xc0\xafb"}

// TestHostileTextInParameters sends each hostile sequence in every query
// parameter of the listing: 400 VALIDATION_FAILED naming it, never a 500.
func TestHostileTextInParameters(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	admin := e.NewAdmin(t)
	for _, param := range []string{"q", "email", "role", "sort", "cursor", "limit", "deleted"} {
		for name, bad := range hostile {
			t.Run(param+"/"+name+"_400", func(t *testing.T) {
				t.Parallel()
				res, b := e.Call(t, http.MethodGet, "/api/v1/users?"+param+"="+url.QueryEscape(bad), admin.Tokens.AccessToken, "")
				if res.StatusCode != 400 {
					t.Fatalf("%d %s", res.StatusCode, b)
				}
				p := servertest.ProblemOf(t, b)
				if p.Code != string(api.CodeValidationFailed) && p.Code != string(api.CodeInvalidCursor) || !hasField(fieldsOf(p), param) {
					t.Fatalf("want 400 naming %s: %s", param, b)
				}
			})
		}
	}
}

func fieldsOf(p api.Problem) []api.FieldError {
	if p.Errors == nil {
		return nil
	}
	return *p.Errors
}

// TestHostileTextInBodies sends each hostile sequence in every string member of
// every request body: raw invalid UTF-8 is MALFORMED_JSON (RFC 8259 requires
// UTF-8), an escaped NUL is refused naming the field; never a 500, and nothing
// is stored with a replacement character.
func TestHostileTextInBodies(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	admin := e.NewAdmin(t)
	u := e.NewUser(t)
	bodies := []struct {
		method, path, token, template string
		fields                        []string
	}{
		{http.MethodPost, "/api/v1/auth/register", "", `{"email":"%email%","name":"%name%","password":"%password%"}`, []string{"email", "name", "password"}},
		{http.MethodPost, "/api/v1/auth/login", "", `{"email":"%email%","password":"%password%"}`, []string{"email", "password"}},
		{http.MethodPost, "/api/v1/auth/refresh", "", `{"refresh_token":"%refresh_token%"}`, []string{"refresh_token"}},
		{http.MethodPost, "/api/v1/users", admin.Tokens.AccessToken, `{"email":"%email%","name":"%name%","password":"%password%","role":"user"}`, []string{"email", "name", "password"}},
		{http.MethodPatch, userPath(u), u.Tokens.AccessToken, `{"email":"%email%","name":"%name%"}`, []string{"email", "name"}},
		{http.MethodPut, userPath(u) + "/password", u.Tokens.AccessToken, `{"current_password":"%current_password%","new_password":"%new_password%"}`, []string{"current_password", "new_password"}},
	}
	good := map[string]string{"email": "ok@example.com", "name": "Ok", "password": servertest.StrongPassword, "refresh_token": "x",
		"current_password": u.Password, "new_password": "purple monkey dishwasher lamp"}
	for _, b := range bodies {
		for _, field := range b.fields {
			for name, bad := range hostile {
				t.Run(b.method+b.path+"/"+field+"/"+name, func(t *testing.T) {
					t.Parallel()
					body := b.template
					for f, v := range good {
						if f == field {
							v = strings.ReplaceAll(bad, "\x00", `\u0000`)
						}
						body = strings.ReplaceAll(body, "%"+f+"%", v)
					}
					res, rb := e.Do(t, b.method, b.path, strings.NewReader(body), http.Header{
						"Content-Type": {"application/json"}, "Authorization": {"Bearer " + b.token}})
					if res.StatusCode >= 500 || res.StatusCode < 400 {
						t.Fatalf("%s: %d %s", body, res.StatusCode, rb)
					}
					if bytes.Contains(rb, []byte("\ufffd")) {
						t.Fatalf("a replacement character came back: %s", rb)
					}
				})
			}
		}
	}
}

// TestHostileTextInHeaders logs in with each hostile sequence in the stored
// User-Agent: the session starts, with the header repaired. (A NUL in a header
// never reaches a handler: net/http answers such a request 400 itself.)
func TestHostileTextInHeaders(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := e.NewUser(t)
	for name, bad := range hostile {
		if strings.Contains(bad, "\x00") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			res, b := e.Do(t, http.MethodPost, "/api/v1/auth/login",
				strings.NewReader(`{"email":"`+u.Email+`","password":"`+u.Password+`"}`),
				http.Header{"Content-Type": {"application/json"}, "User-Agent": {"ua " + bad}})
			if res.StatusCode != 200 {
				t.Fatalf("login with User-Agent %q: %d %s", bad, res.StatusCode, b)
			}
		})
	}
	list, err := e.Client.ListSessionsWithResponse(context.Background(), servertest.Bearer(u.Tokens.AccessToken))
	if err != nil || list.JSON200 == nil {
		t.Fatalf("sessions: %v", err)
	}
	if n := len(list.JSON200.Items); n != len(hostile) { // the helper's login and one per sequence
		t.Fatalf("%d sessions; want %d", n, len(hostile))
	}
	for _, s := range list.JSON200.Items {
		if !utf8.ValidString(s.UserAgent) {
			t.Fatalf("an invalid User-Agent was stored: %q", s.UserAgent)
		}
	}
}
