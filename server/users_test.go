package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/servertest"
)

// TestUserAuthorizationMatrix sends every user operation from every kind of
// caller, at a fresh target each time, and checks the documented status, and
// that no refusal carries the target's data.
func TestUserAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	admin := e.NewAdmin(t)
	stranger := e.NewUser(t)
	gone := e.NewUser(t)
	e.DeleteUser(t, gone.Id)

	type op struct {
		name, method, path, body string
	}
	ops := func(target servertest.User) []op {
		id := "/api/v1/users/" + target.Id.String()
		return []op{
			{"getUser", http.MethodGet, id, ""},
			{"updateName", http.MethodPatch, id, `{"name":"Renamed"}`},
			{"updateRole", http.MethodPatch, id, `{"role":"admin"}`},
			{"setPassword", http.MethodPut, id + "/password", `{"current_password":"` + target.Password + `","new_password":"purple monkey dishwasher lamp"}`},
			{"deleteUser", http.MethodDelete, id, ""},
			{"listUsers", http.MethodGet, "/api/v1/users", ""},
			{"createUser", http.MethodPost, "/api/v1/users", `{"email":"` + servertest.UniqueEmail("created") + `","password":"correct horse battery staple","name":"C","role":"user"}`},
			{"restoreUser", http.MethodPost, id + "/restore", ""},
			{"disableUser", http.MethodPatch, id, `{"disabled":true}`},
			{"enableUser", http.MethodPatch, id, `{"disabled":false}`},
		}
	}
	// want[caller][op]
	want := map[string]map[string]int{
		"Self": {"getUser": 200, "updateName": 200, "updateRole": 403, "setPassword": 204, "deleteUser": 204, "listUsers": 403, "createUser": 403, "restoreUser": 403,
			"disableUser": 403, "enableUser": 403},
		"OtherUser": {"getUser": 404, "updateName": 404, "updateRole": 404, "setPassword": 404, "deleteUser": 404, "listUsers": 403, "createUser": 403, "restoreUser": 403,
			"disableUser": 404, "enableUser": 404},
		"Admin": {"getUser": 200, "updateName": 200, "updateRole": 200, "setPassword": 204, "deleteUser": 204, "listUsers": 200, "createUser": 201, "restoreUser": 409,
			"disableUser": 200, "enableUser": 200},
		"DeletedCaller": {"getUser": 401, "updateName": 401, "updateRole": 401, "setPassword": 401, "deleteUser": 401, "listUsers": 401, "createUser": 401, "restoreUser": 401,
			"disableUser": 401, "enableUser": 401},
		"NoToken": {"getUser": 401, "updateName": 401, "updateRole": 401, "setPassword": 401, "deleteUser": 401, "listUsers": 401, "createUser": 401, "restoreUser": 401,
			"disableUser": 401, "enableUser": 401},
	}
	callers := map[string]func(target servertest.User) string{
		"Self":          func(target servertest.User) string { return target.Tokens.AccessToken },
		"OtherUser":     func(servertest.User) string { return stranger.Tokens.AccessToken },
		"Admin":         func(servertest.User) string { return admin.Tokens.AccessToken },
		"DeletedCaller": func(servertest.User) string { return gone.Tokens.AccessToken },
		"NoToken":       func(servertest.User) string { return "" },
	}
	for caller, token := range callers {
		for i, o := range ops(servertest.User{}) {
			t.Run(caller+"/"+o.name, func(t *testing.T) {
				target := e.NewUser(t)
				o := ops(target)[i]
				res, b := e.Call(t, o.method, o.path, token(target), o.body)
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
		target := e.NewUser(t)
		if res, b := e.Call(t, http.MethodDelete, "/api/v1/users/"+target.Id.String(), admin.Tokens.AccessToken, ""); res.StatusCode != 204 {
			t.Fatalf("delete: %d %s", res.StatusCode, b)
		}
		for _, o := range ops(target) {
			if strings.HasPrefix(o.name, "list") || o.name == "createUser" || o.name == "restoreUser" {
				continue // no target, or answers 409 USER_NOT_DELETED
			}
			if res, b := e.Call(t, o.method, o.path, admin.Tokens.AccessToken, o.body); res.StatusCode != 404 || servertest.ProblemOf(t, b).Code != string(api.CodeUserNotFound) {
				t.Errorf("%s on a deleted user: %d %s, want 404", o.name, res.StatusCode, b)
			}
		}
	})
	t.Run("UnknownTarget_404", func(t *testing.T) {
		for _, token := range []string{admin.Tokens.AccessToken, stranger.Tokens.AccessToken} {
			res, b := e.Call(t, http.MethodGet, "/api/v1/users/"+uuid.NewString(), token, "")
			if res.StatusCode != 404 || servertest.ProblemOf(t, b).Code != string(api.CodeUserNotFound) {
				t.Errorf("got %d %s", res.StatusCode, b)
			}
		}
	})
}

func TestGetUserIsNotShadowingMe(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := e.NewUser(t)
	res, b := e.Call(t, http.MethodGet, "/api/v1/users/me", u.Tokens.AccessToken, "")
	if res.StatusCode != 200 || !strings.Contains(string(b), u.Id.String()) {
		t.Fatalf("/users/me: %d %s", res.StatusCode, b)
	}
	res, b = e.Call(t, http.MethodGet, "/api/v1/users/not-a-uuid", u.Tokens.AccessToken, "")
	if res.StatusCode != 400 || servertest.ProblemOf(t, b).Code != string(api.CodeValidationFailed) {
		t.Fatalf("/users/not-a-uuid: %d %s", res.StatusCode, b)
	}
	_ = context.Background()
}
