package server_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/servertest"
)

func TestRegister(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	taken := e.Register(t, "Taken@Example.com", "Taken", servertest.StrongPassword)
	if taken.Email != "Taken@Example.com" || taken.Role != client.RoleUser {
		t.Fatalf("registered %+v", taken)
	}
	long := strings.Repeat("x", 101)
	tests := []struct {
		name     string
		body     string
		status   int
		code     string
		field    string
		wantUser string // email of the created user, for 201
	}{
		{"Created_201", `{"email":"ada@example.com","password":"correct horse battery staple","name":"Ada"}`, 201, "", "", "ada@example.com"},
		{"TrimmedEmailKeepsCase_201", `{"email":"  Grace.Hopper@Example.COM ","password":"correct horse battery staple","name":"Grace"}`, 201, "", "", "Grace.Hopper@Example.COM"},
		{"EmailTakenOtherCase_409", `{"email":"taken@EXAMPLE.com","password":"correct horse battery staple","name":"T"}`, 409, string(api.CodeEmailTaken), "email", ""},
		{"EmailTakenWithSpaces_409", `{"email":" Taken@Example.com ","password":"correct horse battery staple","name":"T"}`, 409, string(api.CodeEmailTaken), "email", ""},
		{"DisplayName_400", `{"email":"Bob <bob@example.com>","password":"correct horse battery staple","name":"Bob"}`, 400, string(api.CodeValidationFailed), "email", ""},
		{"NoAt_400", `{"email":"bob.example.com","password":"correct horse battery staple","name":"Bob"}`, 400, string(api.CodeValidationFailed), "email", ""},
		{"NoDomainDot_400", `{"email":"bob@localhost","password":"correct horse battery staple","name":"Bob"}`, 400, string(api.CodeValidationFailed), "email", ""},
		{"MissingEmail_400", `{"password":"correct horse battery staple","name":"Bob"}`, 400, string(api.CodeValidationFailed), "email", ""},
		{"MissingName_400", `{"email":"bob@example.com","password":"correct horse battery staple"}`, 400, string(api.CodeValidationFailed), "name", ""},
		{"EmptyName_400", `{"email":"bob@example.com","password":"correct horse battery staple","name":""}`, 400, string(api.CodeValidationFailed), "name", ""},
		{"BlankName_400", `{"email":"bob@example.com","password":"correct horse battery staple","name":"   "}`, 400, string(api.CodeValidationFailed), "name", ""},
		{"NameTooLong_400", `{"email":"bob@example.com","password":"correct horse battery staple","name":"` + long + `"}`, 400, string(api.CodeValidationFailed), "name", ""},
		{"NameControlChar_400", `{"email":"bob@example.com","password":"correct horse battery staple","name":"Bob\u0007"}`, 400, string(api.CodeValidationFailed), "name", ""},
		{"NameNumber_400", `{"email":"bob@example.com","password":"correct horse battery staple","name":42}`, 400, string(api.CodeValidationFailed), "name", ""},
		{"UnknownField_400", `{"email":"bob@example.com","password":"correct horse battery staple","name":"Bob","role":"admin"}`, 400, string(api.CodeValidationFailed), "role", ""},
		{"CaseVariantField_400", `{"email":"bob@example.com","password":"correct horse battery staple","name":"Bob","PASSWORD":"x"}`, 400, string(api.CodeValidationFailed), "PASSWORD", ""},
		{"PasswordTooShort_400", `{"email":"bob@example.com","password":"Zq8#vL2","name":"Bob"}`, 400, string(api.CodeValidationFailed), "password", ""},
		{"PasswordTooLong_400", `{"email":"bob@example.com","password":"` + strings.Repeat("Zq8#vL2!", 16) + `x","name":"Bob"}`, 400, string(api.CodeValidationFailed), "password", ""},
		{"PasswordCommon_400", `{"email":"bob@example.com","password":"password123","name":"Bob"}`, 400, string(api.CodeWeakPassword), "password", ""},
		{"PasswordGuessable_400", `{"email":"bob@example.com","password":"Summer2024!","name":"Bob"}`, 400, string(api.CodeWeakPassword), "password", ""},
		{"PasswordHasLocalPart_400", `{"email":"zebulon@example.com","password":"xx-ZEBULON-correct-horse","name":"Z"}`, 400, string(api.CodeWeakPassword), "password", ""},
		// Lengths count code points: 8 characters in 11 bytes pass, 7 in 10 do not.
		{"PasswordEightCodePoints_201", `{"email":"emoji@example.com","password":"Zq8#vL2🦊","name":"Emoji"}`, 201, "", "", "emoji@example.com"},
		{"PasswordSevenCodePoints_400", `{"email":"emoji2@example.com","password":"Zq8#vL🦊","name":"Emoji"}`, 400, string(api.CodeValidationFailed), "password", ""},
		{"Password128CodePoints_201", `{"email":"long@example.com","password":"` + strings.Repeat("🦊Zq8#vL2", 16) + `","name":"Long"}`, 201, "", "", "long@example.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.Client.RegisterWithBodyWithResponse(context.Background(), "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode() != tc.status {
				t.Fatalf("got %d %s", res.StatusCode(), res.Body)
			}
			if tc.status == 201 {
				if res.JSON201.Email != tc.wantUser || res.HTTPResponse.Header.Get("Location") != "/api/v1/users/"+res.JSON201.Id.String() {
					t.Fatalf("created %+v, Location %q", res.JSON201, res.HTTPResponse.Header.Get("Location"))
				}
				if bytes.Contains(res.Body, []byte("hash")) || bytes.Contains(res.Body, []byte("password")) {
					t.Fatalf("user body mentions the password: %s", res.Body)
				}
				return
			}
			p := servertest.ProblemOf(t, res.Body)
			if p.Code != tc.code || p.Errors == nil || !hasField(*p.Errors, tc.field) {
				t.Fatalf("got %s, want %s naming %q", res.Body, tc.code, tc.field)
			}
		})
	}
}

// hasField reports whether the problem's errors name field.
func hasField(errs []api.FieldError, field string) bool {
	for _, e := range errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

func TestRegisterConcurrentSameEmail(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	const n = 50
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			email := "race@example.com"
			if i%2 == 1 {
				email = " RACE@example.com"
			}
			res, err := e.Client.RegisterWithResponse(context.Background(), client.RegisterRequest{Email: email, Name: "Racer", Password: servertest.StrongPassword})
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i] = res.StatusCode()
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[201] != 1 || count[409] != n-1 {
		t.Fatalf("statuses %v, want exactly one 201 and %d × 409", count, n-1)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := e.NewUser(t)
	gone := e.NewUser(t)
	e.DeleteUser(t, gone.Id)
	t.Run("Success_200", func(t *testing.T) {
		pair := e.Login(t, "  "+strings.ToUpper(u.Email)+" ", u.Password)
		if pair.TokenType != client.Bearer || pair.ExpiresIn != 900 || pair.AccessToken == "" || len(pair.RefreshToken) != 43 {
			t.Fatalf("token pair %+v", pair)
		}
		if status := e.Me(t, pair.AccessToken); status != http.StatusOK {
			t.Fatalf("/users/me with the new token: %d", status)
		}
	})
	t.Run("MalformedEmail_400", func(t *testing.T) {
		res, err := e.Client.LoginWithResponse(context.Background(), client.LoginRequest{Email: "not an address", Password: "whatever1"})
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode() != 400 || servertest.ProblemOf(t, res.Body).Code != string(api.CodeValidationFailed) {
			t.Fatalf("got %d %s", res.StatusCode(), res.Body)
		}
	})
	// The three failures must be indistinguishable: same status, headers and
	// bytes (with the same request id).
	failures := []struct{ name, email, password string }{
		{"UnknownEmail_401", "nobody@example.com", u.Password},
		{"WrongPassword_401", u.Email, u.Password + "!"},
		{"DeletedUser_401", gone.Email, gone.Password},
	}
	var first []byte
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			res, err := e.Client.LoginWithResponse(context.Background(), client.LoginRequest{Email: f.email, Password: f.password},
				func(_ context.Context, r *http.Request) error {
					r.Header.Set(httpx.HeaderRequestID, "same-id")
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode() != 401 || servertest.ProblemOf(t, res.Body).Code != string(api.CodeInvalidCredentials) {
				t.Fatalf("got %d %s", res.StatusCode(), res.Body)
			}
			if first == nil {
				first = res.Body
			} else if !bytes.Equal(first, res.Body) {
				t.Fatalf("body differs from the first failure:\n%s\n%s", first, res.Body)
			}
			if h := res.HTTPResponse.Header.Get("WWW-Authenticate"); h != "" {
				t.Errorf("login failure carries WWW-Authenticate %q", h)
			}
		})
	}
}

func TestLoginLogs(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	u := e.NewUser(t)
	e.Login(t, u.Email, u.Password)
	_, _ = e.Client.LoginWithResponse(context.Background(), client.LoginRequest{Email: u.Email, Password: "wrong password here"})
	_, _ = e.Client.LoginWithResponse(context.Background(), client.LoginRequest{Email: "ghost@example.com", Password: "wrong password here"})
	logs := e.Logs.String()
	for _, want := range []string{`"msg":"login succeeded"`, `"msg":"login failed"`, `"user_id":"` + u.Id.String() + `"`, `"ip":"127.0.0.1"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s", want)
		}
	}
	for _, secret := range []string{u.Email, "ghost@example.com", u.Password, "wrong password here", u.Tokens.AccessToken, u.Tokens.RefreshToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain a secret or an address: %q", secret)
		}
	}
}

func TestLoginBcryptImportIsRehashed(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		t.Run(strings.Trim(prefix, "$"), func(t *testing.T) {
			h, err := bcrypt.GenerateFromPassword([]byte("imported pass phrase"), bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			hash := prefix + string(h[4:])
			email := servertest.UniqueEmail("imported")
			if _, err := e.Pool.Exec(context.Background(),
				"INSERT INTO users (id, email, email_key, name, password_hash) VALUES (gen_random_uuid(), $1, lower($1), 'Imported', $2)", email, hash); err != nil {
				t.Fatal(err)
			}
			e.Login(t, email, "imported pass phrase")
			var stored string
			if err := e.Pool.QueryRow(context.Background(), "SELECT password_hash FROM users WHERE email = $1", email).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(stored, "$argon2id$v=19$m=64,t=1,p=1$") {
				t.Fatalf("after login the hash is %q, want argon2id with the current parameters", stored)
			}
			e.Login(t, email, "imported pass phrase")
		})
	}
}
