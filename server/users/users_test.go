package users_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"golang.org/x/crypto/bcrypt"

	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/sessions"
	"github.com/meridianhq/accounts/server/testdb"
	"github.com/meridianhq/accounts/server/users"
)

const password = "correct horse battery staple"

var fastArgon2 = auth.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

// failingHasher hashes and verifies for real until told to fail.
type failingHasher struct {
	*auth.Hasher
	failHash, failVerify bool
}

var errHasher = errors.New("hasher failed")

func (h *failingHasher) Hash(ctx context.Context, p string) (string, error) {
	if h.failHash {
		return "", errHasher
	}
	return h.Hasher.Hash(ctx, p)
}

func (h *failingHasher) Verify(ctx context.Context, enc, p string) (auth.Verification, error) {
	if h.failVerify {
		return auth.Verification{}, errHasher
	}
	return h.Hasher.Verify(ctx, enc, p)
}

// newService returns a Service, its hasher and its pool on a fresh database.
func newService(t *testing.T) (*users.Service, *failingHasher, *pgxpool.Pool) {
	t.Helper()
	pool, _ := testdb.NewPool(t)
	keys, err := auth.NewEphemeralKeySet(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(keys, auth.TokenOptions{Issuer: "i", Audience: "a", TTL: 15 * time.Minute, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := sessions.New(sessions.Options{Pool: pool, Tokens: tokens, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Policy: sessions.Policy{Lifetime: time.Hour, IdleTimeout: time.Hour, Retention: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := auth.NewHasher(fastArgon2, nil, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fh := &failingHasher{Hasher: h}
	return users.New(users.Options{Pool: pool, Hasher: fh, Sessions: sess}), fh, pool
}

func TestLoginFailure(t *testing.T) {
	t.Parallel()
	var err error = &users.LoginFailure{Reason: "wrong password"}
	if !errors.Is(err, users.ErrInvalidCredentials) || errors.Is(err, users.ErrNotFound) || err.Error() == "" {
		t.Fatalf("LoginFailure %v: want it to match ErrInvalidCredentials only", err)
	}
}

func TestFieldErrors(t *testing.T) {
	t.Parallel()
	err := users.FieldErrors{{Field: "email", Reason: "is bad"}, {Field: "name", Reason: "is empty"}}
	if err.Error() != "invalid fields: email is bad; name is empty" {
		t.Fatalf("Error() = %q", err.Error())
	}
	if _, err := users.NormalizeFilterEmail("email", "not an address"); err == nil {
		t.Fatal("NormalizeFilterEmail: want FieldErrors")
	}
}

// TestHasherFailures: a failing hasher is a failure of the service, never a
// refused login or a weak password.
func TestHasherFailures(t *testing.T) {
	t.Parallel()
	us, h, _ := newService(t)
	ctx := context.Background()
	u, err := us.Create(ctx, users.NewUser{Email: "ada@example.com", Name: "Ada", Password: password, Role: auth.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name              string
		failHash, failVer bool
		call              func() error
	}{
		{"CreateHash", true, false, func() error {
			_, err := us.Create(ctx, users.NewUser{Email: "b@example.com", Name: "B", Password: password, Role: auth.RoleUser})
			return err
		}},
		{"LoginVerify", false, true, func() error { _, err := us.Login(ctx, u.Email, password, sessions.Client{}); return err }},
		{"LoginDummyVerify", false, true, func() error { _, err := us.Login(ctx, "nobody@example.com", password, sessions.Client{}); return err }},
		{"ChangePasswordVerify", false, true, func() error {
			cur := password
			return us.ChangePassword(ctx, u.ID, users.PasswordChange{New: "purple monkey dishwasher lamp", Current: &cur})
		}},
		{"ChangePasswordHash", true, false, func() error {
			return us.ChangePassword(ctx, u.ID, users.PasswordChange{New: "purple monkey dishwasher lamp"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.failHash, h.failVerify = tt.failHash, tt.failVer
			defer func() { h.failHash, h.failVerify = false, false }()
			err := tt.call()
			if !errors.Is(err, errHasher) || errors.Is(err, users.ErrInvalidCredentials) {
				t.Fatalf("err = %v; want the hasher's failure", err)
			}
		})
	}
}

// TestDatabaseFailures: every operation reports a database failure (here a
// cancelled context) as an error, never as one of its outcomes.
func TestDatabaseFailures(t *testing.T) {
	t.Parallel()
	us, _, _ := newService(t)
	u, err := us.Create(context.Background(), users.NewUser{Email: "ada@example.com", Name: "Ada", Password: password, Role: auth.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	name, role, disabled := "New", auth.RoleUser, true
	outcomes := []error{users.ErrNotFound, users.ErrEmailTaken, users.ErrLastAdmin, users.ErrNotDeleted,
		users.ErrPreconditionFailed, users.ErrInvalidCredentials, users.ErrWrongPassword, users.ErrAccountDisabled}
	tests := []struct {
		name string
		call func() error
	}{
		{"Create", func() error {
			_, err := us.Create(ctx, users.NewUser{Email: "b@example.com", Name: "B", Password: password, Role: auth.RoleUser})
			return err
		}},
		{"Login", func() error { _, err := us.Login(ctx, u.Email, password, sessions.Client{}); return err }},
		{"Get", func() error { _, err := us.Get(ctx, u.ID); return err }},
		{"Update", func() error { _, err := us.Update(ctx, u.ID, users.Patch{Name: &name}, nil); return err }},
		{"UpdateRole", func() error { _, err := us.Update(ctx, u.ID, users.Patch{Role: &role}, nil); return err }},
		{"UpdateDisabled", func() error { _, err := us.Update(ctx, u.ID, users.Patch{Disabled: &disabled}, nil); return err }},
		{"ChangePassword", func() error {
			return us.ChangePassword(ctx, u.ID, users.PasswordChange{New: "purple monkey dishwasher lamp"})
		}},
		{"Delete", func() error { return us.Delete(ctx, u.ID) }},
		{"Restore", func() error { _, err := us.Restore(ctx, u.ID); return err }},
		{"List", func() error { _, err := us.List(ctx, users.Filter{}, nil, 10); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("want an error")
			}
			for _, o := range outcomes {
				if errors.Is(err, o) {
					t.Fatalf("err = %v: a failure reported as the outcome %v", err, o)
				}
			}
		})
	}
}

// TestChangePasswordOfUnknownUser: an unknown user is not found, not a failure.
func TestChangePasswordOfUnknownUser(t *testing.T) {
	t.Parallel()
	us, _, _ := newService(t)
	cur := password
	err := us.ChangePassword(context.Background(), uuid.New(), users.PasswordChange{New: "purple monkey dishwasher lamp", Current: &cur})
	if !errors.Is(err, users.ErrNotFound) {
		t.Fatalf("err = %v; want ErrNotFound", err)
	}
}

// TestFailureFloor: with bcrypt-10 users stored, the floor covers verifying
// one, and a failed login of an unknown address (which costs a fast argon2id
// dummy verification here) takes at least the floor; a success is not padded.
func TestFailureFloor(t *testing.T) {
	t.Parallel()
	us, _, pool := newService(t)
	ctx := context.Background()
	if err := us.MeasureFailureFloor(ctx); err != nil {
		t.Fatal(err)
	}
	argon := us.FailureFloor()
	h, err := bcrypt.GenerateFromPassword([]byte(password), 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "INSERT INTO users (id, email, email_key, name, password_hash) VALUES (gen_random_uuid(), 'imported@example.com', 'imported@example.com', 'Imported', $1)", string(h)); err != nil {
		t.Fatal(err)
	}
	// The median of a few mismatches (as wrong passwords), as the floor itself
	// is measured: one check alone can land on a busy moment of the machine.
	checks := make([]time.Duration, 5)
	for i := range checks {
		start := time.Now()
		_ = bcrypt.CompareHashAndPassword(h, []byte("wrong"))
		checks[i] = time.Since(start)
	}
	slices.Sort(checks)
	bcrypt10 := checks[len(checks)/2]
	if err := us.MeasureFailureFloor(ctx); err != nil {
		t.Fatal(err)
	}
	floor := us.FailureFloor()
	if floor < bcrypt10/2 || floor <= argon {
		t.Fatalf("floor %s with a bcrypt-10 user stored (the median bcrypt-10 check took %s; the argon2id dummy %s)", floor, bcrypt10, argon)
	}
	start := time.Now()
	if _, err := us.Login(ctx, "nobody@example.com", password, sessions.Client{}); !errors.Is(err, users.ErrInvalidCredentials) {
		t.Fatalf("login: %v", err)
	}
	if took := time.Since(start); took < floor {
		t.Fatalf("an unknown address failed in %s, under the floor of %s", took, floor)
	}
}

// TestDisabledAccount: the rules of a disabled account below the API. The last
// enabled admin cannot be disabled, and a disabled admin does not count towards
// the last one (the API reaches the first case only by a race, as an admin
// cannot disable themself). A wrong password of a disabled account is an
// ordinary failure, padded to the floor; only the correct one is a
// DisabledLogin.
func TestDisabledAccount(t *testing.T) {
	t.Parallel()
	us, _, _ := newService(t)
	ctx := context.Background()
	admin := func(email string) uuid.UUID {
		t.Helper()
		u, err := us.Create(ctx, users.NewUser{Email: email, Name: "Admin", Password: password, Role: auth.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	yes, no, user := true, false, auth.RoleUser
	a := admin("a@example.com")
	if _, err := us.Update(ctx, a, users.Patch{Disabled: &yes}, nil); !errors.Is(err, users.ErrLastAdmin) {
		t.Fatalf("disabling the only admin: %v; want ErrLastAdmin", err)
	}
	b := admin("b@example.com")
	if u, err := us.Update(ctx, a, users.Patch{Disabled: &yes}, nil); err != nil || u.DisabledAt == nil {
		t.Fatalf("disabling one of two admins: %+v %v", u, err)
	}
	for name, change := range map[string]func() error{
		"Disable": func() error { _, err := us.Update(ctx, b, users.Patch{Disabled: &yes}, nil); return err },
		"Demote":  func() error { _, err := us.Update(ctx, b, users.Patch{Role: &user}, nil); return err },
		"Delete":  func() error { return us.Delete(ctx, b) },
	} {
		if err := change(); !errors.Is(err, users.ErrLastAdmin) {
			t.Errorf("%s the last enabled admin: %v; want ErrLastAdmin", name, err)
		}
	}
	if _, err := us.Update(ctx, a, users.Patch{Role: &user}, nil); err != nil {
		t.Fatalf("demoting a disabled admin: %v", err)
	}

	if err := us.MeasureFailureFloor(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := us.Login(ctx, "a@example.com", "not the password", sessions.Client{})
	if !errors.Is(err, users.ErrInvalidCredentials) || errors.Is(err, users.ErrAccountDisabled) {
		t.Fatalf("a wrong password of a disabled account: %v; want an ordinary failure", err)
	}
	if took := time.Since(start); took < us.FailureFloor() {
		t.Fatalf("it failed in %s, under the floor of %s", took, us.FailureFloor())
	}
	var d *users.DisabledLogin
	_, err = us.Login(ctx, "a@example.com", password, sessions.Client{})
	if !errors.As(err, &d) || d.UserID != a || !errors.Is(err, users.ErrAccountDisabled) || errors.Is(err, users.ErrInvalidCredentials) || err.Error() == "" {
		t.Fatalf("the correct password of a disabled account: %v; want a DisabledLogin", err)
	}
	if u, err := us.Update(ctx, a, users.Patch{Disabled: &no}, nil); err != nil || u.DisabledAt != nil {
		t.Fatalf("enabling: %+v %v", u, err)
	}
	if _, err := us.Login(ctx, "a@example.com", password, sessions.Client{}); err != nil {
		t.Fatalf("login after the enable: %v", err)
	}
}
