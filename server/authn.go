package server

import (
	"context"
	"errors"
	"log/slog"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/httpx"
)

// bearerScheme is the security scheme name in openapi.yaml.
const bearerScheme = "bearerAuth"

// authenticate is the validator's AuthenticationFunc, so the security
// requirements of openapi.yaml decide which operations need a token. It verifies
// the bearer token (once per request, from the cache when it was seen before),
// refuses revoked sessions, and puts the principal into the request's context,
// the one strict handlers receive. It never touches the database.
func (s *Server) authenticate(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != bearerScheme {
		return errors.New("unknown security scheme " + in.SecuritySchemeName)
	}
	c, ok := httpx.EchoContext(ctx)
	if !ok {
		return errors.New("authenticate: no echo context")
	}
	token, ok := httpx.BearerToken(c.Request())
	if !ok {
		httpx.Explain(ctx, "no_token")
		return httpx.ErrNoToken
	}
	p, cached, err := s.Tokens.VerifyCached(token)
	s.Logger.LogAttrs(ctx, slog.LevelDebug, "access token", slog.Bool("cached", cached), slog.Bool("valid", err == nil))
	switch {
	case err != nil:
		httpx.Explain(ctx, auth.TokenFailure(err))
		return httpx.ErrBadToken
	case s.Sessions.Revoked(p.SessionID):
		httpx.SetActor(ctx, p.UserID.String())
		httpx.Explain(ctx, "revoked")
		return httpx.ErrBadToken
	}
	httpx.SetActor(ctx, p.UserID.String())
	if p.MFARequired && !allowsAAL1(in) {
		httpx.Explain(ctx, "mfa_required")
		return httpx.MFARequired()
	}
	if s.RequireAdminMFA && p.IsAdmin() && p.Assurance.Level < auth.AAL2 && adminOperation(in, p) {
		httpx.Explain(ctx, "mfa_enrollment_required")
		return httpx.MFAEnrollmentRequired()
	}
	// Update the request in place: the validator goes on with this same
	// *http.Request and leaves the validated body on it, which the strict
	// handler binds. A new request (c.SetRequest) would lose that body.
	req := c.Request()
	*req = *req.WithContext(auth.WithPrincipal(req.Context(), p))
	return nil
}

// allowsAAL1 reports whether the operation being authenticated takes an aal1
// token of a user with a second factor (x-accounts-aal1 in the spec): every
// other one needs the factor verified, and answers 403 MFA_REQUIRED before
// its parameters and body are looked at.
func allowsAAL1(in *openapi3filter.AuthenticationInput) bool {
	rvi := in.RequestValidationInput
	if rvi == nil || rvi.Route == nil || rvi.Route.Operation == nil {
		return false
	}
	flag, _ := rvi.Route.Operation.Extensions[extAAL1].(bool)
	return flag
}

// adminOperation reports whether the operation being authenticated uses an
// admin's powers: an admin-only one (x-accounts-admin), or one on another
// user's {id}.
func adminOperation(in *openapi3filter.AuthenticationInput, p auth.Principal) bool {
	rvi := in.RequestValidationInput
	if rvi == nil || rvi.Route == nil || rvi.Route.Operation == nil {
		return true
	}
	if flag, _ := rvi.Route.Operation.Extensions[extAdmin].(bool); flag {
		return true
	}
	id, ok := rvi.PathParams["id"]
	return ok && id != p.UserID.String() && namesUser(rvi.Route.PathItem.Parameters, rvi.Route.Operation.Parameters)
}

// userIDParameter is the component of the {id} of a user, as opposed to the
// {id} of one of the caller's own sessions (DELETE /auth/sessions/{id}).
const userIDParameter = "#/components/parameters/UserID"

// namesUser reports whether the route's {id} is a user's: one of params is
// the UserID component.
func namesUser(params ...openapi3.Parameters) bool {
	for _, ps := range params {
		for _, p := range ps {
			if p.Ref == userIDParameter {
				return true
			}
		}
	}
	return false
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
