package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.yaml.in/yaml/v4"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/testdb"
)

func TestHealthz(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	res, err := e.Client.GetHealthzWithResponse(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode() != http.StatusOK || res.JSON200 == nil || res.JSON200.Status != "ok" {
		t.Fatalf("got %d %s", res.StatusCode(), res.Body)
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	long := strings.Repeat("a", 128)
	tests := []struct {
		name string
		in   string
		kept bool
	}{
		{"Absent_Generated", "", false},
		{"Valid_Kept", "abc.DEF_123-x", true},
		{"Longest_Kept", long, true},
		{"TooLong_Replaced", long + "a", false},
		{"Space_Replaced", "abc def", false},
		{"Slash_Replaced", "abc/def", false},
		{"NonASCII_Replaced", "abcé", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/healthz", "/no/such/route"} {
				h := http.Header{}
				if tc.in != "" {
					h.Set(httpx.HeaderRequestID, tc.in)
				}
				res, _ := e.Do(t, http.MethodGet, path, nil, h)
				got := res.Header.Get(httpx.HeaderRequestID)
				if tc.kept && got != tc.in {
					t.Errorf("%s: request id %q, want it kept as %q", path, got, tc.in)
				}
				if !tc.kept && (got == tc.in || len(got) != 32) {
					t.Errorf("%s: request id %q, want a fresh one", path, got)
				}
			}
		})
	}
}

func TestReadyz(t *testing.T) {
	t.Parallel()
	t.Run("Ready_200", func(t *testing.T) {
		t.Parallel()
		e := servertest.New(t)
		if res, b := e.Do(t, http.MethodGet, "/readyz", nil, nil); res.StatusCode != http.StatusOK {
			t.Fatalf("got %d %s", res.StatusCode, b)
		}
	})
	t.Run("Draining_503", func(t *testing.T) {
		t.Parallel()
		e := servertest.New(t)
		e.Server.Drain()
		assertNotReady(t, e, "shutdown")
	})
	t.Run("SchemaBehind_503", func(t *testing.T) {
		t.Parallel()
		e := servertest.New(t, func(o *servertest.Options) {
			o.SchemaCheck = func(context.Context) error { return errors.New("the database is at version 1, this binary needs 2") }
		})
		assertNotReady(t, e, "schema: ")
	})
	// /readyz is anonymous: a failing check answers its fixed reason, and the
	// database's own words go to the log only.
	t.Run("SchemaUnreadable_503", func(t *testing.T) {
		t.Parallel()
		const internal = `relation "goose_db_version" does not exist (SQLSTATE 42P01)`
		e := servertest.New(t, func(o *servertest.Options) {
			o.SchemaCheck = func(context.Context) error { return errors.New("reading the schema version: " + internal) }
		})
		body := assertNotReady(t, e, "schema: ")
		if strings.Contains(body, "SQLSTATE") || strings.Contains(body, "goose") {
			t.Fatalf("/readyz tells anonymous callers the database's error: %s", body)
		}
		if !strings.Contains(e.Logs.String(), "goose_db_version\\\" does not exist (SQLSTATE 42P01)") {
			t.Fatalf("the detail is not in the log:\n%s", e.Logs.String())
		}
	})
	t.Run("DatabaseDownAndBack", func(t *testing.T) {
		t.Parallel()
		_, dbURL := testdb.NewPool(t)
		proxy := newDBProxy(t, dbURL)
		pool, err := pgxpool.New(context.Background(), proxy.URL(t, dbURL))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		e := servertest.New(t, servertest.OnDatabase(pool, dbURL))
		if res, b := e.Do(t, http.MethodGet, "/readyz", nil, nil); res.StatusCode != http.StatusOK {
			t.Fatalf("before: got %d %s", res.StatusCode, b)
		}
		proxy.setDown(true)
		assertNotReady(t, e, "database")
		proxy.setDown(false)
		// A probe polls: a connection the outage left hanging may cost the
		// first one its 1 s ping, and the next must see the database again.
		for probe := 1; ; probe++ {
			res, b := e.Do(t, http.MethodGet, "/readyz", nil, nil)
			if res.StatusCode == http.StatusOK {
				break
			}
			if probe == 3 {
				t.Fatalf("after the database came back: %d probes, the last %d %s", probe, res.StatusCode, b)
			}
		}
	})
}

// assertNotReady expects /readyz to answer 503 NOT_READY naming the check, and
// returns the body.
func assertNotReady(t *testing.T, e *servertest.Env, check string) string {
	t.Helper()
	start := time.Now()
	res, b := e.Do(t, http.MethodGet, "/readyz", nil, nil)
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("got %d %s, want 503", res.StatusCode, b)
	}
	p := servertest.ProblemOf(t, b)
	if p.Code != string(api.CodeNotReady) || p.Detail == nil || !strings.HasPrefix(*p.Detail, check) {
		t.Fatalf("got %+v, want NOT_READY naming %q", p, check)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("readyz took %s; its ping is bounded by 1s", took)
	}
	return string(b)
}

func TestSpecServed(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	want, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, got := e.Do(t, http.MethodGet, "/openapi.yaml", nil, nil)
	if res.StatusCode != http.StatusOK || string(got) != string(want) {
		t.Fatalf("/openapi.yaml: %d, %d bytes; want the repository's %d bytes verbatim", res.StatusCode, len(got), len(want))
	}
	res, gotJSON := e.Do(t, http.MethodGet, "/openapi.json", nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/openapi.json: %d", res.StatusCode)
	}
	var fromYAML, fromJSON any
	if err := yaml.Unmarshal(want, &fromYAML); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(gotJSON, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalize(fromYAML), normalize(fromJSON)) {
		t.Fatalf("/openapi.json is not the same document as openapi.yaml:%s", docDiff("", normalize(fromYAML), normalize(fromJSON)))
	}
}

// docDiff lists where two decoded documents differ.
func docDiff(path string, a, b any) string {
	if reflect.DeepEqual(a, b) {
		return ""
	}
	am, ok1 := a.(map[string]any)
	bm, ok2 := b.(map[string]any)
	if !ok1 || !ok2 {
		return fmt.Sprintf("\n%s: %v != %v", path, a, b)
	}
	var out string
	for k := range am {
		out += docDiff(path+"/"+k, am[k], bm[k])
	}
	for k := range bm {
		if _, ok := am[k]; !ok {
			out += fmt.Sprintf("\n%s/%s: only in JSON", path, k)
		}
	}
	return out
}

// normalize maps a decoded document to JSON's types, so YAML and JSON decodings
// of one document compare equal.
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func TestDocs(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	res, page := e.Do(t, http.MethodGet, "/docs", nil, nil)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/docs: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("/docs: Content-Security-Policy %q", csp)
	}
	if strings.Contains(string(page), "//") && strings.Contains(string(page), "http") {
		t.Errorf("/docs refers to another host:\n%s", page)
	}
	for _, asset := range []string{"swagger-ui-bundle.js", "swagger-ui.css", "init.js", "favicon-32x32.png"} {
		if !strings.Contains(string(page), "/docs/assets/"+asset) && asset != "swagger-ui-bundle.js" {
			continue
		}
		for _, enc := range []string{"", "gzip"} {
			h := http.Header{}
			if enc != "" {
				h.Set("Accept-Encoding", enc)
			}
			res, b := e.Do(t, http.MethodGet, "/docs/assets/"+asset, nil, h)
			if res.StatusCode != http.StatusOK || len(b) == 0 {
				t.Errorf("/docs/assets/%s (Accept-Encoding %q): %d, %d bytes", asset, enc, res.StatusCode, len(b))
			}
		}
	}
	// An asset it does not have is a problem like any other 404, and is not
	// cached as a page would be.
	res, b := e.Do(t, http.MethodGet, "/docs/assets/nope.js", nil, nil)
	if res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Type") != "application/problem+json" ||
		servertest.ProblemOf(t, b).Code != string(api.CodeNotFound) || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("/docs/assets/nope.js: %d %q Cache-Control %q: %s; want a 404 problem, not cached", res.StatusCode,
			res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"), b)
	}
}

func TestRoutingProblems(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	tests := []struct {
		name, method, path string
		status             int
		code, allow        string
	}{
		{"UnknownRoute_404", http.MethodGet, "/no/such/route", 404, string(api.CodeNotFound), ""},
		{"UnknownAPIRoute_404", http.MethodGet, "/api/v1/nothing", 404, string(api.CodeNotFound), ""},
		{"WrongMethod_405", http.MethodPost, "/healthz", 405, string(api.CodeMethodNotAllowed), "GET"},
		{"WrongMethodDelete_405", http.MethodDelete, "/openapi.yaml", 405, string(api.CodeMethodNotAllowed), "GET"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, b := e.Do(t, tc.method, tc.path, nil, nil)
			if res.StatusCode != tc.status {
				t.Fatalf("got %d %s", res.StatusCode, b)
			}
			if p := servertest.ProblemOf(t, b); p.Code != tc.code {
				t.Errorf("code %q, want %q", p.Code, tc.code)
			}
			if tc.allow != "" && !strings.Contains(res.Header.Get("Allow"), tc.allow) {
				t.Errorf("Allow %q, want it to contain %s", res.Header.Get("Allow"), tc.allow)
			}
		})
	}
}

// TestDocsAssetsIgnoreRanges: a Range header with thousands of ranges made the
// assets stored uncompressed (the favicons) answer a 206 multipart body many
// times the file's size (GO-2026-6609's reachable path, http.ServeContent).
// Ranges are ignored: the file comes whole.
func TestDocsAssetsIgnoreRanges(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	identity := http.Header{"Accept-Encoding": {"identity"}}
	whole, full := e.Do(t, http.MethodGet, "/docs/assets/favicon-32x32.png", nil, identity)
	if whole.StatusCode != 200 {
		t.Fatalf("the asset: %d", whole.StatusCode)
	}
	ranges := make([]string, 3500)
	for i := range ranges {
		ranges[i] = strconv.Itoa(i) + "-" + strconv.Itoa(i)
	}
	for _, r := range []string{"bytes=0-99", "bytes=" + strings.Join(ranges, ",")} {
		res, b := e.Do(t, http.MethodGet, "/docs/assets/favicon-32x32.png", nil, http.Header{"Range": {r}, "Accept-Encoding": {"identity"}})
		if res.StatusCode != 200 || len(b) != len(full) {
			t.Fatalf("Range %.30s…: %d, %d bytes; want 200 with the %d bytes of the file", r, res.StatusCode, len(b), len(full))
		}
	}
}
