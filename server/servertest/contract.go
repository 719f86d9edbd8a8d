package servertest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/httpx"
)

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// CheckContract validates every response the tests see against openapi.yaml,
// and checks that every error response is a problem carrying the request id.
func CheckContract(t testing.TB, h http.Handler) http.Handler {
	specOnce.Do(func() {
		// The docs page is HTML: the contract only says it is a string.
		openapi3filter.RegisterBodyDecoder("text/html", func(r io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
			b, err := io.ReadAll(r)
			return string(b), err
		})
		var doc *openapi3.T
		if doc, specErr = api.GetSpec(); specErr == nil {
			doc.Servers = nil
			specRouter, specErr = gorillamux.NewRouter(doc)
		}
	})
	if specErr != nil {
		t.Fatalf("loading the spec: %v", specErr)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		res := rec.Result()
		body := rec.Body.Bytes()
		checkProblem(t, r, res, body)
		if route, params, err := specRouter.FindRoute(r); err == nil && !strings.HasPrefix(r.URL.Path, "/docs/assets/") {
			in := &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
				Status:                 res.StatusCode,
				Header:                 res.Header,
				Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
			}
			in.SetBodyBytes(body)
			if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
				t.Errorf("%s %s: response %d does not match the contract: %v", r.Method, r.URL.Path, res.StatusCode, err)
			}
		}
		for k, v := range res.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(res.StatusCode)
		_, _ = w.Write(body)
	})
}

// checkProblem asserts the shape every error response must have.
func checkProblem(t testing.TB, r *http.Request, res *http.Response, body []byte) {
	if res.StatusCode < 400 {
		return
	}
	rid := res.Header.Get(httpx.HeaderRequestID)
	if rid == "" {
		t.Errorf("%s %s: %d without %s", r.Method, r.URL.Path, res.StatusCode, httpx.HeaderRequestID)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s %s: %d with Content-Type %q, want application/problem+json", r.Method, r.URL.Path, res.StatusCode, ct)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	var p api.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Errorf("%s %s: problem body does not decode: %v", r.Method, r.URL.Path, err)
		return
	}
	if p.Status != res.StatusCode || p.Code == "" || p.Title == "" || p.Type == "" || p.RequestId != rid {
		t.Errorf("%s %s: bad problem %+v for status %d and request id %q", r.Method, r.URL.Path, p, res.StatusCode, rid)
	}
}
