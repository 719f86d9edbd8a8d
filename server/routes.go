package server

import (
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/account"
	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/ratelimit"
)

// The spec extensions that give operations a behaviour beyond the contract.
const (
	// extRateLimit names the ratelimit.Scope an operation's attempts count
	// against; the limit runs before the body is read.
	extRateLimit = "x-accounts-rate-limit"
	// extPage marks an HTML page: it gets httpx.PageHeaders.
	extPage = "x-accounts-page"
	// extAAL1 marks an operation that an aal1 token of a user with a second
	// factor may call; every other one needs the factor verified.
	extAAL1 = "x-accounts-aal1"
	// extAdmin marks an admin-only operation (see adminOperation).
	extAdmin = "x-accounts-admin"
)

// behaviour is what an operation's extensions ask for.
type behaviour struct {
	rateLimit ratelimit.Scope
	page      bool
}

// behaviourOf reads the x-accounts-* extensions of op. An unknown extension,
// a value of the wrong type and an unknown scope are errors, so that a typo in
// the spec stops the service at start instead of silently doing nothing.
func behaviourOf(op *openapi3.Operation) (behaviour, error) {
	var b behaviour
	for name, v := range op.Extensions {
		if !strings.HasPrefix(name, "x-accounts-") {
			continue
		}
		switch name {
		case extRateLimit:
			scope, ok := v.(string)
			if !ok || !ratelimit.Known(ratelimit.Scope(scope)) {
				return b, fmt.Errorf("%s: %s %v names no limiter; known scopes: %v", op.OperationID, name, v, ratelimit.Scopes)
			}
			b.rateLimit = ratelimit.Scope(scope)
		case extPage, extAAL1, extAdmin: // extAAL1 and extAdmin are read by authenticate
			flag, ok := v.(bool)
			if !ok {
				return b, fmt.Errorf("%s: %s must be true or false", op.OperationID, name)
			}
			if name == extPage {
				b.page = flag
			}
		default:
			return b, fmt.Errorf("%s: unknown extension %s", op.OperationID, name)
		}
	}
	return b, nil
}

// routes builds the Echo instance: the global middleware (httpx, which also
// gives every request its audit origin: withOrigin), every operation of the
// contract with its own chain, and the docs assets.
func (s *Server) routes(doc *openapi3.T) (*echo.Echo, error) {
	perOp, err := s.operationMiddlewares(doc)
	if err != nil {
		return nil, err
	}
	o := s.HTTP
	o.Enrich = withOrigin
	if s.Metrics != nil {
		o.Observe = s.Metrics.Request
	}
	e := httpx.NewEcho(s.Logger, o)
	api.RegisterHandlersWithOptions(httpx.Composing{Echo: e}, api.NewStrictHandler(s, nil), api.RegisterHandlersOptions{
		OperationMiddlewares: perOp,
	})
	ops, err := httpx.Operations(doc)
	if err != nil {
		return nil, err
	}
	httpx.RefuseShadowedMethods(e, ops)
	e.GET("/docs/assets/*", docsAssets(), httpx.PageHeaders)
	e.GET("/account/assets/*", account.Assets(), httpx.PageHeaders)
	return e, nil
}

// operationMiddlewares returns, for every operationId, the chain its route
// runs: the operation tag for the access log; the answers to refusals and
// outages (answerRefusals); the attempts limit when the spec
// asks for one (before the validator, so a refused attempt costs no body read);
// the request validator of that operation (which authenticates first); and the
// page headers of HTML pages.
func (s *Server) operationMiddlewares(doc *openapi3.T) (map[string][]echo.MiddlewareFunc, error) {
	ops, err := httpx.Operations(doc)
	if err != nil {
		return nil, err
	}
	v := httpx.NewValidator(doc, s.authenticate)
	out := make(map[string][]echo.MiddlewareFunc, len(ops))
	for _, op := range ops {
		b, err := behaviourOf(op.Op)
		if err != nil {
			return nil, err
		}
		chain := []echo.MiddlewareFunc{httpx.OperationTag(op.Op.OperationID), s.answerRefusals}
		if b.rateLimit != "" && s.Limiter != nil {
			chain = append(chain, s.limitAttempts(b.rateLimit))
		}
		chain = append(chain, v.For(op))
		if b.page {
			chain = append(chain, httpx.PageHeaders)
		}
		out[op.Op.OperationID] = chain
	}
	return out, nil
}
