package server_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/testdb"
)

// setDisabled has admin set disabled on u through the generated client and
// returns the user it answers, failing t on anything but 200.
func setDisabled(t *testing.T, e *servertest.Env, token string, id uuid.UUID, disabled bool) client.User {
	t.Helper()
	res, err := e.Client.UpdateUserWithResponse(context.Background(), id, nil, client.UserPatch{Disabled: &disabled}, servertest.Bearer(token))
	if err != nil || res.JSON200 == nil {
		t.Fatalf("disabled=%v on %s: %v %d %s", disabled, id, err, res.StatusCode(), res.Body)
	}
	return *res.JSON200
}

// login returns the status and problem code of a login.
func login(t *testing.T, e *servertest.Env, email, password string) (int, string) {
	t.Helper()
	res, err := e.Client.LoginWithResponse(context.Background(), client.LoginRequest{Email: email, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case res.ApplicationproblemJSON401 != nil:
		return res.StatusCode(), res.ApplicationproblemJSON401.Code
	case res.ApplicationproblemJSON403 != nil:
		return res.StatusCode(), res.ApplicationproblemJSON403.Code
	}
	return res.StatusCode(), ""
}

// TestDisableAndEnable takes a user with two sessions through a disable and an
// enable: the sessions end at once on this replica and within a second on
// another, refresh fails, the correct password answers 403 ACCOUNT_DISABLED and
// a wrong one the usual 401; the version moves each time; enabling restores
// login but not the ended sessions.
func TestDisableAndEnable(t *testing.T) {
	t.Parallel()
	pool, dbURL := testdb.NewPool(t)
	a := servertest.New(t, servertest.OnDatabase(pool, dbURL))
	b := servertest.New(t, servertest.OnDatabase(pool, dbURL)) // a second replica
	admin, u := a.NewAdmin(t), a.NewUser(t)
	other := a.Login(t, u.Email, u.Password)
	for _, tok := range []string{u.Tokens.AccessToken, other.AccessToken} {
		if b.Me(t, tok) != 200 {
			t.Fatal("replica B refuses a fresh token")
		}
	}
	before, _ := a.Call(t, http.MethodGet, userPath(u), admin.Tokens.AccessToken, "")

	got := setDisabled(t, a, admin.Tokens.AccessToken, u.Id, true)
	if !got.Disabled || got.Id != u.Id {
		t.Fatalf("the answer to a disable: %+v", got)
	}
	after, body := a.Call(t, http.MethodGet, userPath(u), admin.Tokens.AccessToken, "")
	if after.Header.Get("ETag") == before.Header.Get("ETag") || !strings.Contains(string(body), `"disabled":true`) {
		t.Fatalf("after the disable: ETag %q (was %q), %s", after.Header.Get("ETag"), before.Header.Get("ETag"), body)
	}
	for _, tok := range []string{u.Tokens.AccessToken, other.AccessToken} {
		if a.Me(t, tok) != 401 {
			t.Fatal("replica A still accepts a disabled user's token")
		}
		if took, ok := refusedWithin(t, b, tok, time.Second); !ok {
			t.Fatalf("replica B still accepts a disabled user's token %s after the disable", took)
		}
	}
	if status, _, code := refresh(t, a, other.RefreshToken); status != 401 || code != string(api.CodeInvalidRefreshToken) {
		t.Fatalf("a disabled user's refresh: %d %s", status, code)
	}
	tests := []struct {
		name, password string
		status         int
		code           string
	}{
		{"CorrectPassword_403", u.Password, 403, string(api.CodeAccountDisabled)},
		{"WrongPassword_401", u.Password + "!", 401, string(api.CodeInvalidCredentials)},
	}
	for _, tc := range tests {
		t.Run("Disabled/"+tc.name, func(t *testing.T) {
			for _, e := range []*servertest.Env{a, b} {
				if status, code := login(t, e, u.Email, tc.password); status != tc.status || code != tc.code {
					t.Fatalf("login: %d %s; want %d %s", status, code, tc.status, tc.code)
				}
			}
		})
	}
	// Disabling a disabled user changes nothing but the version.
	if again := setDisabled(t, a, admin.Tokens.AccessToken, u.Id, true); !again.Disabled {
		t.Fatalf("disabling twice: %+v", again)
	}

	if got := setDisabled(t, a, admin.Tokens.AccessToken, u.Id, false); got.Disabled {
		t.Fatalf("the answer to an enable: %+v", got)
	}
	if a.Me(t, other.AccessToken) != 401 {
		t.Fatal("enabling brought an ended session back")
	}
	fresh := b.Login(t, u.Email, u.Password)
	if a.Me(t, fresh.AccessToken) != 200 {
		t.Fatal("the token of a login after the enable does not work")
	}
	if status, code := login(t, a, u.Email, u.Password+"!"); status != 401 || code != string(api.CodeInvalidCredentials) {
		t.Fatalf("a wrong password after the enable: %d %s", status, code)
	}
}

// TestDisableRules is every refusal of a disable or enable, and what it leaves
// alone: only an admin may set disabled, and only on another live user.
func TestDisableRules(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	admin, u, stranger := e.NewAdmin(t), e.NewUser(t), e.NewUser(t)
	gone := e.NewUser(t)
	e.DeleteUser(t, gone.Id)
	res, _ := e.Call(t, http.MethodGet, userPath(u), admin.Tokens.AccessToken, "")
	stale := res.Header.Get("ETag")
	if res, b := e.Call(t, http.MethodPatch, userPath(u), admin.Tokens.AccessToken, `{"name":"Moved On"}`); res.StatusCode != 200 {
		t.Fatalf("rename: %d %s", res.StatusCode, b)
	}
	tests := []struct {
		name, path, token, body string
		header                  []string
		status                  int
		code, field             string
	}{
		{"UserDisablesSelf_403", userPath(u), u.Tokens.AccessToken, `{"disabled":true}`, nil, 403, string(api.CodeForbidden), ""},
		{"UserEnablesSelf_403", userPath(u), u.Tokens.AccessToken, `{"disabled":false}`, nil, 403, string(api.CodeForbidden), ""},
		{"UserDisablesSelfWithName_403", userPath(u), u.Tokens.AccessToken, `{"disabled":true,"name":"Sneaky"}`, nil, 403, string(api.CodeForbidden), ""},
		{"UserDisablesOther_404", userPath(stranger), u.Tokens.AccessToken, `{"disabled":true}`, nil, 404, string(api.CodeUserNotFound), ""},
		{"AdminDisablesSelf_403", userPath(admin), admin.Tokens.AccessToken, `{"disabled":true}`, nil, 403, string(api.CodeForbidden), ""},
		{"AdminEnablesSelf_403", userPath(admin), admin.Tokens.AccessToken, `{"disabled":false}`, nil, 403, string(api.CodeForbidden), ""},
		{"AdminOnUnknown_404", "/api/v1/users/" + uuid.NewString(), admin.Tokens.AccessToken, `{"disabled":true}`, nil, 404, string(api.CodeUserNotFound), ""},
		{"AdminOnDeleted_404", userPath(gone), admin.Tokens.AccessToken, `{"disabled":true}`, nil, 404, string(api.CodeUserNotFound), ""},
		{"Null_400", userPath(u), admin.Tokens.AccessToken, `{"disabled":null}`, nil, 400, string(api.CodeValidationFailed), "disabled"},
		{"String_400", userPath(u), admin.Tokens.AccessToken, `{"disabled":"yes"}`, nil, 400, string(api.CodeValidationFailed), "disabled"},
		{"BadID_400", "/api/v1/users/not-a-uuid", admin.Tokens.AccessToken, `{"disabled":true}`, nil, 400, string(api.CodeValidationFailed), "id"},
		{"NoToken_401", userPath(u), "", `{"disabled":true}`, nil, 401, string(api.CodeUnauthenticated), ""},
		{"StaleIfMatch_412", userPath(u), admin.Tokens.AccessToken, `{"disabled":true}`, []string{"If-Match", stale}, 412, string(api.CodePreconditionFailed), ""},
		{"WithTakenEmail_409", userPath(u), admin.Tokens.AccessToken, `{"disabled":true,"email":"` + stranger.Email + `"}`, nil, 409, string(api.CodeEmailTaken), "email"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, b := e.Call(t, http.MethodPatch, tc.path, tc.token, tc.body, tc.header...)
			if res.StatusCode != tc.status {
				t.Fatalf("got %d %s; want %d", res.StatusCode, b, tc.status)
			}
			p := servertest.ProblemOf(t, b)
			if p.Code != tc.code || (tc.field != "" && (p.Errors == nil || !hasField(*p.Errors, tc.field))) {
				t.Fatalf("got %s; want %s naming %q", b, tc.code, tc.field)
			}
		})
	}
	// Nothing refused changed anything: everyone is enabled and logged in.
	for _, who := range []servertest.User{admin, u, stranger} {
		if e.Me(t, who.Tokens.AccessToken) != 200 {
			t.Fatalf("%s lost their session to a refused disable", who.Email)
		}
	}
	if l, res, b := page(t, e, admin.Tokens.AccessToken, "disabled=true"); res.StatusCode != 200 || len(l.Items) != 0 {
		t.Fatalf("disabled users after the refusals: %d %s", res.StatusCode, b)
	}
}

// TestLastEnabledAdmin: a disabled admin cannot act, so it does not count: the
// last enabled admin cannot be demoted, deleted or disabled, while a disabled
// admin can be. Two admins disabling each other at once leave exactly one.
func TestLastEnabledAdmin(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	a, b := e.NewAdmin(t), e.NewAdmin(t)
	setDisabled(t, e, a.Tokens.AccessToken, b.Id, true)
	tests := []struct {
		name, method, path, body string
		status                   int
	}{
		{"DemoteSelf_409", http.MethodPatch, userPath(a), `{"role":"user"}`, 409},
		{"DeleteSelf_409", http.MethodDelete, userPath(a), "", 409},
		{"DemoteDisabledAdmin_200", http.MethodPatch, userPath(b), `{"role":"user"}`, 200},
		{"PromoteBack_200", http.MethodPatch, userPath(b), `{"role":"admin"}`, 200},
		{"DeleteDisabledAdmin_204", http.MethodDelete, userPath(b), "", 204},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, body := e.Call(t, tc.method, tc.path, a.Tokens.AccessToken, tc.body)
			if res.StatusCode != tc.status {
				t.Fatalf("got %d %s; want %d", res.StatusCode, body, tc.status)
			}
			if tc.status == 409 && servertest.ProblemOf(t, body).Code != string(api.CodeLastAdmin) {
				t.Fatalf("got %s; want LAST_ADMIN", body)
			}
		})
	}
	t.Run("DisableEachOtherAtOnce", func(t *testing.T) {
		c, d := e.NewAdmin(t), e.NewAdmin(t)
		e.DeleteUser(t, a.Id) // c and d are the only enabled admins
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		for i, pair := range [][2]servertest.User{{c, d}, {d, c}} {
			wg.Go(func() {
				res, _ := e.Call(t, http.MethodPatch, userPath(pair[1]), pair[0].Tokens.AccessToken, `{"disabled":true}`)
				statuses[i] = res.StatusCode
			})
		}
		wg.Wait()
		var enabled int
		if err := e.Pool.QueryRow(context.Background(),
			"SELECT count(*) FROM users WHERE role = 'admin' AND deleted_at IS NULL AND disabled_at IS NULL").Scan(&enabled); err != nil {
			t.Fatal(err)
		}
		// The loser is refused 409 LAST_ADMIN, or 401 when its session had
		// already ended by the time its token was checked.
		if oneWon := (statuses[0] == 200) != (statuses[1] == 200); enabled != 1 || !oneWon {
			t.Fatalf("after disabling each other at once (%v) there are %d enabled admins, want 1", statuses, enabled)
		}
	})
}

// TestListDisabledFilter lists by the disabled filter, alone and with the
// others, and pages through it.
func TestListDisabledFilter(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	admin := e.NewAdmin(t)
	tok := admin.Tokens.AccessToken
	off1 := e.Register(t, "off.one@example.com", "Off One", servertest.StrongPassword)
	e.Register(t, "on.one@example.com", "On One", servertest.StrongPassword)
	off2 := e.Register(t, "off.two@example.com", "Off Two", servertest.StrongPassword)
	gone := e.Register(t, "off.gone@example.com", "Off Gone", servertest.StrongPassword)
	for _, id := range []uuid.UUID{off1.Id, off2.Id, gone.Id} {
		setDisabled(t, e, tok, id, true)
	}
	e.DeleteUser(t, gone.Id)
	emails := func(t *testing.T, query string) string {
		t.Helper()
		l, res, b := page(t, e, tok, query)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", query, res.StatusCode, b)
		}
		var out []string
		for _, u := range l.Items {
			if u.Disabled != strings.HasPrefix(u.Email, "off.") {
				t.Fatalf("%s is listed with disabled=%v", u.Email, u.Disabled)
			}
			out = append(out, u.Email)
		}
		return strings.Join(out, ",")
	}
	tests := []struct{ query, want string }{
		{"disabled=true", "off.two@example.com,off.one@example.com"},
		{"disabled=true&sort=created_at", "off.one@example.com,off.two@example.com"},
		{"disabled=false", "on.one@example.com," + admin.Email},
		{"sort=created_at", admin.Email + ",off.one@example.com,on.one@example.com,off.two@example.com"},
		{"disabled=true&q=off.t", "off.two@example.com"},
		{"disabled=false&q=off", ""},
		{"disabled=true&role=admin", ""},
		{"disabled=false&role=admin", admin.Email},
		{"disabled=true&email=off.one@example.com", "off.one@example.com"},
		{"disabled=true&deleted=true", "off.gone@example.com"},
		{"disabled=false&deleted=true", ""},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			if got := emails(t, tc.query); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("Walk", func(t *testing.T) {
		seedUsers(t, e, 40, "walkoff")
		mustExec(t, e, "UPDATE users SET disabled_at = now() WHERE email LIKE 'walkoff%' AND right(split_part(email, '@', 1), 1) IN ('1', '4', '7')")
		got := walk(t, e, tok, "limit=3&disabled=true", nil)
		want := expectedOrderWhere(t, e, "disabled_at IS NOT NULL", "created_at DESC, id DESC")
		if len(got) != len(want) || len(want) < 10 {
			t.Fatalf("walked %d disabled users, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("position %d: %s, want %s", i, got[i], want[i])
			}
		}
	})
}
