package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// errMalformedJSON marks a request body that is not exactly one JSON value.
var errMalformedJSON = errors.New("malformed JSON")

// Validator checks requests against the contract, one operation at a time.
// Attaching it per operation leaves unknown routes (404) and wrong methods (405
// with Allow) to Echo's own router, and lets it check exactly the operation Echo
// dispatched to: there is no second router to find the route again, or to
// disagree.
type Validator struct {
	doc  *openapi3.T
	opts *openapi3filter.Options
}

// NewValidator returns the validator of doc. authenticate is called for every
// security requirement (see EchoContext); it answers 401 with ErrNoToken or
// ErrBadToken.
func NewValidator(doc *openapi3.T, authenticate openapi3filter.AuthenticationFunc) *Validator {
	doc.SetStringFormatValidator("uuid", openapi3.NewCallbackValidator(checkUUID))
	registerStrictJSON()
	return &Validator{doc: doc, opts: &openapi3filter.Options{
		// The strict wrapper binds the value that was validated, not a second
		// case-insensitive decode of the body.
		KeepValidatedValue: true,
		// Report every bad field at once; auth failures still answer 401.
		MultiError:         true,
		AuthenticationFunc: authenticate,
		// The document's own format validators (uuid) apply to requests only
		// when passed here: kin-openapi uses them for doc.Validate alone.
		SchemaValidationOptions: doc.GetSchemaValidationOptions(),
	}}
}

// Operation is one operation of the contract.
type Operation struct {
	Path, Method string
	Item         *openapi3.PathItem
	Op           *openapi3.Operation
}

// Operations lists every operation of doc; each must have an operationId.
func Operations(doc *openapi3.T) ([]Operation, error) {
	var out []Operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				return nil, fmt.Errorf("%s %s has no operationId", method, path)
			}
			out = append(out, Operation{Path: path, Method: method, Item: item, Op: op})
		}
	}
	return out, nil
}

// For returns the middleware that validates requests of op.
func (v *Validator) For(op Operation) echo.MiddlewareFunc {
	return validateRequest(&routers.Route{Spec: v.doc, Path: op.Path, PathItem: op.Item, Method: op.Method, Operation: op.Op}, v.opts)
}

// EchoContext returns the Echo context of the request in ctx, which
// RequestContext records, for the validator's AuthenticationFunc: the
// authenticator puts the principal into that request's context, the one
// strict handlers see.
func EchoContext(ctx context.Context) (echo.Context, bool) {
	if ri, ok := ctx.Value(requestInfoKey{}).(*RequestInfo); ok && ri.echo != nil {
		return ri.echo, true
	}
	return nil, false
}

// validateRequest validates a request of route with kin-openapi: security
// first (the AuthenticationFunc), then parameters and body.
func validateRequest(route *routers.Route, opts *openapi3filter.Options) echo.MiddlewareFunc {
	var names, booleans []string
	for _, p := range append(route.PathItem.Parameters, route.Operation.Parameters...) {
		switch {
		case p.Value.In == openapi3.ParameterInPath:
			names = append(names, p.Value.Name)
		case p.Value.In == openapi3.ParameterInQuery && p.Value.Schema != nil && p.Value.Schema.Value.Type.Is(openapi3.TypeBoolean):
			booleans = append(booleans, p.Value.Name)
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			var params map[string]string
			if len(names) > 0 {
				params = pathParamsPool.Get().(map[string]string)
			}
			for _, n := range names {
				v := c.Param(n)
				if u, err := url.PathUnescape(v); err == nil {
					v = u
				}
				params[n] = v
			}
			req := c.Request()
			err := openapi3filter.ValidateRequest(req.Context(), &openapi3filter.RequestValidationInput{
				Request: req, PathParams: params, Route: route, Options: opts,
			})
			if err != nil {
				return validationError(err) // which may hold params: not reused
			}
			if params != nil {
				clear(params)
				pathParamsPool.Put(params)
			}
			// What the schema cannot say of a query, once the caller is known
			// to be authenticated: auth comes before any parameter.
			var query url.Values // nil without a query string: nothing to parse
			if req.URL.RawQuery != "" {
				query = req.URL.Query()
			}
			if err := checkQueryText(query); err != nil {
				return &echo.HTTPError{Code: http.StatusBadRequest, Message: "invalid request", Internal: err}
			}
			if err := checkBooleans(query, booleans); err != nil {
				return &echo.HTTPError{Code: http.StatusBadRequest, Message: "invalid request", Internal: err}
			}
			return next(c)
		}
	}
}

// pathParamsPool holds the maps of path parameters validateRequest hands
// kin-openapi, which wants a map: a new one for each request was among the
// largest allocations of a validated GET. A map is reused only after a
// request that passed, whose validation holds nothing of it.
var pathParamsPool = sync.Pool{New: func() any { return make(map[string]string, 2) }}

// validationError turns the validator's error into an *echo.HTTPError for the
// error handler. A failed security requirement wins over body and parameter
// errors: the caller must authenticate before anything else matters.
func validationError(err error) error {
	var sre *openapi3filter.SecurityRequirementsError
	if errors.As(err, &sre) {
		for _, e := range sre.Errors {
			var he *echo.HTTPError
			if errors.As(e, &he) {
				return he
			}
		}
		return &echo.HTTPError{Code: http.StatusUnauthorized, Message: "unauthenticated", Internal: err}
	}
	var me openapi3.MultiError
	var re *openapi3filter.RequestError
	if errors.As(err, &me) || errors.As(err, &re) {
		return &echo.HTTPError{Code: http.StatusBadRequest, Message: "invalid request", Internal: err}
	}
	return fmt.Errorf("validating the request: %w", err)
}

// checkUUID accepts only the canonical 36-character form of a UUID. kin-openapi
// does not check `format: uuid` by itself.
func checkUUID(s string) error {
	if len(s) != 36 {
		return errors.New("must be a UUID")
	}
	if _, err := uuid.Parse(s); err != nil {
		return errors.New("must be a UUID")
	}
	return nil
}

var strictJSONOnce sync.Once

// registerStrictJSON replaces kin-openapi's JSON body decoder, which stops after
// the first value and so accepts `{...} trailing garbage`, with one that wants
// exactly one value. The registry is global to kin-openapi. Unregistered +json
// media types fall back to application/json; merge-patch has its own entry.
func registerStrictJSON() {
	strictJSONOnce.Do(func() {
		openapi3filter.RegisterBodyDecoder("application/json", decodeStrictJSON)
		openapi3filter.RegisterBodyDecoder("application/merge-patch+json", decodeStrictJSON)
	})
}

// decodeStrictJSON decodes exactly one JSON value, numbers as json.Number. The
// body must be UTF-8 (RFC 8259): encoding/json would replace invalid bytes
// with U+FFFD and store them so. A string holding a NUL, which PostgreSQL
// refuses as text, is refused naming its field.
func decodeStrictJSON(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	raw, err := io.ReadAll(body)
	if err != nil {
		return nil, err // *http.MaxBytesError: the body limit
	}
	if !utf8.Valid(raw) {
		return nil, errMalformedJSON
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, errMalformedJSON
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errMalformedJSON
	}
	if err := checkJSONText(v); err != nil {
		return nil, err
	}
	return v, nil
}
