package accounts

import (
	"fmt"
	"strings"

	"github.com/meridianhq/accounts/gen/client"
)

// CodeUnexpectedResponse is the Code of a ProblemError made from an error
// answer that is not a problem document: a proxy's 502 page, say. The service
// never sends it.
const CodeUnexpectedResponse client.ProblemCode = "UNEXPECTED_RESPONSE"

// ProblemError is an error answer of the service: an RFC 9457 problem, or, for
// an error answer that is not one, its status with Code CodeUnexpectedResponse.
//
// Branch on Code (client.CodeEmailTaken, client.CodeUnauthenticated, …), which
// is stable, and on Status for a code you do not know; Title and Detail are for
// people. Code is a client.ProblemCode, so it also compares with a string
// constant: pe.Code == "EMAIL_TAKEN".
type ProblemError struct {
	// Status is the HTTP status of the answer.
	Status int
	// Code is the stable, machine-readable code, UPPER_SNAKE_CASE.
	Code client.ProblemCode
	// Type is the URI reference of the problem type.
	Type string
	// Title is a short summary of the problem type.
	Title string
	// Detail says what went wrong this time; it may be empty.
	Detail string
	// RequestID is the request's id, as in the X-Request-ID header: quote it
	// when reporting a problem. Empty when the answer did not come from the
	// service.
	RequestID string
	// Errors are the fields at fault (for VALIDATION_FAILED and the like).
	Errors []client.FieldError
}

// Error reads "409 EMAIL_TAKEN: <detail or title> (request <id>)", followed by
// the fields at fault.
func (e *ProblemError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s: ", e.Status, e.Code)
	if e.Detail != "" {
		b.WriteString(e.Detail)
	} else {
		b.WriteString(e.Title)
	}
	for i, f := range e.Errors {
		if i == 0 {
			b.WriteString(" [")
		} else {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", f.Field, f.Reason)
		if i == len(e.Errors)-1 {
			b.WriteString("]")
		}
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request %s)", e.RequestID)
	}
	return b.String()
}

// Field returns the reason given for field, and whether the problem names it.
func (e *ProblemError) Field(field string) (string, bool) {
	for _, f := range e.Errors {
		if f.Field == field {
			return f.Reason, true
		}
	}
	return "", false
}

// fromProblem is the error of a problem document received with status.
func fromProblem(status int, p client.Problem) *ProblemError {
	e := &ProblemError{
		Status: status, Code: client.ProblemCode(p.Code), Type: p.Type, Title: p.Title, RequestID: p.RequestId,
	}
	if p.Detail != nil {
		e.Detail = *p.Detail
	}
	if p.Errors != nil {
		e.Errors = *p.Errors
	}
	return e
}
