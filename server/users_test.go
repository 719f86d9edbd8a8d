package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server"
)

// newAdmin registers a user, makes it an admin in the database, and logs in, so
// its token carries the admin role.
func (e *env) newAdmin(t testing.TB) user {
	t.Helper()
	u := e.newUser(t)
	mustExec(t, e, "UPDATE users SET role = 'admin' WHERE id = $1", u.Id)
	u.tokens = e.login(t, u.Email, u.password)
	u.Role = client.RoleAdmin
	return u
}

// call sends a request with an optional bearer token and JSON body.
func (e *env) call(t testing.TB, method, path, token, body string, extra ...string) (*http.Response, []byte) {
	t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		h.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	var r *strings.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	if r == nil {
		return e.do(method, path, nil, h)
	}
	return e.do(method, path, r, h)
}

// TestUserAuthorizationMatrix sends every user operation from every kind of
// caller, at a fresh target each time, and checks the documented status, and
// that no refusal carries the target's data.
func TestUserAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.newAdmin(t)
	stranger := e.newUser(t)
	gone := e.newUser(t)
	mustExec(t, e, "UPDATE users SET deleted_at = now() WHERE id = $1", gone.Id)
	mustExec(t, e, "UPDATE sessions SET revoked_at = now(), revoke_reason = 'user_deleted' WHERE user_id = $1", gone.Id)

	type op struct {
		name, method, path, body string
	}
	ops := func(target user) []op {
		id := "/api/v1/users/" + target.Id.String()
		return []op{
			{"getUser", http.MethodGet, id, ""},
			{"updateName", http.MethodPatch, id, `{"name":"Renamed"}`},
			{"updateRole", http.MethodPatch, id, `{"role":"admin"}`},
			{"setPassword", http.MethodPut, id + "/password", `{"current_password":"` + target.password + `","new_password":"purple monkey dishwasher lamp"}`},
			{"deleteUser", http.MethodDelete, id, ""},
			{"listUsers", http.MethodGet, "/api/v1/users", ""},
			{"createUser", http.MethodPost, "/api/v1/users", `{"email":"` + uniqueEmail("created") + `","password":"correct horse battery staple","name":"C","role":"user"}`},
			{"restoreUser", http.MethodPost, id + "/restore", ""},
		}
	}
	// want[caller][op]
	want := map[string]map[string]int{
		"Self":          {"getUser": 200, "updateName": 200, "updateRole": 403, "setPassword": 204, "deleteUser": 204, "listUsers": 403, "createUser": 403, "restoreUser": 403},
		"OtherUser":     {"getUser": 404, "updateName": 404, "updateRole": 404, "setPassword": 404, "deleteUser": 404, "listUsers": 403, "createUser": 403, "restoreUser": 403},
		"Admin":         {"getUser": 200, "updateName": 200, "updateRole": 200, "setPassword": 204, "deleteUser": 204, "listUsers": 200, "createUser": 201, "restoreUser": 409},
		"DeletedCaller": {"getUser": 401, "updateName": 401, "updateRole": 401, "setPassword": 401, "deleteUser": 401, "listUsers": 401, "createUser": 401, "restoreUser": 401},
		"NoToken":       {"getUser": 401, "updateName": 401, "updateRole": 401, "setPassword": 401, "deleteUser": 401, "listUsers": 401, "createUser": 401, "restoreUser": 401},
	}
	callers := map[string]func(target user) string{
		"Self":          func(target user) string { return target.tokens.AccessToken },
		"OtherUser":     func(user) string { return stranger.tokens.AccessToken },
		"Admin":         func(user) string { return admin.tokens.AccessToken },
		"DeletedCaller": func(user) string { return gone.tokens.AccessToken },
		"NoToken":       func(user) string { return "" },
	}
	for caller, token := range callers {
		for i, o := range ops(user{}) {
			t.Run(caller+"/"+o.name, func(t *testing.T) {
				target := e.newUser(t)
				o := ops(target)[i]
				res, b := e.call(t, o.method, o.path, token(target), o.body)
				if got := want[caller][o.name]; res.StatusCode != got {
					t.Fatalf("%s %s: %d %s, want %d", o.method, o.path, res.StatusCode, b, got)
				}
				if res.StatusCode >= 400 && (strings.Contains(string(b), target.Email) || strings.Contains(string(b), target.Name)) {
					t.Fatalf("a refusal carries the target's data: %s", b)
				}
			})
		}
	}
	t.Run("AdminOnDeletedTarget", func(t *testing.T) {
		target := e.newUser(t)
		if res, b := e.call(t, http.MethodDelete, "/api/v1/users/"+target.Id.String(), admin.tokens.AccessToken, ""); res.StatusCode != 204 {
			t.Fatalf("delete: %d %s", res.StatusCode, b)
		}
		for _, o := range ops(target)[:5] {
			if res, b := e.call(t, o.method, o.path, admin.tokens.AccessToken, o.body); res.StatusCode != 404 || problemOf(t, b).Code != server.CodeUserNotFound {
				t.Errorf("%s on a deleted user: %d %s, want 404", o.name, res.StatusCode, b)
			}
		}
	})
	t.Run("UnknownTarget_404", func(t *testing.T) {
		for _, token := range []string{admin.tokens.AccessToken, stranger.tokens.AccessToken} {
			res, b := e.call(t, http.MethodGet, "/api/v1/users/"+uuid.NewString(), token, "")
			if res.StatusCode != 404 || problemOf(t, b).Code != server.CodeUserNotFound {
				t.Errorf("got %d %s", res.StatusCode, b)
			}
		}
	})
}

func TestGetUserIsNotShadowingMe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u := e.newUser(t)
	res, b := e.call(t, http.MethodGet, "/api/v1/users/me", u.tokens.AccessToken, "")
	if res.StatusCode != 200 || !strings.Contains(string(b), u.Id.String()) {
		t.Fatalf("/users/me: %d %s", res.StatusCode, b)
	}
	res, b = e.call(t, http.MethodGet, "/api/v1/users/not-a-uuid", u.tokens.AccessToken, "")
	if res.StatusCode != 400 || problemOf(t, b).Code != server.CodeValidationFailed {
		t.Fatalf("/users/not-a-uuid: %d %s", res.StatusCode, b)
	}
	_ = context.Background()
}
