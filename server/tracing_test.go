package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/store"
	"github.com/meridianhq/accounts/server/testdb"
	"github.com/meridianhq/accounts/server/tracing"
)

// TestTraces sends a login inside a caller's trace: the service continues it
// (a span named after the operation, child of the caller's), its queries are
// child spans, the access log carries the trace id, and no span carries the
// address, the password or a token.
func TestTraces(t *testing.T) {
	t.Parallel()
	exp := tracetest.NewInMemoryExporter()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp)))
	if _, err := tracing.Setup(context.Background(), false, "test"); err != nil { // the propagator
		t.Fatal(err)
	}
	_, dbURL := testdb.NewPool(t)
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	store.Configure(cfg)
	cfg.ConnConfig.Tracer = otelpgx.NewTracer()
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	e := servertest.New(t, servertest.OnDatabase(pool, dbURL), func(o *servertest.Options) { o.Config.HTTP.Trace = true })
	u := e.NewUser(t)

	const traceID, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	res, body := e.Do(t, http.MethodPost, "/api/v1/auth/login", strings.NewReader(`{"email":"`+u.Email+`","password":"`+u.Password+`"}`),
		http.Header{"Content-Type": {"application/json"}, "Traceparent": {"00-" + traceID + "-" + parent + "-01"}})
	if res.StatusCode != 200 {
		t.Fatalf("login: %d %s", res.StatusCode, body)
	}
	var server, queries int
	secrets := []string{u.Email, u.Password, u.Tokens.AccessToken, u.Tokens.RefreshToken}
	for _, s := range exp.GetSpans() {
		if s.SpanContext.TraceID().String() != traceID {
			continue
		}
		switch {
		case s.Name == "login":
			server++
			if s.Parent.SpanID().String() != parent {
				t.Errorf("the login span's parent is %s; want the caller's %s", s.Parent.SpanID(), parent)
			}
		default:
			queries++
		}
		for _, a := range s.Attributes {
			for _, secret := range secrets {
				if strings.Contains(a.Value.Emit(), secret) {
					t.Errorf("span %s attribute %s carries a secret or the address", s.Name, a.Key)
				}
			}
		}
	}
	if server != 1 || queries < 2 {
		t.Fatalf("%d login spans and %d others in the trace; want 1 and the queries", server, queries)
	}
	if !strings.Contains(e.Logs.String(), `"trace_id":"`+traceID+`"`) {
		t.Fatal("the access log has no trace id")
	}
}

// TestTraceIDWithoutTracing checks that with tracing off (no span is started)
// the access log still carries the caller's trace id, and no trace id without
// a traceparent.
func TestTraceIDWithoutTracing(t *testing.T) {
	t.Parallel()
	if _, err := tracing.Setup(context.Background(), false, "test"); err != nil { // the propagator
		t.Fatal(err)
	}
	e := servertest.New(t)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	for _, tc := range []struct {
		name   string
		header http.Header
		want   string
	}{
		{"Traceparent", http.Header{"Traceparent": {"00-" + traceID + "-00f067aa0ba902b7-01"}}, `"trace_id":"` + traceID + `"`},
		{"None", nil, `"trace_id":""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if res, body := e.Do(t, http.MethodGet, "/healthz", nil, tc.header); res.StatusCode != 200 {
				t.Fatalf("healthz: %d %s", res.StatusCode, body)
			}
			lines := strings.Split(strings.TrimSpace(e.Logs.String()), "\n")
			if last := lines[len(lines)-1]; !strings.Contains(last, tc.want) {
				t.Errorf("access log line %s; want %s", last, tc.want)
			}
		})
	}
}
