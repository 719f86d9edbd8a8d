package accounts_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/meridianhq/accounts/gen/client"
	accounts "github.com/meridianhq/accounts/sdk/go"
	"github.com/meridianhq/accounts/server/servertest"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := e.NewUser(t)
	s, err := accounts.NewSession(e.URL)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("WrongPassword_401", func(t *testing.T) {
		pe := problem(t, s.Login(t.Context(), u.Email, "not the password at all"))
		if pe.Status != 401 || pe.Code != client.CodeInvalidCredentials {
			t.Fatalf("got %v, want 401 INVALID_CREDENTIALS", pe)
		}
		if _, ok := s.Tokens(); ok {
			t.Fatal("a refused login left tokens")
		}
	})
	t.Run("Malformed_400", func(t *testing.T) {
		pe := problem(t, s.Login(t.Context(), "not an address", u.Password))
		if _, named := pe.Field("email"); pe.Status != 400 || !named {
			t.Fatalf("got %v, want a 400 naming email", pe)
		}
	})
	t.Run("Success_200", func(t *testing.T) {
		if err := s.Login(t.Context(), u.Email, u.Password); err != nil {
			t.Fatal(err)
		}
		pair, ok := s.Tokens()
		if !ok || e.Me(t, pair.AccessToken) != 200 {
			t.Fatalf("after login: %v, %+v", ok, pair)
		}
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)

	t.Run("Current_204", func(t *testing.T) {
		_, s, _ := login(t, e, nil)
		pair, _ := s.Tokens()
		if err := s.Logout(t.Context(), client.Current); err != nil {
			t.Fatal(err)
		}
		if _, ok := s.Tokens(); ok || e.Me(t, pair.AccessToken) != 401 {
			t.Fatal("after logout the session has tokens, or its access token still works")
		}
		if err := s.Logout(t.Context(), ""); err != nil {
			t.Fatalf("logging out twice: %v", err)
		}
	})
	t.Run("ExpiredToken_RefreshesFirst", func(t *testing.T) {
		e := servertest.New(t)
		_, s, _ := login(t, e, nil)
		expire(e)
		if err := s.Logout(t.Context(), ""); err != nil {
			t.Fatal(err)
		}
		if _, st := served(t, e, "logout"); st[204] != 1 || refreshes(t, e) != 1 {
			t.Fatalf("logout answered %v after %d refreshes, want one 204 after one", st, refreshes(t, e))
		}
	})
	t.Run("AlreadyRevoked_NoError", func(t *testing.T) {
		u, s, _ := login(t, e, nil)
		e.DeleteUser(t, u.Id)
		if err := s.Logout(t.Context(), client.All); err != nil {
			t.Fatalf("logging out of an ended session: %v", err)
		}
		if _, ok := s.Tokens(); ok {
			t.Fatal("tokens kept")
		}
	})
	t.Run("Others_KeepsTokens", func(t *testing.T) {
		u, s, _ := login(t, e, nil)
		other := e.Login(t, u.Email, u.Password)
		if err := s.Logout(t.Context(), client.Others); err != nil {
			t.Fatal(err)
		}
		pair, ok := s.Tokens()
		if !ok || e.Me(t, pair.AccessToken) != 200 || e.Me(t, other.AccessToken) != 401 {
			t.Fatal("logout of the others ended this session, or not the others")
		}
	})
}

// TestTokensStayAtTheirOrigin: the session signs only requests for its base
// URL, and leaves a request's own Authorization alone.
func TestTokensStayAtTheirOrigin(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	_, s, _ := login(t, e, nil)
	seen := make(chan string, 1)
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Get("Authorization")
	}))
	t.Cleanup(elsewhere.Close)

	get := func(url, auth string) string {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := s.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		return <-seen
	}
	if got := get(elsewhere.URL+"/api/v1/users/me", ""); got != "" {
		t.Errorf("another origin got Authorization %q", got)
	}
	if got := get(elsewhere.URL, "Basic eDp5"); got != "Basic eDp5" {
		t.Errorf("a request's own Authorization became %q", got)
	}
}

func TestNewSessionRefusesBadBaseURLs(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "localhost:8080", "ftp://example.com", "http://", "http://[::1"} {
		if _, err := accounts.NewSession(u); err == nil {
			t.Errorf("NewSession(%q) succeeded", u)
		}
	}
	for _, u := range []string{"http://localhost:8080", "https://example.com/accounts/"} {
		if _, err := accounts.NewSession(u); err != nil {
			t.Errorf("NewSession(%q): %v", u, err)
		}
	}
}
