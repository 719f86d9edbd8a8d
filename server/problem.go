package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/meridianhq/accounts/gen/api"
)

// Stable machine codes of problem responses. Clients branch on these; titles and
// details are for people and may change.
const (
	CodeValidationFailed     = "VALIDATION_FAILED"
	CodeMalformedJSON        = "MALFORMED_JSON"
	CodeWeakPassword         = "WEAK_PASSWORD"
	CodeEmailTaken           = "EMAIL_TAKEN"
	CodeInvalidCredentials   = "INVALID_CREDENTIALS"
	CodeInvalidRefreshToken  = "INVALID_REFRESH_TOKEN"
	CodeRefreshTokenReused   = "REFRESH_TOKEN_REUSED"
	CodeSessionNotFound      = "SESSION_NOT_FOUND"
	CodeUserNotFound         = "USER_NOT_FOUND"
	CodeInvalidCursor        = "INVALID_CURSOR"
	CodeLastAdmin            = "LAST_ADMIN"
	CodeUserNotDeleted       = "USER_NOT_DELETED"
	CodePreconditionFailed   = "PRECONDITION_FAILED"
	CodeUnauthenticated      = "UNAUTHENTICATED"
	CodeForbidden            = "FORBIDDEN"
	CodeNotFound             = "NOT_FOUND"
	CodeMethodNotAllowed     = "METHOD_NOT_ALLOWED"
	CodePayloadTooLarge      = "PAYLOAD_TOO_LARGE"
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	CodeRateLimited          = "RATE_LIMITED"
	CodeNotReady             = "NOT_READY"
	CodeInternal             = "INTERNAL"
)

// problemTitles gives each code its human title. A code without an entry gets the
// HTTP status text.
var problemTitles = map[string]string{
	CodeValidationFailed:     "Validation failed",
	CodeMalformedJSON:        "Malformed JSON",
	CodeWeakPassword:         "Password too weak",
	CodeEmailTaken:           "Email address already registered",
	CodeInvalidCredentials:   "Invalid credentials",
	CodeInvalidRefreshToken:  "Invalid refresh token",
	CodeRefreshTokenReused:   "Refresh token reused",
	CodeSessionNotFound:      "Session not found",
	CodeUserNotFound:         "User not found",
	CodeInvalidCursor:        "Invalid cursor",
	CodeLastAdmin:            "Last admin",
	CodeUserNotDeleted:       "User not deleted",
	CodePreconditionFailed:   "Precondition failed",
	CodeUnauthenticated:      "Authentication required",
	CodeForbidden:            "Forbidden",
	CodeNotFound:             "Not found",
	CodeMethodNotAllowed:     "Method not allowed",
	CodePayloadTooLarge:      "Request body too large",
	CodeUnsupportedMediaType: "Unsupported media type",
	CodeRateLimited:          "Too many requests",
	CodeNotReady:             "Not ready",
	CodeInternal:             "Internal server error",
}

// newProblem builds the RFC 9457 body for one occurrence. The request id comes
// from ctx, where the request-id middleware put it.
func newProblem(ctx context.Context, status int, code, detail string, fields ...api.FieldError) api.Problem {
	title, ok := problemTitles[code]
	if !ok {
		title = http.StatusText(status)
	}
	p := api.Problem{
		Type:      problemType(code),
		Title:     title,
		Status:    status,
		Code:      code,
		RequestId: requestIDFrom(ctx),
	}
	if detail != "" {
		p.Detail = &detail
	}
	if len(fields) > 0 {
		p.Errors = &fields
	}
	return p
}

// problemType turns a code into the problem type URI: VALIDATION_FAILED becomes
// urn:problem-type:accounts:validation-failed.
func problemType(code string) string {
	return "urn:problem-type:accounts:" + strings.ReplaceAll(strings.ToLower(code), "_", "-")
}

// fieldError is a shorthand for one api.FieldError.
func fieldError(field, reason string) api.FieldError {
	return api.FieldError{Field: field, Reason: reason}
}

// userNotFound is the one answer for a user that does not exist, is deleted,
// or may not be seen by the caller.
func userNotFound(ctx context.Context) api.NotFoundApplicationProblemPlusJSONResponse {
	return api.NotFoundApplicationProblemPlusJSONResponse(newProblem(ctx, http.StatusNotFound, CodeUserNotFound, "No such user."))
}

// forbidden is the answer of Authorize's Forbidden.
func forbidden(ctx context.Context, detail string) api.ForbiddenApplicationProblemPlusJSONResponse {
	return api.ForbiddenApplicationProblemPlusJSONResponse(newProblem(ctx, http.StatusForbidden, CodeForbidden, detail))
}

// conflict is a 409 with its code.
func conflict(ctx context.Context, code, detail string, fields ...api.FieldError) api.ConflictApplicationProblemPlusJSONResponse {
	return api.ConflictApplicationProblemPlusJSONResponse(newProblem(ctx, http.StatusConflict, code, detail, fields...))
}

// unauthenticated is a 401 of a bearer-protected operation, with its challenge
// (error="invalid_token" when the token itself was refused).
func unauthenticated(ctx context.Context, code, detail string, tokenRefused bool, fields ...api.FieldError) api.UnauthenticatedApplicationProblemPlusJSONResponse {
	return api.UnauthenticatedApplicationProblemPlusJSONResponse{
		Body:    newProblem(ctx, http.StatusUnauthorized, code, detail, fields...),
		Headers: api.UnauthenticatedResponseHeaders{WWWAuthenticate: bearerChallenge(tokenRefused)},
	}
}

// invalid is a 400 VALIDATION_FAILED naming the fields.
func invalid(ctx context.Context, fields ...api.FieldError) api.BadRequestApplicationProblemPlusJSONResponse {
	return api.BadRequestApplicationProblemPlusJSONResponse(newProblem(ctx, http.StatusBadRequest, CodeValidationFailed, "The request has invalid fields.", fields...))
}
