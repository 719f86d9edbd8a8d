package accounts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/meridianhq/accounts/gen/client"
)

// Response is what Check reads of an answer. Every *WithResponse result of the
// generated client (client.GetMeResponse, client.RegisterResponse, …) is one.
type Response interface {
	// StatusCode is the HTTP status.
	StatusCode() int
	// Status is the status line, "409 Conflict".
	Status() string
	// ContentType is the Content-Type header.
	ContentType() string
	// GetBody is the body, as read.
	GetBody() []byte
}

// Check is the error of a call of the generated client: err when the call got
// no answer (a network failure, a cancelled context, a refused refresh of the
// session), nil when the answer is a 2xx, and otherwise a *ProblemError made
// from the answer, whatever the operation:
//
//	me, err := api.GetMeWithResponse(ctx, nil)
//	if err := accounts.Check(me, err); err != nil {
//		return fmt.Errorf("get me: %w", err)
//	}
//
// Pass the call's results as they are: res is not read when err is not nil.
func Check(res Response, err error) error {
	if err != nil {
		return err
	}
	if res == nil {
		return errors.New("accounts: Check: no response and no error")
	}
	status := res.StatusCode()
	if status >= 200 && status <= 299 {
		return nil
	}
	return problemOf(status, res.Status(), res.ContentType(), "", res.GetBody())
}

// ProblemFrom is the error of an answer the generated client did not parse:
// res with its body already read into body (the response's own Body is not
// read). It reads the problem document when res carries one, and otherwise
// makes one of CodeUnexpectedResponse from the status. It does not look at
// whether the status is an error: call it for the answers that are.
func ProblemFrom(res *http.Response, body []byte) *ProblemError {
	return problemOf(res.StatusCode, res.Status, res.Header.Get("Content-Type"), res.Header.Get("X-Request-ID"), body)
}

// problemMediaType is the media type of RFC 9457 problem documents.
const problemMediaType = "application/problem+json"

// problemOf reads body as a problem document when contentType says it is one,
// and otherwise describes the answer. requestID is the X-Request-ID header, when
// known, for answers that carry no problem.
func problemOf(status int, statusLine, contentType, requestID string, body []byte) *ProblemError {
	mt, _, _ := mime.ParseMediaType(contentType)
	why := "not a problem document"
	if mt == problemMediaType {
		var p client.Problem
		err := json.Unmarshal(body, &p)
		if err == nil && p.Code != "" {
			e := fromProblem(status, p)
			if e.RequestID == "" {
				e.RequestID = requestID
			}
			return e
		}
		why = "a problem document without a code"
		if err != nil {
			why = "a problem document that does not decode: " + err.Error()
		}
	}
	if contentType == "" {
		contentType = "no content type"
	}
	detail := fmt.Sprintf("the server answered %d with %s, %s", status, contentType, why)
	if s := excerpt(body); s != "" {
		detail += ": " + s
	}
	return &ProblemError{
		Status: status, Code: CodeUnexpectedResponse, Type: "about:blank",
		Title: statusTitle(status, statusLine), Detail: detail, RequestID: requestID,
	}
}

// statusTitle is the reason phrase of a status line ("Bad Gateway"), or the
// status's standard text.
func statusTitle(status int, line string) string {
	if t := strings.TrimSpace(strings.TrimPrefix(line, strconv.Itoa(status))); t != "" {
		return t
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "HTTP " + strconv.Itoa(status)
}

// excerptLen bounds how much of a body that is not a problem goes into Detail.
const excerptLen = 200

// excerpt is the start of a text body, quoted, for an error message; empty for
// an empty or binary body.
func excerpt(body []byte) string {
	if !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0 {
		return ""
	}
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) <= excerptLen {
		if s == "" {
			return ""
		}
		return strconv.Quote(s)
	}
	s = s[:excerptLen]
	for !utf8.ValidString(s) { // a rune was cut: drop its first bytes
		s = s[:len(s)-1]
	}
	return strconv.Quote(s) + "…"
}
