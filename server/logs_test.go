package server_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meridianhq/accounts/server/servertest"
)

// TestAccessLogSaysWhy checks that the access-log line of each refusal says
// why, while the client gets the same 401 whatever the reason, and that the
// line of an authenticated request names its actor.
func TestAccessLogSaysWhy(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, func(o *servertest.Options) { o.Config.HTTP.CORSOrigins = []string{"https://app.example.com"} })
	u, admin, revoked, off := e.NewUser(t), e.NewAdmin(t), e.NewUser(t), e.NewUser(t)
	if res, b := e.Call(t, http.MethodPost, "/api/v1/auth/logout", revoked.Tokens.AccessToken, ""); res.StatusCode != 204 {
		t.Fatalf("logout: %d %s", res.StatusCode, b)
	}
	if res, b := e.Call(t, http.MethodPatch, userPath(off), admin.Tokens.AccessToken, `{"disabled":true}`); res.StatusCode != 200 {
		t.Fatalf("disable: %d %s", res.StatusCode, b)
	}
	tests := []struct {
		name    string
		method  string
		path    string
		token   string
		body    string
		header  []string
		status  int
		actor   string
		why     string
		advance time.Duration // how far the clock moves first
	}{
		{"Authenticated", http.MethodGet, "/api/v1/users/me", u.Tokens.AccessToken, "", nil, 200, u.Id.String(), "", 0},
		{"AdminActsOnAnother", http.MethodPatch, userPath(u), admin.Tokens.AccessToken, `{"name":"Renamed"}`, nil, 200, admin.Id.String(), "", 0},
		{"NoToken", http.MethodGet, "/api/v1/users/me", "", "", nil, 401, "", "no_token", 0},
		{"Malformed", http.MethodGet, "/api/v1/users/me", "not-a-token", "", nil, 401, "", "malformed", 0},
		{"BadSignature", http.MethodGet, "/api/v1/users/me", badSignature(u.Tokens.AccessToken), "", nil, 401, "", "bad_signature", 0},
		{"UnknownKey", http.MethodGet, "/api/v1/users/me", withKid(t, u.Tokens.AccessToken, "retired-key"), "", nil, 401, "", "unknown_key", 0},
		{"Revoked", http.MethodGet, "/api/v1/users/me", revoked.Tokens.AccessToken, "", nil, 401, revoked.Id.String(), "revoked", 0},
		{"WrongPassword", http.MethodPost, "/api/v1/auth/login", "", `{"email":"` + u.Email + `","password":"not the password at all"}`, nil, 401, "", "invalid_credentials", 0},
		{"AccountDisabled", http.MethodPost, "/api/v1/auth/login", "", `{"email":"` + off.Email + `","password":"` + off.Password + `"}`, nil, 403, "", "account_disabled", 0},
		{"RefreshInvalid", http.MethodPost, "/api/v1/auth/refresh", "", `{"refresh_token":"unknown-refresh-token-of-enough-length"}`, nil, 401, "", "refresh_invalid", 0},
		{"CORSPreflightRefused", http.MethodOptions, "/api/v1/users/me", "", "",
			[]string{"Origin", "https://evil.example.com", "Access-Control-Request-Method", "GET"}, 204, "", "cors_origin_refused", 0},
		{"Expired", http.MethodGet, "/api/v1/users/me", u.Tokens.AccessToken, "", nil, 401, "", "expired", 16 * time.Minute},
	}
	var refusal []byte
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.Clock.Advance(tc.advance)
			id := "why-" + strings.ToLower(tc.name)
			res, b := e.Call(t, tc.method, tc.path, tc.token, tc.body, append([]string{"X-Request-ID", id}, tc.header...)...)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, b)
			}
			line := accessLine(t, e, id)
			if line["actor"] != nilIfEmpty(tc.actor) || line["why"] != nilIfEmpty(tc.why) {
				t.Fatalf("access line has actor %v, why %v; want %q, %q:\n%v", line["actor"], line["why"], tc.actor, tc.why, line)
			}
			checkAccessFields(t, line, tc.status)
			// Every refused access token gets the same body but for its request
			// id: the reason is the log's only.
			if tc.status == 401 && tc.token != "" {
				p := servertest.ProblemOf(t, b)
				p.RequestId = ""
				same, _ := json.Marshal(p)
				if refusal != nil && string(same) != string(refusal) {
					t.Fatalf("401 bodies differ:\n%s\n%s", refusal, same)
				}
				refusal = same
			}
		})
	}
	if !strings.Contains(e.Logs.String(), `"msg":"CORS preflight refused: origin not allowed","request_id":"why-corspreflightrefused","origin":"https://evil.example.com"`) {
		t.Errorf("no log line names the refused origin:\n%s", e.Logs.String())
	}
}

// TestDebugLines checks that the debug level says what the token cache and
// the rate limiter decided, and that a refused attempt's access line says so.
func TestDebugLines(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, func(o *servertest.Options) { o.Config.AuthAttemptsPerMinute = 3 })
	u := e.NewUser(t)
	e.Me(t, u.Tokens.AccessToken)
	e.Me(t, u.Tokens.AccessToken)
	for i := range 3 {
		id := fmt.Sprintf("attempt-%d", i)
		res, b := e.Call(t, http.MethodPost, "/api/v1/auth/login", "", `{"email":"who@example.com","password":"not the password"}`, "X-Request-ID", id)
		if want := []int{401, 429, 429}[i]; res.StatusCode != want {
			t.Fatalf("attempt %d: %d %s; want %d", i, res.StatusCode, b, want)
		}
	}
	// Another replica's debug line tells of the revocation it learnt of.
	other := servertest.New(t, func(o *servertest.Options) { o.Pool = e.Pool })
	if res, b := e.Call(t, http.MethodPost, "/api/v1/auth/logout", u.Tokens.AccessToken, ""); res.StatusCode != 204 {
		t.Fatalf("logout: %d %s", res.StatusCode, b)
	}
	sid := `"session_id":"` + claim(t, u.Tokens.AccessToken, "sid") + `"`
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		l := other.Logs.String()
		if strings.Contains(l, `"msg":"revocation notified",`+sid) || strings.Contains(l, `"msg":"revocations found by polling","sessions":1`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other replica did not log the revocation:\n%s", l)
		}
	}
	if why := accessLine(t, e, "attempt-2")["why"]; why != "rate_limited:auth" {
		t.Errorf("a refused attempt's access line says why %v", why)
	}
	logs := e.Logs.String()
	for _, want := range []string{
		`"level":"DEBUG","msg":"access token","cached":false,"valid":true`,
		`"level":"DEBUG","msg":"access token","cached":true,"valid":true`,
		`"level":"DEBUG","msg":"rate limit","scope":"auth","allowed":true,"remaining":0`,
		`"level":"DEBUG","msg":"rate limit","scope":"auth","allowed":false`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("no %s in the log:\n%s", want, logs)
		}
	}
}

// checkAccessFields fails t unless line has every field of an access line, its
// status is status, and its duration whole microseconds.
func checkAccessFields(t *testing.T, line map[string]any, status int) {
	t.Helper()
	for _, k := range []string{"time", "level", "msg", "request_id", "trace_id", "operation", "method", "route", "status", "bytes", "duration_us", "ip"} {
		if _, ok := line[k]; !ok {
			t.Fatalf("the access line has no %s: %v", k, line)
		}
	}
	d, ok := line["duration_us"].(float64)
	if line["status"] != float64(status) || !ok || d < 0 || d != math.Trunc(d) || line["level"] != "INFO" {
		t.Fatalf("access line with status %v, duration_us %v, level %v; want %d, whole microseconds, INFO", line["status"], line["duration_us"], line["level"], status)
	}
}

// accessLine is the access-log line of the request with id.
func accessLine(t *testing.T, e *servertest.Env, id string) map[string]any {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(e.Logs.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "request" && line["request_id"] == id {
			return line
		}
	}
	t.Fatalf("no access line for request %s:\n%s", id, e.Logs.String())
	return nil
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// badSignature changes one byte of token's signature.
func badSignature(token string) string {
	i := strings.LastIndexByte(token, '.') + 5
	c := byte('A')
	if token[i] == 'A' {
		c = 'B'
	}
	return token[:i] + string(c) + token[i+1:]
}

// withKid is token with its header's kid replaced (and so its signature no
// longer matching).
func withKid(t *testing.T, token, kid string) string {
	t.Helper()
	parts := strings.SplitN(token, ".", 2)
	hdr := segmentOf(t, token, 0)
	hdr["kid"] = kid
	b, err := json.Marshal(hdr)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b) + "." + parts[1]
}

// segmentOf decodes the JSON of token's segment i (0 the header, 1 the claims).
func segmentOf(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// claim is the string claim name of token.
func claim(t *testing.T, token, name string) string {
	t.Helper()
	s, _ := segmentOf(t, token, 1)[name].(string)
	return s
}
