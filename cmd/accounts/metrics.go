package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/meridianhq/accounts/cmd/accounts/wiring"
)

// serveMetrics serves /metrics (and, with ACCOUNTS_PPROF, /debug/pprof/) on
// ACCOUNTS_METRICS_ADDR, a listener of its own: the API's port never exposes
// them. It returns the function that stops it; with no address it does nothing.
func serveMetrics(cfg config, svc *wiring.Service, log *slog.Logger) (func(), error) {
	if cfg.MetricsAddr == "" {
		return func() {}, nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", svc.Metrics.Handler())
	if cfg.Pprof {
		// Not /debug/pprof/cmdline: the command line may hold a flag's
		// secret (-database-url), and the index answers it 404.
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s (ACCOUNTS_METRICS_ADDR): %w", cfg.MetricsAddr, err)
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() { _ = hs.Serve(ln) }()
	log.Info("metrics listening", slog.String("addr", ln.Addr().String()), slog.Bool("pprof", cfg.Pprof))
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
	}, nil
}
