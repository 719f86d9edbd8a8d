package client_test

// Hand-written (not generated): how to use the Go SDK.

import (
	"context"
	"fmt"
	"net/http"

	"github.com/meridianhq/accounts/gen/client"
)

// The Go SDK is this generated package. ClientWithResponses decodes each
// documented answer into its own field: JSON201, JSON200, and for problems
// (RFC 9457) ApplicationproblemJSON400, …409 and so on, whose Code is stable.
// Pass the access token with a RequestEditorFn.
func Example() {
	ctx := context.Background()
	c, err := client.NewClientWithResponses(baseURL) // e.g. "http://localhost:8080"
	if err != nil {
		panic(err)
	}

	reg, err := c.RegisterWithResponse(ctx, client.RegisterRequest{
		Email: "ada@example.com", Name: "Ada Lovelace", Password: "correct horse battery staple",
	})
	if err != nil {
		panic(err) // the request did not get an answer
	}
	fmt.Println(reg.StatusCode(), reg.JSON201.Email)

	login, err := c.LoginWithResponse(ctx, client.LoginRequest{Email: "ada@example.com", Password: "correct horse battery staple"})
	if err != nil || login.JSON200 == nil {
		panic(fmt.Sprint(err, login.Status()))
	}
	bearer := func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+login.JSON200.AccessToken)
		return nil
	}

	me, err := c.GetMeWithResponse(ctx, nil, bearer)
	if err != nil {
		panic(err)
	}
	fmt.Println(me.StatusCode(), me.JSON200.Name, me.JSON200.Role)

	// Errors are problems with a stable code.
	again, err := c.RegisterWithResponse(ctx, client.RegisterRequest{
		Email: "ADA@example.com", Name: "Ada again", Password: "correct horse battery staple",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(again.StatusCode(), again.ApplicationproblemJSON409.Code)

	// Output:
	// 201 ada@example.com
	// 200 Ada Lovelace user
	// 409 EMAIL_TAKEN
}
