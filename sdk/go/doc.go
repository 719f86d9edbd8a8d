// Package accounts is the hand-written part of the Go SDK of the accounts
// service, beside the generated client (github.com/meridianhq/accounts/gen/client),
// which it does not replace: every operation is still called through
// client.ClientWithResponses and answered with its typed fields.
//
// It adds the two things every Go caller would otherwise write again:
//
//   - A Session logs in, keeps the token pair and signs each request with the
//     access token. When the service answers 401 UNAUTHENTICATED (the access
//     token expired or was revoked), it renews the pair and sends the request
//     once more. The service rotates refresh tokens and ends the session when
//     one is presented twice (REFRESH_TOKEN_REUSED), so any number of
//     concurrent calls share one refresh: a refresh token is never sent twice.
//     Session is an http.RoundTripper; Session.NewClient returns the generated
//     client on it.
//   - Check turns any non-2xx answer of any operation into a *ProblemError
//     carrying the RFC 9457 problem (status, stable code, title, detail, field
//     errors, request id).
//
// Callers then branch on the problem's stable code with errors.As:
//
//	res, err := api.RegisterWithResponse(ctx, body)
//	var pe *accounts.ProblemError
//	if err := accounts.Check(res, err); errors.As(err, &pe) && pe.Code == client.CodeEmailTaken {
//		// the address is taken
//	}
//
// The import path ends in sdk/go; the package is named accounts.
package accounts
