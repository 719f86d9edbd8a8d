package server

import (
	"context"
	"errors"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
)

// authenticate is the validator's AuthenticationFunc: it enforces the security
// requirements that openapi.yaml declares per operation.
func (s *Server) authenticate(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
	return errors.New("unknown security scheme " + in.SecuritySchemeName)
}

// setBearerChallenge adds the RFC 6750 challenge to a 401.
func setBearerChallenge(c echo.Context, err error) {
	c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="accounts"`)
}

// authDetail explains a 401 without saying more than the client needs.
func authDetail(he *echo.HTTPError) string {
	return "A valid bearer token is required."
}
