package server

import (
	"context"
	"errors"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/users"
)

// The typed problem responses that several handlers share. Each is a problem
// from httpx's code table in the response type the contract names.

// userNotFound is the one answer for a user that does not exist, is deleted,
// or may not be seen by the caller.
func userNotFound(ctx context.Context) api.NotFoundApplicationProblemPlusJSONResponse {
	return api.NotFoundApplicationProblemPlusJSONResponse(httpx.Problem(ctx, api.CodeUserNotFound, "No such user."))
}

// sessionNotFound is the answer for a session that is not a live session of
// the user concerned.
func sessionNotFound(ctx context.Context, detail string) api.NotFoundApplicationProblemPlusJSONResponse {
	return api.NotFoundApplicationProblemPlusJSONResponse(httpx.Problem(ctx, api.CodeSessionNotFound, detail))
}

// adminOnly is the detail of 403s on admin-only operations.
const adminOnly = "Only an admin may do this."

// forbidden is the answer of Authorize's Forbidden.
func forbidden(ctx context.Context, detail string) api.ForbiddenApplicationProblemPlusJSONResponse {
	return api.ForbiddenApplicationProblemPlusJSONResponse(httpx.Problem(ctx, api.CodeForbidden, detail))
}

// conflict is a 409 with its code.
func conflict(ctx context.Context, code api.ProblemCode, detail string, fields ...api.FieldError) api.ConflictApplicationProblemPlusJSONResponse {
	return api.ConflictApplicationProblemPlusJSONResponse(httpx.Problem(ctx, code, detail, fields...))
}

// emailTaken is the 409 for an address that a live account already has.
func emailTaken(ctx context.Context) api.ConflictApplicationProblemPlusJSONResponse {
	return conflict(ctx, api.CodeEmailTaken, "An account with this email address already exists.",
		httpx.Field("email", "is already registered"))
}

// lastAdmin is the 409 for a change that would leave no admin.
func lastAdmin(ctx context.Context) api.ConflictApplicationProblemPlusJSONResponse {
	return conflict(ctx, api.CodeLastAdmin, "This is the last admin; make another user admin first.")
}

// unauthenticated is a 401 of a bearer-protected operation, with its challenge
// (error="invalid_token" when the token itself was refused).
func unauthenticated(ctx context.Context, code api.ProblemCode, detail string, tokenRefused bool, fields ...api.FieldError) api.UnauthenticatedApplicationProblemPlusJSONResponse {
	return api.UnauthenticatedApplicationProblemPlusJSONResponse{
		Body:    httpx.Problem(ctx, code, detail, fields...),
		Headers: api.UnauthenticatedResponseHeaders{WWWAuthenticate: httpx.BearerChallenge(tokenRefused)},
	}
}

// tokenGone is the 401 of a bearer token that passed the check but whose
// user or session went away since: the same answer as a revoked token.
func tokenGone(ctx context.Context) api.UnauthenticatedApplicationProblemPlusJSONResponse {
	return unauthenticated(ctx, api.CodeUnauthenticated, httpx.BadTokenDetail, true)
}

// wrongCurrentPassword is the 401 of a wrong current password. It carries the
// Bearer challenge of the operation; its code tells clients not to refresh
// their token over it.
func wrongCurrentPassword(ctx context.Context) api.UnauthenticatedApplicationProblemPlusJSONResponse {
	return unauthenticated(ctx, api.CodeInvalidCredentials, "The current password is wrong.", false, httpx.Field("current_password", "is wrong"))
}

// invalid is a 400 VALIDATION_FAILED naming the fields.
func invalid(ctx context.Context, fields ...api.FieldError) api.BadRequestApplicationProblemPlusJSONResponse {
	return api.BadRequestApplicationProblemPlusJSONResponse(httpx.Invalid(ctx, fields...))
}

// badRequest maps the rule errors of users (FieldErrors, a weak password) to
// their 400 problem, if err is one.
func badRequest(ctx context.Context, err error) (api.BadRequestApplicationProblemPlusJSONResponse, bool) {
	var fields users.FieldErrors
	var weak *auth.WeakPasswordError
	switch {
	case errors.As(err, &fields):
		return invalid(ctx, toFieldErrors(fields)...), true
	case errors.As(err, &weak):
		return api.BadRequestApplicationProblemPlusJSONResponse(httpx.Problem(ctx, api.CodeWeakPassword,
			"The password "+weak.Reason+".", httpx.Field("password", weak.Reason))), true
	}
	return api.BadRequestApplicationProblemPlusJSONResponse{}, false
}

// invalidCursor is the 400 for a cursor that was altered or belongs to another
// listing.
func invalidCursor(ctx context.Context) api.BadRequestApplicationProblemPlusJSONResponse {
	return api.BadRequestApplicationProblemPlusJSONResponse(httpx.Problem(ctx, api.CodeInvalidCursor,
		"The cursor was altered, or belongs to other filters or another sort.", httpx.Field("cursor", "is not a cursor of this listing")))
}
