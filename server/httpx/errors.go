package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"

	"github.com/meridianhq/accounts/gen/api"
)

// ErrorHandler returns Echo's one error handler. Every failure reaches it as an
// error: validator rejections, bind errors, unknown routes and methods, oversized
// bodies, recovered panics and handlers' own errors. Only *echo.HTTPError values
// are client errors; anything else is logged and answered with a generic 500, so
// no internal error text ever reaches a client. bodyLimit is named in 413s.
func ErrorHandler(log *slog.Logger, bodyLimit int64) echo.HTTPErrorHandler {
	eh := errorHandler{log: log, bodyLimit: bodyLimit}
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		p := eh.problemFor(c, err)
		// A page's cacheable headers (PageHeaders) never carry over to its
		// failure.
		c.Response().Header()["Cache-Control"] = noStore
		if p.Status == http.StatusUnauthorized {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, BearerChallenge(errors.Is(err, errBadToken)))
		}
		if err := writeProblem(c, p); err != nil {
			log.LogAttrs(c.Request().Context(), slog.LevelWarn, "writing the error response failed",
				slog.String("request_id", p.RequestId), slog.Any("error", err))
		}
	}
}

type errorHandler struct {
	log       *slog.Logger
	bodyLimit int64
}

// writeProblem sends p as application/problem+json.
func writeProblem(c echo.Context, p api.Problem) error {
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	c.Response().WriteHeader(p.Status)
	if c.Request().Method == http.MethodHead {
		return nil
	}
	return echoJSON(c.Response(), p)
}

// echoJSON writes v as JSON without HTML escaping.
func echoJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// problemFor maps an error to its problem.
func (eh errorHandler) problemFor(c echo.Context, err error) api.Problem {
	ctx := c.Request().Context()
	var he *echo.HTTPError
	if !errors.As(err, &he) {
		if !errors.Is(err, errPanic) {
			eh.log.LogAttrs(ctx, slog.LevelError, "request failed",
				slog.String("request_id", Info(ctx).ID), slog.String("error", err.Error()))
		}
		return Problem(ctx, api.CodeInternal, "")
	}
	if p, ok := eh.validationProblem(c, he); ok {
		return p
	}
	if errors.Is(he, errMFAEnrollment) {
		return Problem(ctx, api.CodeMFAEnrollmentRequired, "Admins need a second factor here: enrol one with POST /api/v1/users/me/mfa/totp.")
	}
	if errors.Is(he, errMFARequired) {
		return Problem(ctx, api.CodeMFARequired, "Verify your second factor first (POST /api/v1/auth/mfa/verify): this needs an aal2 token.")
	}
	switch he.Code {
	case http.StatusNotFound:
		return Problem(ctx, api.CodeNotFound, "No resource at "+c.Request().URL.Path+".")
	case http.StatusMethodNotAllowed:
		return Problem(ctx, api.CodeMethodNotAllowed, "Method "+c.Request().Method+" is not allowed here; see the Allow header.")
	case http.StatusRequestEntityTooLarge:
		return tooLarge(c, eh.bodyLimit)
	case http.StatusUnsupportedMediaType:
		return Problem(ctx, api.CodeUnsupportedMediaType, "")
	case http.StatusTooManyRequests:
		return Problem(ctx, api.CodeRateLimited,
			"Too many attempts; retry in "+c.Response().Header().Get(echo.HeaderRetryAfter)+" seconds.")
	case http.StatusUnauthorized:
		return Problem(ctx, api.CodeUnauthenticated, authDetail(he))
	case http.StatusBadRequest:
		// A bind error that the validator let through: never echo its text, which
		// names Go types.
		return Problem(ctx, api.CodeValidationFailed, "The request could not be read.")
	}
	switch retry := c.Response().Header().Get(echo.HeaderRetryAfter); {
	case errors.Is(he, errOverloaded):
		return Problem(ctx, api.CodeOverloaded, "Too many password checks at once; retry in "+retry+" second(s).")
	case errors.Is(he, errDatabaseUnavailable):
		return Problem(ctx, api.CodeDatabaseUnavailable, "The database is unavailable; nothing was changed. Retry in "+retry+" second(s).")
	case errors.Is(he, errMFAUnavailable):
		return Problem(ctx, api.CodeMFAUnavailable, "This service stores no second factor: its operator has not configured encryption keys.")
	case errors.Is(he, errEmailUnavailable):
		return Problem(ctx, api.CodeEmailUnavailable, "This service sends no mail: its operator has not configured a mail server.")
	}
	if he.Code >= 500 {
		eh.log.LogAttrs(ctx, slog.LevelError, "request failed",
			slog.String("request_id", Info(ctx).ID), slog.Int("status", he.Code), slog.Any("error", he))
		return Problem(ctx, api.CodeInternal, "")
	}
	return Problem(ctx, StatusCode(he.Code), "")
}

// validationProblem recognises the request validator's errors. kin-openapi wraps
// each in *openapi3filter.RequestError, several of them in an openapi3.MultiError;
// the parameter, or the JSON pointer and reason inside, say which field is at fault.
func (eh errorHandler) validationProblem(c echo.Context, he *echo.HTTPError) (api.Problem, bool) {
	ctx := c.Request().Context()
	var mbe *http.MaxBytesError
	if errors.As(he, &mbe) {
		return tooLarge(c, eh.bodyLimit), true
	}
	var early fieldsError
	if errors.As(he, &early) {
		return Invalid(ctx, early...), true
	}
	res := requestErrors(he.Internal)
	if len(res) == 0 {
		return api.Problem{}, false
	}
	var fields []api.FieldError
	for _, re := range res {
		switch {
		case re.RequestBody != nil && strings.HasPrefix(re.Reason, "header Content-Type has unexpected value"):
			detail := "Send the body as " + strings.Join(contentTypes(re.RequestBody), " or ") + "."
			return Problem(ctx, api.CodeUnsupportedMediaType, detail), true
		case errors.As(re, &early):
			fields = append(fields, early...)
		case errors.Is(re, errMalformedJSON):
			return Problem(ctx, api.CodeMalformedJSON, "The body is not a single well-formed JSON value."), true
		case re.RequestBody != nil && errors.Is(re, openapi3filter.ErrInvalidRequired):
			fields = append(fields, Field("body", "is required"))
		default:
			fields = append(fields, fieldErrors(re)...)
		}
	}
	return Invalid(ctx, fields...), true
}

// requestErrors flattens the validator's error into its RequestErrors. A
// RequestError wraps the schema errors (another MultiError) of one part, so it
// must be recognised before looking inside.
func requestErrors(err error) []*openapi3filter.RequestError {
	switch e := err.(type) {
	case openapi3.MultiError:
		var out []*openapi3filter.RequestError
		for _, inner := range e {
			out = append(out, requestErrors(inner)...)
		}
		return out
	case *openapi3filter.RequestError:
		return []*openapi3filter.RequestError{e}
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
		return []*openapi3filter.RequestError{re}
	}
	return nil
}

// fieldErrors lists the fields one RequestError names: the parameter, or each
// schema error's JSON pointer into the body.
func fieldErrors(re *openapi3filter.RequestError) []api.FieldError {
	var out []api.FieldError
	for _, se := range schemaErrors(re.Err) {
		out = append(out, schemaFieldError(re, se))
	}
	if len(out) == 0 && re.Parameter != nil {
		out = append(out, Field(re.Parameter.Name, parameterReason(re)))
	}
	if len(out) == 0 {
		out = append(out, Field("body", "is invalid"))
	}
	return out
}

// schemaErrors flattens err into its SchemaErrors.
func schemaErrors(err error) []*openapi3.SchemaError {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		var out []*openapi3.SchemaError
		for _, e := range me {
			out = append(out, schemaErrors(e)...)
		}
		return out
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return []*openapi3.SchemaError{se}
	}
	return nil
}

// schemaFieldError names the field of one schema error: for a body, the dotted
// JSON pointer; for a parameter, its name.
func schemaFieldError(re *openapi3filter.RequestError, se *openapi3.SchemaError) api.FieldError {
	field := strings.Join(se.JSONPointer(), ".")
	reason := se.Reason
	switch {
	case se.SchemaField == "required":
		reason = "is required"
	case se.SchemaField == "format":
		reason = formatReason(se.Schema.Format)
	case se.SchemaField == "pattern":
		// The regular expression means nothing to a reader; the contract says
		// in words what it asks.
		if why, ok := se.Schema.Extensions[extPatternReason].(string); ok {
			reason = why
		}
	case se.SchemaField == "properties" && strings.HasSuffix(reason, " is unsupported"):
		// kin-openapi reports an unknown member at the object that holds it.
		name := strings.TrimSuffix(strings.TrimPrefix(reason, "property "), " is unsupported")
		if unq, err := strconv.Unquote(name); err == nil {
			name = unq
		}
		field = strings.TrimPrefix(field+"."+name, ".")
		reason = "is not a known field"
	}
	if re.Parameter != nil {
		field = re.Parameter.Name
	}
	if field == "" {
		field = "body"
	}
	return Field(field, reason)
}

// formatReason says what a string format asks, without kin-openapi's wording
// or a parser's error text.
func formatReason(format string) string {
	switch format {
	case "uuid":
		return "must be a UUID"
	case "date-time":
		return "must be an RFC 3339 date-time, such as 2026-01-02T15:04:05Z"
	case "date":
		return "must be a date, such as 2026-01-02"
	}
	return "must be of the format " + format
}

// extPatternReason is the schema extension that says in words what a
// pattern asks for.
const extPatternReason = "x-accounts-pattern-reason"

// parameterReason explains a parameter error without echoing decoder internals.
func parameterReason(re *openapi3filter.RequestError) string {
	if errors.Is(re, openapi3filter.ErrInvalidRequired) {
		return "is required"
	}
	return "is not a valid " + re.Parameter.In + " parameter"
}

// contentTypes lists the media types a request body accepts.
func contentTypes(rb *openapi3.RequestBody) []string {
	out := make([]string, 0, len(rb.Content))
	for ct := range rb.Content {
		out = append(out, ct)
	}
	slices.Sort(out)
	return out
}

// tooLarge is the 413 problem.
func tooLarge(c echo.Context, limit int64) api.Problem {
	c.Response().Header().Set(echo.HeaderConnection, "close")
	return Problem(c.Request().Context(), api.CodePayloadTooLarge, fmt.Sprintf("The request body exceeds %d bytes.", limit))
}

// Invalid is the 400 VALIDATION_FAILED problem naming the fields.
func Invalid(ctx context.Context, fields ...api.FieldError) api.Problem {
	return Problem(ctx, api.CodeValidationFailed, "The request has invalid fields.", fields...)
}
