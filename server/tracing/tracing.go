// Package tracing sets up OpenTelemetry traces: an OTLP/HTTP exporter
// configured by the standard OTEL_* environment variables, off when none says
// where to send them, and the W3C trace-context propagator, so that a
// traceparent from the caller is continued and passed on.
package tracing

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
)

// Name is the instrumentation scope of the service's own spans.
const Name = "github.com/meridianhq/accounts"

// Tracer is the service's tracer, from the global provider Setup installs.
func Tracer() trace.Tracer { return otel.Tracer(Name) }

// Propagator is the W3C trace-context and baggage propagator that Setup
// installs.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// Enabled reports whether getenv names a trace destination: OTEL_TRACES_EXPORTER
// is not "none", and an OTLP endpoint is set.
func Enabled(getenv func(string) string) bool {
	if getenv("OTEL_TRACES_EXPORTER") == "none" || getenv("OTEL_SDK_DISABLED") == "true" {
		return false
	}
	return getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != ""
}

// Setup installs the propagator and, when enabled, an OTLP/HTTP exporter (the
// exporter reads the rest of the OTEL_* variables itself: endpoint, headers,
// timeout, sampler) behind a batching provider. The returned function flushes
// and stops it.
func Setup(ctx context.Context, enabled bool, version string) (func(context.Context) error, error) {
	otel.SetTextMapPropagator(Propagator())
	if !enabled {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: the OTLP exporter: %w", err)
	}
	// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, win.
	res, err := resource.New(ctx, resource.WithAttributes(semconv.ServiceName("accounts"), semconv.ServiceVersion(version)),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("tracing: the resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}
