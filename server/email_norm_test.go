package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/servertest"
)

// TestEmailsAreUnicodeNormalised registers an address, then tries the same
// address in another Unicode form or case: each is the same account (409 on
// register, a login as that user), however the bytes differ.
func TestEmailsAreUnicodeNormalised(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	tests := []struct {
		name, first string
		same        []string
	}{
		{"NFCandNFD", "jos\u00e9@example.com", []string{"jose\u0301@example.com", "JOS\u00c9@example.com", "JOSE\u0301@EXAMPLE.COM"}},
		{"SharpS", "stra\u00dfe@example.com", []string{"STRASSE@example.com", "strasse@example.com"}},
		{"Greek", "\u03c3\u03bf\u03c6\u03af\u03b1@example.com", []string{"\u03a3\u039f\u03a6\u038a\u0391@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := e.Register(t, tt.first, "First", servertest.StrongPassword)
			for _, other := range tt.same {
				res, b := e.Do(t, http.MethodPost, "/api/v1/auth/register",
					strings.NewReader(`{"email":"`+other+`","name":"Again","password":"`+servertest.StrongPassword+`"}`),
					http.Header{"Content-Type": {"application/json"}})
				if res.StatusCode != 409 || servertest.ProblemOf(t, b).Code != string(api.CodeEmailTaken) {
					t.Fatalf("register %q after %q: %d %s; want 409 EMAIL_TAKEN", other, tt.first, res.StatusCode, b)
				}
				pair := e.Login(t, other, servertest.StrongPassword)
				if sub := claimOf(t, pair.AccessToken, "sub"); sub != u.Id.String() {
					t.Fatalf("login as %q is user %s; want %s", other, sub, u.Id)
				}
			}
		})
	}
}
