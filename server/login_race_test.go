package server_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/users"
)

// pausingHasher holds the next verification (armed) or the next hash
// (armedHash), once armed, until released: the window in which a login has
// read a user's hash but not yet started a session, or a password change has
// checked the current password but not yet stored the new one.
type pausingHasher struct {
	users.Hasher
	armed, armedHash atomic.Bool
	entered          chan struct{}
	release          chan struct{}
}

func (h *pausingHasher) Verify(ctx context.Context, encoded, password string) (auth.Verification, error) {
	v, err := h.Hasher.Verify(ctx, encoded, password)
	h.pause(&h.armed)
	return v, err
}

func (h *pausingHasher) Hash(ctx context.Context, password string) (string, error) {
	hash, err := h.Hasher.Hash(ctx, password)
	h.pause(&h.armedHash)
	return hash, err
}

// pause holds the caller until released, once, when armed.
func (h *pausingHasher) pause(armed *atomic.Bool) {
	if armed.CompareAndSwap(true, false) {
		h.entered <- struct{}{}
		<-h.release
	}
}

// TestLoginRacesAChange starts a login, holds it between its password check and
// its session, commits a change of the account, and lets it go on. The login
// must see the change: refused after a password change, a deletion or a
// disable, and signed with the new role after a demotion.
func TestLoginRacesAChange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		change     func(t *testing.T, e *servertest.Env, u, admin servertest.User)
		wantStatus int
		wantRole   auth.Role
	}{
		{"PasswordChanged_401", func(t *testing.T, e *servertest.Env, u, _ servertest.User) {
			res, b := e.Call(t, http.MethodPut, userPath(u)+"/password", u.Tokens.AccessToken,
				`{"current_password":"`+u.Password+`","new_password":"purple monkey dishwasher lamp"}`)
			if res.StatusCode != 204 {
				t.Fatalf("password change: %d %s", res.StatusCode, b)
			}
		}, 401, ""},
		{"AdminReset_401", func(t *testing.T, e *servertest.Env, u, admin servertest.User) {
			res, b := e.Call(t, http.MethodPut, userPath(u)+"/password", admin.Tokens.AccessToken, `{"new_password":"purple monkey dishwasher lamp"}`)
			if res.StatusCode != 204 {
				t.Fatalf("admin reset: %d %s", res.StatusCode, b)
			}
		}, 401, ""},
		{"Deleted_401", func(t *testing.T, e *servertest.Env, u, _ servertest.User) { e.DeleteUser(t, u.Id) }, 401, ""},
		{"Disabled_403", func(t *testing.T, e *servertest.Env, u, admin servertest.User) {
			res, b := e.Call(t, http.MethodPatch, userPath(u), admin.Tokens.AccessToken, `{"disabled":true}`)
			if res.StatusCode != 200 {
				t.Fatalf("disable: %d %s", res.StatusCode, b)
			}
		}, 403, ""},
		{"Demoted_200AsUser", func(t *testing.T, e *servertest.Env, u, admin servertest.User) {
			res, b := e.Call(t, http.MethodPatch, userPath(u), admin.Tokens.AccessToken, `{"role":"user"}`)
			if res.StatusCode != 200 {
				t.Fatalf("demotion: %d %s", res.StatusCode, b)
			}
		}, 200, auth.RoleUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := &pausingHasher{Hasher: servertest.NewHasher(t), entered: make(chan struct{}), release: make(chan struct{})}
			e := servertest.New(t, func(o *servertest.Options) { o.Hasher = h })
			admin := e.NewAdmin(t)
			u := e.NewAdmin(t) // an admin, so that a demotion is a change
			type result struct {
				res *client.LoginResponse
				err error
			}
			done := make(chan result, 1)
			h.armed.Store(true)
			go func() {
				res, err := e.Client.LoginWithResponse(context.Background(), client.LoginRequest{Email: u.Email, Password: u.Password})
				done <- result{res, err}
			}()
			<-h.entered
			tt.change(t, e, u, admin)
			close(h.release)
			r := <-done
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.res.StatusCode() != tt.wantStatus {
				t.Fatalf("the login in flight answered %d %s; want %d", r.res.StatusCode(), r.res.Body, tt.wantStatus)
			}
			if tt.wantStatus != 200 {
				return
			}
			if role := roleOf(t, r.res.JSON200.AccessToken); role != string(tt.wantRole) {
				t.Fatalf("the token carries role %q; want %q", role, tt.wantRole)
			}
			if got := e.Me(t, r.res.JSON200.AccessToken); got != 200 {
				t.Fatalf("the new session answers %d", got)
			}
		})
	}
}

// TestPasswordChangesRace: two changes that both checked the same current
// password do not both win: the one that stores second finds the password
// changed and answers 401, and the first one's password holds.
func TestPasswordChangesRace(t *testing.T) {
	t.Parallel()
	h := &pausingHasher{Hasher: servertest.NewHasher(t), entered: make(chan struct{}), release: make(chan struct{})}
	e := servertest.New(t, func(o *servertest.Options) { o.Hasher = h })
	u := e.NewUser(t)
	other := e.Login(t, u.Email, u.Password)
	change := func(token, to string) int {
		res, _ := e.Call(t, http.MethodPut, userPath(u)+"/password", token,
			`{"current_password":"`+u.Password+`","new_password":"`+to+`"}`)
		return res.StatusCode
	}
	h.armedHash.Store(true)
	slow := make(chan int)
	go func() { slow <- change(u.Tokens.AccessToken, "purple monkey dishwasher lamp") }()
	<-h.entered // the first change has checked the current password
	if st := change(other.AccessToken, "orange walrus typewriter moon"); st != 204 {
		t.Fatalf("the second change: %d; want 204", st)
	}
	close(h.release)
	if st := <-slow; st != 401 {
		t.Fatalf("the first change, stored after the second: %d; want 401 (the current password changed)", st)
	}
	e.Login(t, u.Email, "orange walrus typewriter moon")
}
