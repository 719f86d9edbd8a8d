package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/meridianhq/accounts/server/testdb"
)

// TestTracesExportOverOTLP runs the binary with OTEL_EXPORTER_OTLP_ENDPOINT
// pointing at a test receiver: a request's span arrives there over OTLP/HTTP,
// named after its operation.
func TestTracesExportOverOTLP(t *testing.T) {
	t.Parallel()
	got := make(chan *coltrace.ExportTraceServiceRequest, 16)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req coltrace.ExportTraceServiceRequest
		if r.URL.Path == "/v1/traces" && proto.Unmarshal(b, &req) == nil {
			got <- &req
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(nil)
	}))
	defer receiver.Close()
	env := []string{"DATABASE_URL=" + testdb.Empty(t), "ACCOUNTS_SHUTDOWN_DELAY=0s",
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + receiver.URL, "OTEL_BSP_SCHEDULE_DELAY=100", "OTEL_SERVICE_NAME=accounts-test"}
	p := startBinary(t, t.TempDir(), env, nil, devArgs()...)
	if status := getStatus(p.addr, "/healthz"); status != 200 {
		t.Fatalf("/healthz: %d", status)
	}
	deadline := time.After(15 * time.Second)
	for {
		select {
		case req := <-got:
			for _, rs := range req.ResourceSpans {
				service := ""
				for _, a := range rs.Resource.GetAttributes() {
					if a.Key == "service.name" {
						service = a.Value.GetStringValue()
					}
				}
				for _, ss := range rs.ScopeSpans {
					for _, s := range ss.Spans {
						if s.Name == "getHealthz" && service == "accounts-test" {
							return
						}
					}
				}
			}
		case <-deadline:
			t.Fatal("no getHealthz span of accounts-test reached the OTLP receiver in 15s")
		}
	}
}
