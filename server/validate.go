package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	echomw "github.com/oapi-codegen/echo-middleware"

	"github.com/meridianhq/accounts/gen/api"
)

// operationMiddlewares returns, for every operationId of the contract, the
// middleware its route runs: the operation tag for the access log, then the
// request validator. Attaching the validator per operation leaves unknown routes
// (404) and wrong methods (405 with Allow) to Echo's own router.
func (s *Server) operationMiddlewares() (map[string][]echo.MiddlewareFunc, error) {
	doc, err := api.GetSwagger()
	if err != nil {
		return nil, fmt.Errorf("loading the embedded spec: %w", err)
	}
	doc.SetStringFormatValidator("uuid", openapi3.NewCallbackValidator(checkUUID))
	registerStrictJSON()
	validator := echomw.OapiRequestValidatorWithOptions(doc, &echomw.Options{
		Options: openapi3filter.Options{
			// The strict wrapper binds the value that was validated, not a second
			// case-insensitive decode of the body.
			KeepValidatedValue: true,
			// Report every bad field at once. Auth failures still answer 401: see
			// multiErrorHandler.
			MultiError:         true,
			AuthenticationFunc: s.authenticate,
		},
		DoNotValidateServers:  true,
		SilenceServersWarning: true,
		MultiErrorHandler:     multiErrorHandler,
	})
	out := map[string][]echo.MiddlewareFunc{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID == "" {
				return nil, errors.New("an operation has no operationId")
			}
			out[op.OperationID] = []echo.MiddlewareFunc{operationTag(op.OperationID), validator}
		}
	}
	out["getDocs"] = append(out["getDocs"], docsHeaders)
	return out, nil
}

// multiErrorHandler answers the validator's collected errors. A failed security
// requirement wins over body and parameter errors: the caller must authenticate
// before anything else about the request matters.
func multiErrorHandler(me openapi3.MultiError) *echo.HTTPError {
	for _, err := range me {
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
	}
	return &echo.HTTPError{Code: http.StatusBadRequest, Message: "invalid request", Internal: me}
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

// decodeStrictJSON decodes exactly one JSON value, numbers as json.Number.
func decodeStrictJSON(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	dec := json.NewDecoder(body)
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
	return v, nil
}

// prefixToIPNet converts a netip.Prefix for Echo's trust options.
func prefixToIPNet(p netip.Prefix) *net.IPNet {
	p = p.Masked()
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
