package httpx

import (
	"context"
	"strings"

	"github.com/meridianhq/accounts/gen/api"
)

// Problem builds the RFC 9457 body of one occurrence of code, with its status
// and title from the table. The request id comes from ctx. Every code of the
// spec's ProblemCode is in the table (a test checks it); anything else would
// be answered as INTERNAL.
func Problem(ctx context.Context, code api.ProblemCode, detail string, fields ...api.FieldError) api.Problem {
	info, ok := Lookup(code)
	if !ok {
		info = codeIndex[api.CodeInternal]
	}
	p := api.Problem{
		Type:      problemType(info.Code),
		Title:     info.Title,
		Status:    info.Status,
		Code:      string(info.Code),
		RequestId: Info(ctx).ID,
	}
	if detail != "" {
		p.Detail = &detail
	}
	if len(fields) > 0 {
		p.Errors = &fields
	}
	return p
}

// problemType turns a code into the problem type URI: VALIDATION_FAILED becomes
// urn:problem-type:accounts:validation-failed.
func problemType(code api.ProblemCode) string {
	return "urn:problem-type:accounts:" + strings.ReplaceAll(strings.ToLower(string(code)), "_", "-")
}

// Field is a shorthand for one api.FieldError.
func Field(field, reason string) api.FieldError {
	return api.FieldError{Field: field, Reason: reason}
}
