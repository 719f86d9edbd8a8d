package server_test

import (
	"context"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/testdb"
)

// sidOf is the session id of an access token.
func sidOf(t *testing.T, token string) uuid.UUID { return uuidOf(sessionOf(t, token)) }

// sessionsOf lists the sessions of user through GET /users/{id}/sessions.
func sessionsOf(t *testing.T, e *servertest.Env, token string, user uuid.UUID) []client.Session {
	t.Helper()
	res, err := e.Client.ListUserSessionsWithResponse(context.Background(), user, servertest.Bearer(token))
	if err != nil || res.JSON200 == nil {
		t.Fatalf("sessions of %s: %v %d %s", user, err, res.StatusCode(), res.Body)
	}
	return res.JSON200.Items
}

// TestUserSessionsAuthorizationMatrix sends each user-sessions operation from
// every kind of caller at a fresh target: the user themself and admins may,
// anyone else gets 404 as for a user that does not exist, and no refusal ends
// a session or carries the target's data. A session id is only ever a session
// of the user in the path.
func TestUserSessionsAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	admin, stranger, gone := e.NewAdmin(t), e.NewUser(t), e.NewUser(t)
	e.DeleteUser(t, gone.Id)
	type op struct{ name, method, path string }
	ops := func(target servertest.User) []op {
		id := "/api/v1/users/" + target.Id.String() + "/sessions"
		return []op{
			{"list", http.MethodGet, id},
			{"deleteAll", http.MethodDelete, id},
			{"deleteOne", http.MethodDelete, id + "/" + sidOf(t, target.Tokens.AccessToken).String()},
			{"deleteOthersSession", http.MethodDelete, id + "/" + sidOf(t, stranger.Tokens.AccessToken).String()},
			{"deleteUnknownSession", http.MethodDelete, id + "/" + uuid.NewString()},
		}
	}
	const (
		userNF    = string(api.CodeUserNotFound)
		sessionNF = string(api.CodeSessionNotFound)
	)
	type want struct {
		status int
		code   string
	}
	wants := map[string]map[string]want{
		"Self": {"list": {200, ""}, "deleteAll": {204, ""}, "deleteOne": {204, ""},
			"deleteOthersSession": {404, sessionNF}, "deleteUnknownSession": {404, sessionNF}},
		"OtherUser": {"list": {404, userNF}, "deleteAll": {404, userNF}, "deleteOne": {404, userNF},
			"deleteOthersSession": {404, userNF}, "deleteUnknownSession": {404, userNF}},
		"Admin": {"list": {200, ""}, "deleteAll": {204, ""}, "deleteOne": {204, ""},
			"deleteOthersSession": {404, sessionNF}, "deleteUnknownSession": {404, sessionNF}},
		"DeletedCaller": {"list": {401, ""}, "deleteAll": {401, ""}, "deleteOne": {401, ""},
			"deleteOthersSession": {401, ""}, "deleteUnknownSession": {401, ""}},
		"NoToken": {"list": {401, ""}, "deleteAll": {401, ""}, "deleteOne": {401, ""},
			"deleteOthersSession": {401, ""}, "deleteUnknownSession": {401, ""}},
	}
	callers := map[string]func(target servertest.User) string{
		"Self":          func(target servertest.User) string { return target.Tokens.AccessToken },
		"OtherUser":     func(servertest.User) string { return stranger.Tokens.AccessToken },
		"Admin":         func(servertest.User) string { return admin.Tokens.AccessToken },
		"DeletedCaller": func(servertest.User) string { return gone.Tokens.AccessToken },
		"NoToken":       func(servertest.User) string { return "" },
	}
	for caller, token := range callers {
		for _, name := range []string{"list", "deleteAll", "deleteOne", "deleteOthersSession", "deleteUnknownSession"} {
			t.Run(caller+"/"+name, func(t *testing.T) {
				target := e.NewUser(t)
				var o op
				for _, c := range ops(target) {
					if c.name == name {
						o = c
					}
				}
				res, b := e.Call(t, o.method, o.path, token(target), "")
				w := wants[caller][name]
				if res.StatusCode != w.status {
					t.Fatalf("%s %s: %d %s, want %d", o.method, o.path, res.StatusCode, b, w.status)
				}
				if w.code != "" && servertest.ProblemOf(t, b).Code != w.code {
					t.Fatalf("%s: want %s", b, w.code)
				}
				if res.StatusCode >= 400 {
					if strings.Contains(string(b), target.Email) || strings.Contains(string(b), target.Id.String()) {
						t.Fatalf("a refusal carries the target's data: %s", b)
					}
					if e.Me(t, target.Tokens.AccessToken) != 200 {
						t.Fatal("a refused call ended the target's session")
					}
				}
				if e.Me(t, stranger.Tokens.AccessToken) != 200 {
					t.Fatal("another user's session was ended through this user's path")
				}
			})
		}
	}
	t.Run("AdminOnUnknownOrDeletedUser_404", func(t *testing.T) {
		for _, id := range []string{uuid.NewString(), gone.Id.String()} {
			for _, o := range []op{
				{"list", http.MethodGet, "/api/v1/users/" + id + "/sessions"},
				{"deleteAll", http.MethodDelete, "/api/v1/users/" + id + "/sessions"},
				{"deleteOne", http.MethodDelete, "/api/v1/users/" + id + "/sessions/" + sidOf(t, stranger.Tokens.AccessToken).String()},
			} {
				res, b := e.Call(t, o.method, o.path, admin.Tokens.AccessToken, "")
				if res.StatusCode != 404 || servertest.ProblemOf(t, b).Code != userNF {
					t.Errorf("%s %s: %d %s; want 404 %s", o.method, o.path, res.StatusCode, b, userNF)
				}
			}
		}
		if e.Me(t, stranger.Tokens.AccessToken) != 200 {
			t.Fatal("ending a session through an unknown user's path ended it")
		}
	})
	t.Run("BadIDs_400", func(t *testing.T) {
		for _, tc := range []struct{ method, path, field string }{
			{http.MethodGet, "/api/v1/users/not-a-uuid/sessions", "id"},
			{http.MethodDelete, "/api/v1/users/not-a-uuid/sessions", "id"},
			{http.MethodDelete, "/api/v1/users/" + admin.Id.String() + "/sessions/not-a-uuid", "sid"},
			{http.MethodDelete, "/api/v1/users/not-a-uuid/sessions/" + uuid.NewString(), "id"},
		} {
			res, b := e.Call(t, tc.method, tc.path, admin.Tokens.AccessToken, "")
			p := servertest.ProblemOf(t, b)
			if res.StatusCode != 400 || p.Code != string(api.CodeValidationFailed) || p.Errors == nil || !hasField(*p.Errors, tc.field) {
				t.Errorf("%s %s: %d %s; want 400 naming %s", tc.method, tc.path, res.StatusCode, b, tc.field)
			}
		}
	})
}

// TestAdminEndsUserSessions: an admin sees a user's sessions as the user sees
// them, and ends one, then all: each ends at once on this replica and within a
// second on another, with its refresh token, and is audited with the admin as
// actor; the admin's own session and the other user's stay.
func TestAdminEndsUserSessions(t *testing.T) {
	t.Parallel()
	pool, dbURL := testdb.NewPool(t)
	a := servertest.New(t, servertest.OnDatabase(pool, dbURL))
	b := servertest.New(t, servertest.OnDatabase(pool, dbURL)) // a second replica
	admin, u, bystander := a.NewAdmin(t), a.NewUser(t), a.NewUser(t)
	second, third := a.Login(t, u.Email, u.Password), a.Login(t, u.Email, u.Password)
	tok := admin.Tokens.AccessToken

	// The same representation as the user's own list, but nothing is current
	// to the admin.
	own, err := a.Client.ListSessionsWithResponse(context.Background(), servertest.Bearer(u.Tokens.AccessToken))
	if err != nil || own.JSON200 == nil {
		t.Fatal(err)
	}
	mine := sessionsOf(t, a, u.Tokens.AccessToken, u.Id)
	theirs := sessionsOf(t, a, tok, u.Id)
	if len(theirs) != 3 || len(mine) != 3 {
		t.Fatalf("listed %d sessions to the admin and %d to the user; want 3", len(theirs), len(mine))
	}
	for i := range theirs {
		if theirs[i].Current || theirs[i].Id != mine[i].Id || !reflect.DeepEqual(mine[i], own.JSON200.Items[i]) {
			t.Fatalf("session %d: admin sees %+v, the user %+v and, on their own list, %+v", i, theirs[i], mine[i], own.JSON200.Items[i])
		}
		if mine[i].Current != (mine[i].Id == sidOf(t, u.Tokens.AccessToken)) {
			t.Fatalf("session %d: current %v", i, mine[i].Current)
		}
	}

	// One.
	res, err := a.Client.DeleteUserSessionWithResponse(context.Background(), u.Id, sidOf(t, second.AccessToken), servertest.Bearer(tok))
	if err != nil || res.StatusCode() != 204 {
		t.Fatalf("ending one: %v %d %s", err, res.StatusCode(), res.Body)
	}
	if a.Me(t, second.AccessToken) != 401 {
		t.Fatal("replica A still accepts the ended session's token")
	}
	if took, ok := refusedWithin(t, b, second.AccessToken, time.Second); !ok {
		t.Fatalf("replica B still accepts the ended session's token %s after", took)
	}
	if status, _, code := refresh(t, a, second.RefreshToken); status != 401 || code != string(api.CodeInvalidRefreshToken) {
		t.Fatalf("the ended session's refresh: %d %s", status, code)
	}
	if a.Me(t, u.Tokens.AccessToken) != 200 || b.Me(t, third.AccessToken) != 200 {
		t.Fatal("ending one session ended another")
	}
	if n := len(sessionsOf(t, b, tok, u.Id)); n != 2 {
		t.Fatalf("%d sessions left, want 2", n)
	}
	if res, _ := a.Client.DeleteUserSessionWithResponse(context.Background(), u.Id, sidOf(t, second.AccessToken), servertest.Bearer(tok)); res.StatusCode() != 404 ||
		res.ApplicationproblemJSON404 == nil || res.ApplicationproblemJSON404.Code != string(api.CodeSessionNotFound) {
		t.Fatalf("ending an ended session: %d %s", res.StatusCode(), res.Body)
	}

	// All.
	all, err := b.Client.DeleteUserSessionsWithResponse(context.Background(), u.Id, servertest.Bearer(tok))
	if err != nil || all.StatusCode() != 204 {
		t.Fatalf("ending all: %v %d %s", err, all.StatusCode(), all.Body)
	}
	for _, p := range []client.TokenPair{u.Tokens, third} {
		if b.Me(t, p.AccessToken) != 401 {
			t.Fatal("replica B still accepts a token of the sessions it ended")
		}
		if took, ok := refusedWithin(t, a, p.AccessToken, time.Second); !ok {
			t.Fatalf("replica A still accepts a token of the ended sessions %s after", took)
		}
		if status, _, _ := refresh(t, a, p.RefreshToken); status != 401 {
			t.Fatalf("an ended session's refresh: %d", status)
		}
	}
	if n := len(sessionsOf(t, a, tok, u.Id)); n != 0 {
		t.Fatalf("%d sessions left, want none", n)
	}
	if a.Me(t, tok) != 200 || a.Me(t, bystander.Tokens.AccessToken) != 200 {
		t.Fatal("ending a user's sessions ended the admin's or another user's")
	}
	if again, _ := a.Client.DeleteUserSessionsWithResponse(context.Background(), u.Id, servertest.Bearer(tok)); again.StatusCode() != 204 {
		t.Fatalf("ending no sessions: %d %s", again.StatusCode(), again.Body)
	}

	// The trail: one event each, the admin as actor; none for the 404.
	var revoked []client.AuditEvent
	for _, ev := range auditOf(t, a, tok, u.Id) {
		if ev.Action == client.SessionRevoked {
			revoked = append(revoked, ev)
		}
	}
	if len(revoked) != 3 {
		t.Fatalf("%d session.revoked events, want 3 (one, all, all again): %+v", len(revoked), revoked)
	}
	one, many, none := revoked[2], revoked[1], revoked[0]
	for _, ev := range revoked {
		if ev.ActorId == nil || *ev.ActorId != admin.Id || ev.TargetId == nil || *ev.TargetId != u.Id || ev.Details["reason"] != "session_deleted" {
			t.Errorf("event %+v; want the admin as actor and the user as target", ev)
		}
	}
	if one.SessionId == nil || *one.SessionId != sidOf(t, second.AccessToken) {
		t.Errorf("ending one: %+v; want its session", one)
	}
	if many.SessionId != nil || many.Details["sessions"] != float64(2) || none.Details["sessions"] != float64(0) {
		t.Errorf("ending all: %+v and %+v; want no session and the number ended", many, none)
	}
}

// TestUserEndsOwnSessionsByID: on your own id, DELETE …/sessions ends every
// session, the current one too, and …/sessions/{sid} any one of them.
func TestUserEndsOwnSessionsByID(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := e.NewUser(t)
	other, last := e.Login(t, u.Email, u.Password), e.Login(t, u.Email, u.Password)
	res, err := e.Client.DeleteUserSessionWithResponse(context.Background(), u.Id, sidOf(t, other.AccessToken), servertest.Bearer(u.Tokens.AccessToken))
	if err != nil || res.StatusCode() != 204 || e.Me(t, other.AccessToken) != 401 || e.Me(t, u.Tokens.AccessToken) != 200 {
		t.Fatalf("ending another of my sessions: %v %d %s", err, res.StatusCode(), res.Body)
	}
	all, err := e.Client.DeleteUserSessionsWithResponse(context.Background(), u.Id, servertest.Bearer(u.Tokens.AccessToken))
	if err != nil || all.StatusCode() != 204 {
		t.Fatalf("ending all my sessions: %v %d %s", err, all.StatusCode(), all.Body)
	}
	for _, tok := range []string{u.Tokens.AccessToken, last.AccessToken} {
		if e.Me(t, tok) != 401 {
			t.Fatal("a session survived ending all of them")
		}
	}
}

// TestUserAdminOperationsDuringOutage: with the database down, disabling and
// the user-sessions operations answer 503 DATABASE_UNAVAILABLE with
// Retry-After (never 500), and change nothing.
func TestUserAdminOperationsDuringOutage(t *testing.T) {
	t.Parallel()
	e, proxy := proxied(t, 2*time.Second)
	admin, u := e.NewAdmin(t), e.NewUser(t)
	tok := admin.Tokens.AccessToken
	ops := []struct{ name, method, path, body string }{
		{"disableUser", http.MethodPatch, userPath(u), `{"disabled":true}`},
		{"listUserSessions", http.MethodGet, userPath(u) + "/sessions", ""},
		{"deleteUserSessions", http.MethodDelete, userPath(u) + "/sessions", ""},
		{"deleteUserSession", http.MethodDelete, userPath(u) + "/sessions/" + sidOf(t, u.Tokens.AccessToken).String(), ""},
	}
	proxy.setDown(true)
	for _, o := range ops {
		t.Run(o.name+"_503", func(t *testing.T) {
			res, b := e.Call(t, o.method, o.path, tok, o.body)
			secs, _ := strconv.Atoi(res.Header.Get("Retry-After"))
			if res.StatusCode != 503 || servertest.ProblemOf(t, b).Code != string(api.CodeDatabaseUnavailable) || secs < 1 {
				t.Fatalf("%d %s; want 503 DATABASE_UNAVAILABLE with Retry-After\n%s", res.StatusCode, b, e.Logs.String())
			}
		})
	}
	proxy.setDown(false)
	if e.Me(t, u.Tokens.AccessToken) != 200 {
		t.Fatal("a refused operation ended the user's session")
	}
	var status int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if status, _ = login(t, e, u.Email, u.Password); status != 503 {
			break
		}
	}
	if status != 200 {
		t.Fatalf("after the outage the user logs in with %d; want 200 (not disabled)", status)
	}
}
