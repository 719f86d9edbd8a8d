package httpx

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

var (
	// errNoToken: the request carries no bearer token.
	errNoToken = errors.New("no bearer token")
	// errBadToken: a token was sent and refused (RFC 6750 invalid_token).
	errBadToken = errors.New("invalid bearer token")
)

// ErrNoToken is the authenticator's answer to a request without a bearer token.
var ErrNoToken error = &echo.HTTPError{Code: http.StatusUnauthorized, Message: "unauthenticated", Internal: errNoToken}

// ErrBadToken is the authenticator's answer to a token it refused: malformed,
// badly signed, expired or revoked alike, so the answer says nothing of which.
var ErrBadToken error = &echo.HTTPError{Code: http.StatusUnauthorized, Message: "unauthenticated", Internal: errBadToken}

// BearerToken reads `Authorization: Bearer <token>`; the scheme is
// case-insensitive (RFC 9110).
func BearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get(echo.HeaderAuthorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// BearerChallenge is the RFC 6750 WWW-Authenticate value for a 401
// (error="invalid_token" when the token itself was refused).
func BearerChallenge(tokenRefused bool) string {
	if tokenRefused {
		return `Bearer realm="accounts", error="invalid_token"`
	}
	return `Bearer realm="accounts"`
}

// authDetail explains a 401 from the authenticator.
func authDetail(err error) string {
	if errors.Is(err, errBadToken) {
		return BadTokenDetail
	}
	return "A bearer token is required."
}

// BadTokenDetail is the detail of every 401 for a refused bearer token.
const BadTokenDetail = "The bearer token is invalid, expired or revoked."
