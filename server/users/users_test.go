package users_test

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
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
	name, role := "New", auth.RoleUser
	outcomes := []error{users.ErrNotFound, users.ErrEmailTaken, users.ErrLastAdmin, users.ErrNotDeleted,
		users.ErrPreconditionFailed, users.ErrInvalidCredentials, users.ErrWrongPassword}
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
	start := time.Now()
	_ = bcrypt.CompareHashAndPassword(h, []byte("wrong")) // a mismatch, as a wrong password
	bcrypt10 := time.Since(start)
	if err := us.MeasureFailureFloor(ctx); err != nil {
		t.Fatal(err)
	}
	floor := us.FailureFloor()
	if floor < bcrypt10/2 || floor <= argon {
		t.Fatalf("floor %s with a bcrypt-10 user stored (one bcrypt-10 check took %s; the argon2id dummy %s)", floor, bcrypt10, argon)
	}
	start = time.Now()
	if _, err := us.Login(ctx, "nobody@example.com", password, sessions.Client{}); !errors.Is(err, users.ErrInvalidCredentials) {
		t.Fatalf("login: %v", err)
	}
	if took := time.Since(start); took < floor {
		t.Fatalf("an unknown address failed in %s, under the floor of %s", took, floor)
	}
}
