package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server/servertest"
)

func userPath(u servertest.User) string { return "/api/v1/users/" + u.Id.String() }

func TestETagIfMatch(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := e.NewUser(t)
	tok := u.Tokens.AccessToken
	res, _ := e.Call(t, http.MethodGet, userPath(u), tok, "")
	first := res.Header.Get("ETag")
	if !strings.HasPrefix(first, `"`) || strings.HasPrefix(first, "W/") {
		t.Fatalf("ETag %q, want a strong tag", first)
	}
	res, b := e.Call(t, http.MethodPatch, userPath(u), tok, `{"name":"Fresh"}`, "If-Match", first)
	second := res.Header.Get("ETag")
	if res.StatusCode != 200 || second == first || second == "" {
		t.Fatalf("fresh If-Match: %d %s, ETag %q after %q", res.StatusCode, b, second, first)
	}
	tests := []struct {
		name, ifMatch string
		status        int
	}{
		{"Stale_412", first, 412},
		// The current version, but not as a strong quoted tag: a malformed
		// header, not a changed user.
		{"Weak_400", "W/" + second, 400},
		{"Unquoted_400", strings.Trim(second, `"`), 400},
		{"Garbage_400", "nonsense", 400},
		{"UnterminatedList_400", second + ",", 400},
		{"OneOfList_200", first + `, ` + second, 200},
		{"Star_200", "*", 200},
		{"Absent_LastWriterWins_200", "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cur, _ := e.Call(t, http.MethodGet, userPath(u), tok, "")
			var extra []string
			if tc.ifMatch != "" {
				extra = []string{"If-Match", strings.ReplaceAll(tc.ifMatch, second, cur.Header.Get("ETag"))}
			}
			res, b := e.Call(t, http.MethodPatch, userPath(u), tok, `{"name":"`+tc.name+`"}`, extra...)
			if res.StatusCode != tc.status {
				t.Fatalf("got %d %s", res.StatusCode, b)
			}
			if tc.status == 412 && servertest.ProblemOf(t, b).Code != string(api.CodePreconditionFailed) {
				t.Fatalf("got %s", b)
			}
			if tc.status == 400 {
				p := servertest.ProblemOf(t, b)
				if p.Code != string(api.CodeValidationFailed) || p.Errors == nil || len(*p.Errors) != 1 || (*p.Errors)[0].Field != "If-Match" {
					t.Fatalf("want VALIDATION_FAILED naming If-Match, got %s", b)
				}
			}
		})
	}
}

// TestIfNoneMatch: a GET naming the current version is answered 304 with the
// ETag and no body; a stale tag gets the user; a malformed header is a 400
// naming it; another user's id stays a 404, tag or not.
func TestIfNoneMatch(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u, other := e.NewUser(t), e.NewUser(t)
	tok := u.Tokens.AccessToken
	res, _ := e.Call(t, http.MethodGet, userPath(u), tok, "")
	old := res.Header.Get("ETag")
	if res, b := e.Call(t, http.MethodPatch, userPath(u), tok, `{"name":"Changed"}`); res.StatusCode != 200 {
		t.Fatalf("patch: %d %s", res.StatusCode, b)
	}
	res, _ = e.Call(t, http.MethodGet, userPath(u), tok, "")
	cur := res.Header.Get("ETag")
	for _, path := range []string{userPath(u), "/api/v1/users/me"} {
		tests := []struct {
			name, ifNoneMatch string
			status            int
		}{
			{"Current_304", cur, 304},
			{"WeakCurrent_304", "W/" + cur, 304},
			{"InList_304", old + ", " + cur, 304},
			{"Star_304", "*", 304},
			{"Stale_200", old, 200},
			{"Absent_200", "", 200},
			{"Unquoted_400", strings.Trim(cur, `"`), 400},
		}
		for _, tc := range tests {
			t.Run(strings.ReplaceAll(path, "/", "_")+"/"+tc.name, func(t *testing.T) {
				var extra []string
				if tc.ifNoneMatch != "" {
					extra = []string{"If-None-Match", tc.ifNoneMatch}
				}
				res, b := e.Call(t, http.MethodGet, path, tok, "", extra...)
				if res.StatusCode != tc.status {
					t.Fatalf("got %d %s", res.StatusCode, b)
				}
				switch tc.status {
				case 304:
					if len(b) != 0 || res.Header.Get("ETag") != cur {
						t.Fatalf("304 with body %q and ETag %q; want none and %s", b, res.Header.Get("ETag"), cur)
					}
				case 200:
					if res.Header.Get("ETag") != cur {
						t.Fatalf("ETag %q, want %s", res.Header.Get("ETag"), cur)
					}
				case 400:
					if p := servertest.ProblemOf(t, b); p.Errors == nil || (*p.Errors)[0].Field != "If-None-Match" {
						t.Fatalf("want the header named: %s", b)
					}
				}
			})
		}
	}
	t.Run("OtherUser_404", func(t *testing.T) {
		if res, b := e.Call(t, http.MethodGet, userPath(other), tok, "", "If-None-Match", "*"); res.StatusCode != 404 {
			t.Fatalf("got %d %s", res.StatusCode, b)
		}
	})
}

// TestETagOnEveryUser: every response that carries a user carries its ETag.
func TestETagOnEveryUser(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	admin := e.NewAdmin(t)
	tok := admin.Tokens.AccessToken
	reg, b := e.Call(t, http.MethodPost, "/api/v1/auth/register", "", `{"email":"`+servertest.UniqueEmail("etag")+`","password":"correct horse battery staple","name":"Tagged"}`)
	created, cb := e.Call(t, http.MethodPost, "/api/v1/users", tok, `{"email":"`+servertest.UniqueEmail("etag")+`","password":"correct horse battery staple","name":"Made","role":"user"}`)
	me, _ := e.Call(t, http.MethodGet, "/api/v1/users/me", tok, "")
	var c struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(cb, &c); err != nil {
		t.Fatalf("create: %d %s", created.StatusCode, cb)
	}
	if res, b := e.Call(t, http.MethodDelete, "/api/v1/users/"+c.ID, tok, ""); res.StatusCode != 204 {
		t.Fatalf("delete: %d %s", res.StatusCode, b)
	}
	restored, _ := e.Call(t, http.MethodPost, "/api/v1/users/"+c.ID+"/restore", tok, "")
	for name, res := range map[string]*http.Response{"register": reg, "createUser": created, "getMe": me, "restoreUser": restored} {
		if res.StatusCode >= 300 || !strings.HasPrefix(res.Header.Get("ETag"), `"v`) {
			t.Errorf("%s: %d, ETag %q (%s)", name, res.StatusCode, res.Header.Get("ETag"), b)
		}
	}
	if restored.Header.Get("ETag") == created.Header.Get("ETag") {
		t.Errorf("restore kept the ETag of the created user: %s", restored.Header.Get("ETag"))
	}
}

func TestPatchUser(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := e.NewUser(t)
	taken := e.NewUser(t)
	tok := u.Tokens.AccessToken
	tests := []struct {
		name, contentType, body string
		status                  int
		code, field             string
	}{
		{"MergePatchName_200", "application/merge-patch+json", `{"name":"Merge Patched"}`, 200, "", ""},
		{"JSONEmail_200", "application/json", `{"email":"  New.Address@Example.com "}`, 200, "", ""},
		{"Id_400", "application/json", `{"id":"` + taken.Id.String() + `"}`, 400, string(api.CodeValidationFailed), "id"},
		{"CreatedAt_400", "application/json", `{"created_at":"2020-01-01T00:00:00Z"}`, 400, string(api.CodeValidationFailed), "created_at"},
		{"PasswordHash_400", "application/merge-patch+json", `{"password_hash":"x"}`, 400, string(api.CodeValidationFailed), "password_hash"},
		{"Empty_400", "application/json", `{}`, 400, string(api.CodeValidationFailed), ""},
		{"NullName_400", "application/merge-patch+json", `{"name":null}`, 400, string(api.CodeValidationFailed), "name"},
		{"BadEmail_400", "application/json", `{"email":"Bob <bob@example.com>"}`, 400, string(api.CodeValidationFailed), "email"},
		{"ControlName_400", "application/json", `{"name":"a\u0000b"}`, 400, string(api.CodeValidationFailed), "name"},
		{"EmailTaken_409", "application/json", `{"email":"` + strings.ToUpper(taken.Email) + `"}`, 409, string(api.CodeEmailTaken), "email"},
		{"RoleByNonAdmin_403", "application/json", `{"role":"admin"}`, 403, string(api.CodeForbidden), ""},
		{"TextPlain_415", "text/plain", `{"name":"x"}`, 415, string(api.CodeUnsupportedMediaType), ""},
		{"TrailingData_400", "application/merge-patch+json", `{"name":"x"} {}`, 400, string(api.CodeMalformedJSON), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, b := e.Do(t, http.MethodPatch, userPath(u), strings.NewReader(tc.body),
				http.Header{"Authorization": {"Bearer " + tok}, "Content-Type": {tc.contentType}})
			if res.StatusCode != tc.status {
				t.Fatalf("got %d %s", res.StatusCode, b)
			}
			if tc.status >= 400 {
				p := servertest.ProblemOf(t, b)
				if p.Code != tc.code || (tc.field != "" && (p.Errors == nil || !hasField(*p.Errors, tc.field))) {
					t.Fatalf("got %s, want %s naming %q", b, tc.code, tc.field)
				}
			}
		})
	}
	res, b := e.Call(t, http.MethodGet, userPath(u), tok, "")
	var got client.User
	if err := json.Unmarshal(b, &got); err != nil || res.StatusCode != 200 {
		t.Fatal(err)
	}
	if got.Name != "Merge Patched" || got.Email != "New.Address@Example.com" || got.Role != client.RoleUser || !got.UpdatedAt.After(got.CreatedAt) {
		t.Fatalf("after the patches: %+v", got)
	}
}

func TestRoleChangeEndsSessions(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	admin := e.NewAdmin(t)
	u := e.NewUser(t)
	res, b := e.Call(t, http.MethodPatch, userPath(u), admin.Tokens.AccessToken, `{"role":"admin"}`)
	if res.StatusCode != 200 || !strings.Contains(string(b), `"role":"admin"`) {
		t.Fatalf("promote: %d %s", res.StatusCode, b)
	}
	if e.Me(t, u.Tokens.AccessToken) != 401 {
		t.Fatal("a token with the old role still works after the role change")
	}
	fresh := e.Login(t, u.Email, u.Password)
	if res, _ := e.Call(t, http.MethodGet, "/api/v1/users", fresh.AccessToken, ""); res.StatusCode != 200 {
		t.Fatalf("the promoted user cannot list users with a new token: %d", res.StatusCode)
	}
}

func TestSoftDeleteAndRestore(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	admin := e.NewAdmin(t)
	u := e.NewUser(t)
	other := e.Login(t, u.Email, u.Password)
	if res, b := e.Call(t, http.MethodDelete, userPath(u), u.Tokens.AccessToken, ""); res.StatusCode != 204 {
		t.Fatalf("self delete: %d %s", res.StatusCode, b)
	}
	for _, tok := range []string{u.Tokens.AccessToken, other.AccessToken} {
		if e.Me(t, tok) != 401 {
			t.Fatal("a deleted user's token still works")
		}
	}
	if status, _, code := refresh(t, e, other.RefreshToken); status != 401 || code != string(api.CodeInvalidRefreshToken) {
		t.Fatalf("a deleted user's refresh: %d %s", status, code)
	}
	if res, _ := e.Call(t, http.MethodDelete, userPath(u), admin.Tokens.AccessToken, ""); res.StatusCode != 404 {
		t.Fatalf("deleting twice: %d, want 404", res.StatusCode)
	}
	if res, b := e.Call(t, http.MethodGet, "/api/v1/users?deleted=true&email="+u.Email, admin.Tokens.AccessToken, ""); res.StatusCode != 200 || !strings.Contains(string(b), u.Id.String()) {
		t.Fatalf("listing deleted users: %d %s", res.StatusCode, b)
	}
	if res, b := e.Call(t, http.MethodGet, "/api/v1/users?email="+u.Email, admin.Tokens.AccessToken, ""); strings.Contains(string(b), u.Id.String()) {
		t.Fatalf("a deleted user is listed among live ones: %d %s", res.StatusCode, b)
	}
	var rows int
	if err := e.Pool.QueryRow(context.Background(), "SELECT count(*) FROM users WHERE id = $1 AND deleted_at IS NOT NULL", u.Id).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("the deleted row is gone: %d %v", rows, err)
	}
	// Restore works while the address is free...
	if res, b := e.Call(t, http.MethodPost, userPath(u)+"/restore", admin.Tokens.AccessToken, ""); res.StatusCode != 200 {
		t.Fatalf("restore: %d %s", res.StatusCode, b)
	}
	if res, b := e.Call(t, http.MethodPost, userPath(u)+"/restore", admin.Tokens.AccessToken, ""); res.StatusCode != 409 || servertest.ProblemOf(t, b).Code != string(api.CodeUserNotDeleted) {
		t.Fatalf("restore of a live user: %d %s", res.StatusCode, b)
	}
	e.Login(t, u.Email, u.Password)
	// ...and not once someone registered it again.
	if res, _ := e.Call(t, http.MethodDelete, userPath(u), admin.Tokens.AccessToken, ""); res.StatusCode != 204 {
		t.Fatal("second delete")
	}
	again := e.Register(t, strings.ToUpper(u.Email), "Newcomer", servertest.StrongPassword)
	if again.Id == u.Id {
		t.Fatal("registering a freed address returned the deleted user")
	}
	if res, b := e.Call(t, http.MethodPost, userPath(u)+"/restore", admin.Tokens.AccessToken, ""); res.StatusCode != 409 || servertest.ProblemOf(t, b).Code != string(api.CodeEmailTaken) {
		t.Fatalf("restore with the address taken: %d %s", res.StatusCode, b)
	}
}

func TestLastAdmin(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	a := e.NewAdmin(t)
	if res, b := e.Call(t, http.MethodPatch, userPath(a), a.Tokens.AccessToken, `{"role":"user"}`); res.StatusCode != 409 || servertest.ProblemOf(t, b).Code != string(api.CodeLastAdmin) {
		t.Fatalf("demoting the last admin: %d %s", res.StatusCode, b)
	}
	if res, b := e.Call(t, http.MethodDelete, userPath(a), a.Tokens.AccessToken, ""); res.StatusCode != 409 || servertest.ProblemOf(t, b).Code != string(api.CodeLastAdmin) {
		t.Fatalf("deleting the last admin: %d %s", res.StatusCode, b)
	}
	// Two admins demoting each other at once: exactly one wins.
	b := e.NewAdmin(t)
	statuses := make([]int, 2)
	var wg sync.WaitGroup
	for i, pair := range [][2]servertest.User{{a, b}, {b, a}} {
		wg.Go(func() {
			res, _ := e.Call(t, http.MethodPatch, userPath(pair[1]), pair[0].Tokens.AccessToken, `{"role":"user"}`)
			statuses[i] = res.StatusCode
		})
	}
	wg.Wait()
	var admins int
	if err := e.Pool.QueryRow(context.Background(), "SELECT count(*) FROM users WHERE role = 'admin' AND deleted_at IS NULL").Scan(&admins); err != nil {
		t.Fatal(err)
	}
	if admins != 1 {
		t.Fatalf("after concurrent demotions (%v) there are %d admins, want 1", statuses, admins)
	}
}

func TestSetPassword(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	admin := e.NewAdmin(t)
	const next = "purple monkey dishwasher lamp"
	t.Run("SelfNeedsCurrent_400", func(t *testing.T) {
		u := e.NewUser(t)
		res, b := e.Call(t, http.MethodPut, userPath(u)+"/password", u.Tokens.AccessToken, `{"new_password":"`+next+`"}`)
		if res.StatusCode != 400 || !hasField(*servertest.ProblemOf(t, b).Errors, "current_password") {
			t.Fatalf("got %d %s", res.StatusCode, b)
		}
	})
	t.Run("SelfWrongCurrent_401", func(t *testing.T) {
		u := e.NewUser(t)
		res, b := e.Call(t, http.MethodPut, userPath(u)+"/password", u.Tokens.AccessToken, `{"current_password":"not it at all","new_password":"`+next+`"}`)
		if res.StatusCode != 401 || servertest.ProblemOf(t, b).Code != string(api.CodeInvalidCredentials) || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("got %d %s", res.StatusCode, b)
		}
		if e.Me(t, u.Tokens.AccessToken) != 200 {
			t.Fatal("a wrong current password ended the session")
		}
	})
	t.Run("SelfWeak_400", func(t *testing.T) {
		u := e.NewUser(t)
		res, b := e.Call(t, http.MethodPut, userPath(u)+"/password", u.Tokens.AccessToken, `{"current_password":"`+u.Password+`","new_password":"password123"}`)
		if res.StatusCode != 400 || servertest.ProblemOf(t, b).Code != string(api.CodeWeakPassword) {
			t.Fatalf("got %d %s", res.StatusCode, b)
		}
	})
	t.Run("Self_204_OtherSessionsEnd", func(t *testing.T) {
		u := e.NewUser(t)
		other := e.Login(t, u.Email, u.Password)
		res, b := e.Call(t, http.MethodPut, userPath(u)+"/password", u.Tokens.AccessToken, `{"current_password":"`+u.Password+`","new_password":"`+next+`"}`)
		if res.StatusCode != 204 {
			t.Fatalf("got %d %s", res.StatusCode, b)
		}
		if e.Me(t, u.Tokens.AccessToken) != 200 || e.Me(t, other.AccessToken) != 401 {
			t.Fatal("want the current session kept and the other one ended")
		}
		e.Login(t, u.Email, next)
		if res, _ := e.Client.LoginWithResponse(context.Background(), client.LoginRequest{Email: u.Email, Password: u.Password}); res.StatusCode() != 401 {
			t.Fatal("the old password still works")
		}
	})
	t.Run("AdminOnOther_204_AllSessionsEnd", func(t *testing.T) {
		u := e.NewUser(t)
		res, b := e.Call(t, http.MethodPut, userPath(u)+"/password", admin.Tokens.AccessToken, `{"new_password":"`+next+`"}`)
		if res.StatusCode != 204 {
			t.Fatalf("got %d %s", res.StatusCode, b)
		}
		if e.Me(t, u.Tokens.AccessToken) != 401 || e.Me(t, admin.Tokens.AccessToken) != 200 {
			t.Fatal("want the user's sessions ended and the admin's kept")
		}
		e.Login(t, u.Email, next)
	})
	t.Run("AdminOnSelfNeedsCurrent_400", func(t *testing.T) {
		res, b := e.Call(t, http.MethodPut, userPath(admin)+"/password", admin.Tokens.AccessToken, `{"new_password":"`+next+`"}`)
		if res.StatusCode != 400 {
			t.Fatalf("got %d %s", res.StatusCode, b)
		}
	})
}

func TestCreateUserByAdmin(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	admin := e.NewAdmin(t)
	res, b := e.Call(t, http.MethodPost, "/api/v1/users", admin.Tokens.AccessToken,
		`{"email":"second.admin@example.com","password":"correct horse battery staple","name":"Second","role":"admin"}`)
	if res.StatusCode != 201 || !strings.HasPrefix(res.Header.Get("Location"), "/api/v1/users/") || !strings.Contains(string(b), `"role":"admin"`) {
		t.Fatalf("got %d %s", res.StatusCode, b)
	}
	pair := e.Login(t, "second.admin@example.com", "correct horse battery staple")
	if res, _ := e.Call(t, http.MethodGet, "/api/v1/users", pair.AccessToken, ""); res.StatusCode != 200 {
		t.Fatal("the created admin cannot list users")
	}
	res, b = e.Call(t, http.MethodPost, "/api/v1/users", admin.Tokens.AccessToken,
		`{"email":"SECOND.admin@example.com","password":"correct horse battery staple","name":"Dup","role":"user"}`)
	if res.StatusCode != 409 || servertest.ProblemOf(t, b).Code != string(api.CodeEmailTaken) {
		t.Fatalf("duplicate: %d %s", res.StatusCode, b)
	}
	res, b = e.Call(t, http.MethodPost, "/api/v1/users", admin.Tokens.AccessToken,
		`{"email":"x@example.com","password":"correct horse battery staple","name":"X","role":"owner"}`)
	if res.StatusCode != 400 || !hasField(*servertest.ProblemOf(t, b).Errors, "role") {
		t.Fatalf("unknown role: %d %s", res.StatusCode, b)
	}
}
