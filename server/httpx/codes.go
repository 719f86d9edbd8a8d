package httpx

import (
	"net/http"

	"github.com/meridianhq/accounts/gen/api"
)

// CodeInfo is one problem code: the status it is sent with and its title.
type CodeInfo struct {
	Code   api.ProblemCode
	Status int
	Title  string
}

// codeTable is every problem code the service sends, in the order that
// StatusCode searches: for a status that several codes share, the generic code
// comes first. The spec's ProblemCode enum lists the same codes (a test checks
// both ways); clients branch on the codes, while titles and details are for
// people and may change.
var codeTable = []CodeInfo{
	{api.CodeValidationFailed, http.StatusBadRequest, "Validation failed"},
	{api.CodeMalformedJSON, http.StatusBadRequest, "Malformed JSON"},
	{api.CodeWeakPassword, http.StatusBadRequest, "Password too weak"},
	{api.CodeInvalidCursor, http.StatusBadRequest, "Invalid cursor"},
	{api.CodeTokenInvalid, http.StatusBadRequest, "Invalid link or code"},
	{api.CodeMFACodeInvalid, http.StatusBadRequest, "Invalid code"},
	{api.CodeUnauthenticated, http.StatusUnauthorized, "Authentication required"},
	{api.CodeInvalidCredentials, http.StatusUnauthorized, "Invalid credentials"},
	{api.CodeInvalidRefreshToken, http.StatusUnauthorized, "Invalid refresh token"},
	{api.CodeRefreshTokenReused, http.StatusUnauthorized, "Refresh token reused"},
	{api.CodeForbidden, http.StatusForbidden, "Forbidden"},
	{api.CodeAccountDisabled, http.StatusForbidden, "Account disabled"},
	{api.CodeEmailNotVerified, http.StatusForbidden, "Email address not verified"},
	{api.CodeEmailChangeRequiresConfirmation, http.StatusForbidden, "Email change requires confirmation"},
	{api.CodeMFARequired, http.StatusForbidden, "Second factor required"},
	{api.CodeMFAEnrollmentRequired, http.StatusForbidden, "Second factor enrollment required"},
	{api.CodeNotFound, http.StatusNotFound, "Not found"},
	{api.CodeUserNotFound, http.StatusNotFound, "User not found"},
	{api.CodeSessionNotFound, http.StatusNotFound, "Session not found"},
	{api.CodeMethodNotAllowed, http.StatusMethodNotAllowed, "Method not allowed"},
	{api.CodeEmailTaken, http.StatusConflict, "Email address already registered"},
	{api.CodeLastAdmin, http.StatusConflict, "Last admin"},
	{api.CodeUserNotDeleted, http.StatusConflict, "User not deleted"},
	{api.CodeMFANotEnrolled, http.StatusConflict, "No second factor"},
	{api.CodePreconditionFailed, http.StatusPreconditionFailed, "Precondition failed"},
	{api.CodePayloadTooLarge, http.StatusRequestEntityTooLarge, "Request body too large"},
	{api.CodeUnsupportedMediaType, http.StatusUnsupportedMediaType, "Unsupported media type"},
	{api.CodeRateLimited, http.StatusTooManyRequests, "Too many requests"},
	{api.CodeInternal, http.StatusInternalServerError, "Internal server error"},
	{api.CodeNotReady, http.StatusServiceUnavailable, "Not ready"},
	{api.CodeOverloaded, http.StatusServiceUnavailable, "Overloaded"},
	{api.CodeDatabaseUnavailable, http.StatusServiceUnavailable, "Database unavailable"},
	{api.CodeEmailUnavailable, http.StatusServiceUnavailable, "Email unavailable"},
	{api.CodeMFAUnavailable, http.StatusServiceUnavailable, "MFA unavailable"},
	{api.CodeClientClosedRequest, StatusClientClosedRequest, "Client closed request"},
}

// codeIndex finds a code's row.
var codeIndex = func() map[api.ProblemCode]CodeInfo {
	m := make(map[api.ProblemCode]CodeInfo, len(codeTable))
	for _, c := range codeTable {
		m[c.Code] = c
	}
	return m
}()

// Codes returns the table of problem codes.
func Codes() []CodeInfo { return append([]CodeInfo(nil), codeTable...) }

// Lookup returns the row of code; false for a code not in the table.
func Lookup(code api.ProblemCode) (CodeInfo, bool) {
	c, ok := codeIndex[code]
	return c, ok
}

// StatusCode returns the generic code of an HTTP status: the first row with it.
// A status with no code of its own is answered as an internal error: the
// service only sends codes its contract lists.
func StatusCode(status int) api.ProblemCode {
	for _, c := range codeTable {
		if c.Status == status {
			return c.Code
		}
	}
	return api.CodeInternal
}
