package accounts_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/meridianhq/accounts/gen/client"
	accounts "github.com/meridianhq/accounts/sdk/go"
)

// A session keeps the tokens and renews them; the generated client makes the
// calls; Check turns every error answer into a *ProblemError. The first run
// registers Ada, the second finds her registered.
func Example() {
	ctx := context.Background()
	for range 2 {
		if err := quickstart(ctx, baseURL); err != nil {
			fmt.Println("error:", err)
		}
	}
	// Output:
	// registered ada@example.com
	// Hello, Ada Lovelace (user)
	// renamed to Ada King
	// logged out
	// already registered: ada@example.com
	// Hello, Ada King (user)
	// renamed to Ada King
	// logged out
}

// quickstart is the Go snippet of README.md, which a test keeps equal to it.
func quickstart(ctx context.Context, baseURL string) error {
	session, err := accounts.NewSession(baseURL) // e.g. "http://localhost:8080"
	if err != nil {
		return err
	}
	api, err := session.NewClient() // the generated client, signed by the session
	if err != nil {
		return err
	}

	const email, password = "ada@example.com", "correct horse battery staple"
	reg, err := api.RegisterWithResponse(ctx, client.RegisterRequest{Email: email, Name: "Ada Lovelace", Password: password})
	var pe *accounts.ProblemError
	switch err := accounts.Check(reg, err); {
	case err == nil:
		fmt.Println("registered", reg.JSON201.Email)
	case errors.As(err, &pe) && pe.Code == client.CodeEmailTaken:
		fmt.Println("already registered:", email)
	default:
		return fmt.Errorf("register: %w", err) // e.g. 400 WEAK_PASSWORD, with pe.Errors
	}

	if err := session.Login(ctx, email, password); err != nil {
		return fmt.Errorf("login: %w", err) // e.g. 401 INVALID_CREDENTIALS
	}
	me, err := api.GetMeWithResponse(ctx, nil)
	if err := accounts.Check(me, err); err != nil {
		return fmt.Errorf("get me: %w", err)
	}
	fmt.Printf("Hello, %s (%s)\n", me.JSON200.Name, me.JSON200.Role)

	name := "Ada King"
	upd, err := api.UpdateUserWithResponse(ctx, me.JSON200.Id, nil, client.UserPatch{Name: &name})
	if err := accounts.Check(upd, err); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	fmt.Println("renamed to", upd.JSON200.Name)

	if err := session.Logout(ctx, client.Current); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	fmt.Println("logged out")
	return nil
}
