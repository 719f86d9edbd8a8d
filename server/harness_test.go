package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/testdb"
)

// env is one test's service: its own database, the production handler behind an
// httptest server, and the generated client pointed at it.
type env struct {
	t      testing.TB
	pool   *pgxpool.Pool
	dbURL  string
	srv    *server.Server
	opts   server.Options
	url    string
	client *client.ClientWithResponses
	logs   *syncBuffer
	clock  *testClock
	keys   *auth.KeySet
}

// testKey signs the tokens of every env that does not ask for other keys.
var (
	testKey  = sync.OnceValue(mustKey)
	testKeys = sync.OnceValue(func() *auth.KeySet { return mustKeySet(testKey()) })
)

// newEnv starts a service on a fresh database. Options can be adjusted by mods.
func newEnv(t testing.TB, mods ...func(*server.Options)) *env {
	t.Helper()
	pool, dbURL := testdb.NewPool(t, server.ConfigurePool)
	return newEnvOn(t, pool, dbURL, mods...)
}

// newEnvOn starts a service on an existing database.
func newEnvOn(t testing.TB, pool *pgxpool.Pool, dbURL string, mods ...func(*server.Options)) *env {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := newTestClock()
	opts, err := servertest.Options(pool, log, testKeys(), clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mods {
		m(&opts)
	}
	srv, hs, err := servertest.Serve(t.Context(), opts, func(h http.Handler) http.Handler { return checkResponses(t, h) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hs.Close)
	c, err := client.NewClientWithResponses(hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, pool: pool, dbURL: dbURL, srv: srv, opts: opts, url: hs.URL, client: c, logs: logs, clock: clock, keys: opts.Tokens.Keys()}
}

// newTokens returns access tokens over keys with the test clock.
func newTokens(t testing.TB, keys *auth.KeySet, clock *testClock) *auth.Tokens {
	tokens, err := servertest.NewTokens(keys, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

// withKeys makes an env sign and verify with keys.
func withKeys(t testing.TB, keys *auth.KeySet) func(*server.Options) {
	return func(o *server.Options) {
		clock := newTestClock()
		o.Tokens = newTokens(t, keys, clock)
	}
}

func mustKey() jwk.Key {
	k, err := auth.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func mustKeySet(keys ...jwk.Key) *auth.KeySet {
	set := jwk.NewSet()
	for _, k := range keys {
		if err := set.AddKey(k); err != nil {
			panic(err)
		}
	}
	ks, err := auth.NewKeySet(set)
	if err != nil {
		panic(err)
	}
	return ks
}

// testClock is a clock tests can move forward.
type testClock struct{ offset atomic.Int64 }

func newTestClock() *testClock { return &testClock{} }

// Now is the real time plus every Advance so far.
func (c *testClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// Advance moves the clock forward by d.
func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

// checkResponses validates every response the tests see against openapi.yaml,
// and checks that every error response is a problem carrying the request id.
func checkResponses(t testing.TB, h http.Handler) http.Handler {
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
	rid := res.Header.Get(server.HeaderRequestID)
	if rid == "" {
		t.Errorf("%s %s: %d without %s", r.Method, r.URL.Path, res.StatusCode, server.HeaderRequestID)
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

// do sends a raw request, for what the typed client cannot express.
func (e *env) do(method, path string, body io.Reader, header http.Header) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return res, b
}

// problemOf decodes a problem body.
func problemOf(t *testing.T, b []byte) api.Problem {
	t.Helper()
	var p api.Problem
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("not a problem: %v: %s", err, b)
	}
	return p
}

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newEnvDB returns a fresh database without starting a service on it.
func newEnvDB(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	return testdb.NewPool(t, server.ConfigurePool)
}
