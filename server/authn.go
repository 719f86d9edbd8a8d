package server

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"

	"github.com/meridianhq/accounts/server/auth"
)

// bearerScheme is the security scheme name in openapi.yaml.
const bearerScheme = "bearerAuth"

var (
	// errNoToken: the request carries no bearer token.
	errNoToken = errors.New("no bearer token")
	// errBadToken: a token was sent and refused (RFC 6750 invalid_token).
	errBadToken = errors.New("invalid bearer token")
)

// authenticate is the validator's AuthenticationFunc, so the security
// requirements of openapi.yaml decide which operations need a token. It verifies
// the bearer token (once per request, from the cache when it was seen before),
// refuses revoked sessions, and puts the principal into the request's context,
// the one strict handlers receive. It never touches the database.
func (s *Server) authenticate(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != bearerScheme {
		return errors.New("unknown security scheme " + in.SecuritySchemeName)
	}
	c, ok := ctx.Value(echoContextKey{}).(echo.Context)
	if !ok {
		return errors.New("authenticate: no echo context")
	}
	token, ok := bearerToken(c.Request().Header.Get(echo.HeaderAuthorization))
	if !ok {
		return &echo.HTTPError{Code: http.StatusUnauthorized, Message: "unauthenticated", Internal: errNoToken}
	}
	p, err := s.tokens.Verify(token)
	if err != nil || s.revocations.Revoked(p.SessionID) {
		return &echo.HTTPError{Code: http.StatusUnauthorized, Message: "unauthenticated", Internal: errBadToken}
	}
	// Update the request in place: the validator goes on with this same
	// *http.Request and leaves the validated body on it, which the strict
	// handler binds. A new request (c.SetRequest) would lose that body.
	req := c.Request()
	*req = *req.WithContext(auth.WithPrincipal(req.Context(), p))
	return nil
}

// bearerToken reads `Authorization: Bearer <token>`; the scheme is
// case-insensitive (RFC 9110).
func bearerToken(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// principal returns the authenticated caller. Handlers of secured operations
// always have one: the validator ran authenticate first.
func principal(ctx context.Context) auth.Principal {
	p, ok := auth.PrincipalFrom(ctx)
	if !ok {
		panic("server: secured handler without a principal; is the operation missing its security requirement?")
	}
	return p
}

// bearerChallenge is the RFC 6750 WWW-Authenticate value for a 401.
func bearerChallenge(tokenRefused bool) string {
	if tokenRefused {
		return `Bearer realm="accounts", error="invalid_token"`
	}
	return `Bearer realm="accounts"`
}

// setBearerChallenge adds the challenge to a 401 from the authenticator.
func setBearerChallenge(c echo.Context, err error) {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, bearerChallenge(errors.Is(err, errBadToken)))
}

// authDetail explains a 401 from the authenticator.
func authDetail(he *echo.HTTPError) string {
	if errors.Is(he, errBadToken) {
		return "The bearer token is invalid, expired or revoked."
	}
	return "A bearer token is required."
}
