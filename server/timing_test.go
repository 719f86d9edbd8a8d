package server_test

import (
	"context"
	"crypto/rand"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/users"
)

// countingHasher counts the password verifications a login performs, and which
// of them ran against the dummy hash.
type countingHasher struct {
	users.Hasher
	verifies, dummies atomic.Int64
	encoded           atomic.Value // the last hash verified against
}

func (h *countingHasher) Verify(ctx context.Context, encoded, password string) (auth.Verification, error) {
	h.verifies.Add(1)
	if encoded == h.DummyHash() {
		h.dummies.Add(1)
	}
	h.encoded.Store(encoded)
	return h.Hasher.Verify(ctx, encoded, password)
}

// loginPaths sets up the three ways a login fails plus a success, on e.
func loginPaths(t testing.TB, e *servertest.Env) map[string]client.LoginRequest {
	u := e.NewUser(t)
	gone := e.NewUser(t)
	e.DeleteUser(t, gone.Id)
	off := e.NewUser(t)
	disabled := true
	if _, err := e.Service.Users.Update(context.Background(), off.Id, users.Patch{Disabled: &disabled}, nil); err != nil {
		t.Fatal(err)
	}
	return map[string]client.LoginRequest{
		"UnknownEmail":          {Email: "nobody-" + strings.ToLower(rand.Text()) + "@example.com", Password: servertest.StrongPassword},
		"DeletedUser":           {Email: gone.Email, Password: gone.Password},
		"WrongPassword":         {Email: u.Email, Password: servertest.StrongPassword + "!"},
		"DisabledWrongPassword": {Email: off.Email, Password: servertest.StrongPassword + "!"},
		"DisabledRightPassword": {Email: off.Email, Password: off.Password},
		"Success":               {Email: u.Email, Password: u.Password},
	}
}

// TestLoginVerifiesOnceOnEveryPath is the structural proof that login timing
// does not tell whether an address has an account: each failure path runs
// exactly one full verification with the current parameters, against the dummy
// hash when there is no (live) user. A disabled account runs the verification
// of any other, and only its correct password tells that it is disabled.
func TestLoginVerifiesOnceOnEveryPath(t *testing.T) {
	t.Parallel()
	var h *countingHasher
	e := servertest.New(t, func(o *servertest.Options) {
		h = &countingHasher{Hasher: servertest.NewHasher(t)}
		o.Hasher = h
	})
	paths := loginPaths(t, e)
	tests := []struct {
		path    string
		status  int
		dummies int64
	}{
		{"UnknownEmail", 401, 1},
		{"DeletedUser", 401, 1},
		{"WrongPassword", 401, 0},
		{"DisabledWrongPassword", 401, 0},
		{"DisabledRightPassword", 403, 0},
		{"Success", 200, 0},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			h.verifies.Store(0)
			h.dummies.Store(0)
			res, err := e.Client.LoginWithResponse(context.Background(), paths[tc.path])
			if err != nil || res.StatusCode() != tc.status {
				t.Fatalf("got %v %d %s", err, res.StatusCode(), res.Body)
			}
			if got := h.verifies.Load(); got != 1 {
				t.Fatalf("%d verifications, want exactly 1", got)
			}
			if got := h.dummies.Load(); got != tc.dummies {
				t.Fatalf("%d verifications against the dummy hash, want %d", got, tc.dummies)
			}
			if enc, _ := h.encoded.Load().(string); !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
				t.Fatalf("verified against %q, not a hash of the current parameters", enc)
			}
		})
	}
}

// BenchmarkLoginPaths times each login path at OWASP's argon2id cost, with
// imported bcrypt-10 and bcrypt-12 users stored, and reports the medians: every
// failure path should agree within 25%, whatever the stored hash.
func BenchmarkLoginPaths(b *testing.B) {
	e := servertest.New(b, func(o *servertest.Options) { o.Config.Argon2 = auth.OWASPArgon2 })
	paths := loginPaths(b, e)
	for _, cost := range []int{10, 12} {
		h, err := bcrypt.GenerateFromPassword([]byte(servertest.StrongPassword), cost)
		if err != nil {
			b.Fatal(err)
		}
		email := servertest.UniqueEmail("bcrypt")
		mustExec(b, e, "INSERT INTO users (id, email, email_key, name, password_hash) VALUES (gen_random_uuid(), $1, lower($1), 'Imported', $2)", email, string(h))
		paths["WrongPasswordBcrypt"+strconv.Itoa(cost)] = client.LoginRequest{Email: email, Password: servertest.StrongPassword + "!"}
	}
	// As a replica does at start: the floor now covers the bcrypt-12 users.
	if err := e.Service.Users.MeasureFailureFloor(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Logf("failure floor %s", e.Service.Users.FailureFloor())
	for _, name := range []string{"UnknownEmail", "DeletedUser", "WrongPassword", "DisabledWrongPassword", "WrongPasswordBcrypt10", "WrongPasswordBcrypt12", "Success"} {
		b.Run(name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				res, err := e.Client.LoginWithResponse(context.Background(), paths[name])
				took = append(took, time.Since(start))
				if err != nil || (res.StatusCode() != 200 && res.StatusCode() != 401) {
					b.Fatalf("%v %v", err, res)
				}
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
		})
	}
}
