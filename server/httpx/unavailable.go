package httpx

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

var (
	// errOverloaded marks work shed for lack of capacity.
	errOverloaded = errors.New("overloaded")
	// errDatabaseUnavailable marks a request the database could not serve.
	errDatabaseUnavailable = errors.New("database unavailable")
	// errEmailUnavailable marks an email operation of a service without mail.
	errEmailUnavailable = errors.New("email unavailable")
	// errMFAUnavailable marks an MFA operation of a service without
	// encryption keys.
	errMFAUnavailable = errors.New("mfa unavailable")
	// errMFARequired marks an operation an unverified second factor may not
	// call.
	errMFARequired = errors.New("mfa required")
	// errMFAEnrollment marks an admin operation of an admin without a second
	// factor, where one is required.
	errMFAEnrollment = errors.New("mfa enrollment required")
)

// MFAUnavailable answers 503 MFA_UNAVAILABLE: the service has no encryption
// keys, so it can store no second factor.
func MFAUnavailable(c echo.Context) error {
	return unavailable(c, configRetry, errMFAUnavailable)
}

// MFAEnrollmentRequired answers 403 MFA_ENROLLMENT_REQUIRED: an admin without
// a second factor, on an admin operation, while MFA is required of admins.
func MFAEnrollmentRequired() error {
	return &echo.HTTPError{Code: http.StatusForbidden, Message: errMFAEnrollment.Error(), Internal: errMFAEnrollment}
}

// MFARequired answers 403 MFA_REQUIRED: the caller's token is aal1 and their
// user has a second factor, which the operation needs verified.
func MFARequired() error {
	return &echo.HTTPError{Code: http.StatusForbidden, Message: errMFARequired.Error(), Internal: errMFARequired}
}

// configRetry is the Retry-After of EmailUnavailable and MFAUnavailable: the
// feature comes back only when an operator configures it, so a client should
// not poll.
const configRetry = time.Hour

// EmailUnavailable answers 503 EMAIL_UNAVAILABLE: the service has no mail
// server configured, so the email flows are off.
func EmailUnavailable(c echo.Context) error {
	return unavailable(c, configRetry, errEmailUnavailable)
}

// Overloaded answers 503 OVERLOADED with Retry-After: the request was refused,
// before any change, for lack of capacity, and may be retried after retry.
func Overloaded(c echo.Context, retry time.Duration) error {
	return unavailable(c, retry, errOverloaded)
}

// DatabaseUnavailable answers 503 DATABASE_UNAVAILABLE with Retry-After: an
// outage, not a failure of the request.
func DatabaseUnavailable(c echo.Context, retry time.Duration) error {
	return unavailable(c, retry, errDatabaseUnavailable)
}

func unavailable(c echo.Context, retry time.Duration, why error) error {
	secs := max(1, int((retry+time.Second-1)/time.Second))
	c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(secs))
	return &echo.HTTPError{Code: http.StatusServiceUnavailable, Message: why.Error(), Internal: why}
}

// StatusClientClosedRequest is the status recorded for a request whose client
// went away before the answer (nginx's 499): not a server error.
const StatusClientClosedRequest = 499

// ClientGone answers 499 CLIENT_CLOSED_REQUEST (the error handler's problem
// of that status) to a request whose client went away: no one reads it, but
// the access log and the metrics record the status, outside the 5xx that page
// an operator.
func ClientGone() error {
	return &echo.HTTPError{Code: StatusClientClosedRequest, Message: "client closed request"}
}
