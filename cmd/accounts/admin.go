package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/users"
)

// admin runs `accounts admin create --email E --name N [--password-stdin]`: the
// way to make the first admin. Without --password-stdin it generates a strong
// password and prints it once.
func admin(ctx context.Context, args []string, env environment, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageErrorf("usage: accounts admin create --email EMAIL --name NAME [--password-stdin]")
	}
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the admin's email address")
	name := fs.String("name", "", "the admin's display name")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input instead of generating one")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageErrorf("%v", err)
	}
	if *email == "" || *name == "" {
		return usageErrorf("admin create: --email and --name are required")
	}
	password, generated, err := adminPassword(*fromStdin, stdin)
	if err != nil {
		return err
	}
	cfg, err := loadConfig("admin create", nil, env, stderr)
	if err != nil {
		return err
	}
	u, err := createAdmin(ctx, cfg, users.NewUser{Email: *email, Name: *name, Password: password, Role: auth.RoleAdmin,
		EmailVerified: true}) // the operator vouches for the address
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created admin %s (%s)\n", u.email, u.id)
	if generated {
		fmt.Fprintf(stdout, "password: %s\n(shown only this once: store it, or change it after logging in)\n", password)
	}
	return nil
}

// adminPassword reads the password from stdin, or generates one.
func adminPassword(fromStdin bool, stdin io.Reader) (string, bool, error) {
	if !fromStdin {
		return rand.Text(), true, nil // 26 base32 characters: 130 bits
	}
	b, err := io.ReadAll(io.LimitReader(stdin, 4096))
	if err != nil {
		return "", false, fmt.Errorf("reading the password: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), false, nil
}

type createdUser struct{ email, id string }

// createAdmin opens the database, checks the schema, and creates the user.
func createAdmin(ctx context.Context, cfg config, in users.NewUser) (createdUser, error) {
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return createdUser{}, err
	}
	defer pool.Close()
	m, err := newMigrator(cfg)
	if err != nil {
		return createdUser{}, err
	}
	defer m.Close()
	if err := m.check(ctx); err != nil {
		return createdUser{}, fmt.Errorf("%w; run `accounts migrate up` first", err)
	}
	hasher, err := auth.NewHasher(cfg.Service.Argon2, cfg.Service.HashSlots(), rand.Reader)
	if err != nil {
		return createdUser{}, err
	}
	u, err := users.New(users.Options{Pool: pool, Hasher: hasher, Slots: hasher.Slots()}).Create(ctx, in)
	var fields users.FieldErrors
	var weak *auth.WeakPasswordError
	switch {
	case errors.As(err, &fields):
		return createdUser{}, usageErrorf("admin create: %v", fields)
	case errors.As(err, &weak):
		return createdUser{}, usageErrorf("admin create: the password %s", weak.Reason)
	case errors.Is(err, users.ErrEmailTaken):
		return createdUser{}, fmt.Errorf("admin create: %w", err)
	case err != nil:
		return createdUser{}, fmt.Errorf("admin create: %w", err)
	}
	return createdUser{email: u.Email, id: u.ID.String()}, nil
}
