package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/meridianhq/accounts/cmd/accounts/wiring"
	"github.com/meridianhq/accounts/server"
	"github.com/meridianhq/accounts/server/tracing"
)

// pruneEvery is how often each replica prunes ended sessions.
const pruneEvery = 10 * time.Minute

// serve runs the service until ctx is cancelled (SIGINT or SIGTERM), then shuts
// down gracefully: /readyz turns 503 at once, the listener keeps serving for the
// shutdown delay, in-flight requests get the drain period, and then the listener
// and the pool close.
func serve(ctx context.Context, args []string, env environment, stderr io.Writer) error {
	cfg, err := loadConfig("serve", args, env, stderr)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	setMemoryLimit(env, "/sys/fs/cgroup", log)
	for _, name := range cfg.Unknown {
		log.Warn("unknown setting ignored; see `accounts serve -h` for the known ones", slog.String("variable", name))
	}
	for _, name := range cfg.SecretFlags {
		log.Warn("a secret is on the command line, where any process on the machine can read it: set it in the environment (or a file) instead",
			slog.String("flag", "-"+name))
	}
	if cfg.LocalMailLinks {
		log.Warn("ACCOUNTS_SMTP_URL is set without ACCOUNTS_PUBLIC_URL (or ACCOUNTS_LINK_BASE_URL): the links in mail point at localhost")
	}
	keys, err := loadKeys(cfg, log)
	if err != nil {
		return err
	}
	sealer, err := loadEncryptionKeys(cfg.EncryptionKeys, cfg.DevMode, cfg.SigningKeys != "", log)
	if err != nil {
		return err
	}
	cfg.DB.Trace = tracing.Enabled(env.Getenv)
	cfg.Service.HTTP.Trace = cfg.DB.Trace
	stopTracing, err := tracing.Setup(ctx, cfg.DB.Trace, version)
	if err != nil {
		return err
	}
	defer func() { _ = stopTracing(context.WithoutCancel(ctx)) }()
	pool, err := openPool(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := migrateOnStart(ctx, cfg, log); err != nil {
		return err
	}
	check, err := schemaCheck(pool)
	if err != nil {
		return err
	}
	listen, err := listenConfig(cfg, log)
	if err != nil {
		return err
	}
	// Listening before the wiring: the mail links of ACCOUNTS_ADDR=…:0 need the port.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	cfg.Service.Mail.PublicURL = listenedPublicURL(cfg.Service.Mail.PublicURL, ln.Addr())
	we := wiring.Env{Logger: log, Pool: pool, Keys: keys, SchemaCheck: check, Listen: listen}
	if sealer != nil { // a nil *KeySet in the interface would not be nil
		we.Secrets = sealer
	}
	svc, err := wiring.New(cfg.Service, we)
	if err != nil {
		return err
	}
	// Revocations outlive the signal: draining requests still need them.
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	if err := svc.Start(bgCtx, pruneEvery); err != nil {
		return err
	}
	stopMetrics, err := serveMetrics(cfg, svc, log)
	if err != nil {
		return err
	}
	defer stopMetrics()
	hs := newHTTPServer(svc.Server.Handler(), cfg.HTTPServer, log)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	base := baseURL(ln.Addr())
	log.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("base_url", base), slog.String("version", version))
	if cfg.PrintURLs {
		printURLs(stderr, base, cfg.MailUIURL)
	}

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	// The job queue stops beside the HTTP drain, within the same budget, so
	// that the whole shutdown takes at most the delay and one drain period
	// (what terminationGracePeriodSeconds must cover). Jobs that are running
	// finish; the rest stay queued for another replica, or for the next start.
	// Requests still being drained can queue jobs: inserting needs no worker.
	jobsStopped := make(chan error, 1)
	go func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.Shutdown.Delay+cfg.Shutdown.Drain)
		defer cancel()
		jobsStopped <- svc.Stop(stopCtx)
	}()
	err = shutdown(hs, svc.Server, served, cfg.Shutdown, log)
	if serr := <-jobsStopped; serr != nil {
		log.Warn("stopping the job queue", slog.Any("error", serr))
	}
	return err
}

// newHTTPServer is the net/http server of h, with o's limits.
func newHTTPServer(h http.Handler, o httpServerOptions, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		ReadTimeout:       o.ReadTimeout,
		WriteTimeout:      o.WriteTimeout,
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    o.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// shutdown drains the server after the first signal. It fails when the drain
// period ended with requests still in flight: they were cut.
func shutdown(hs *http.Server, srv *server.Server, served <-chan error, o shutdownOptions, log *slog.Logger) error {
	log.Info("shutting down", slog.String("delay", o.Delay.String()), slog.String("drain", o.Drain.String()))
	srv.Drain()
	time.Sleep(o.Delay)
	ctx, cancel := context.WithTimeout(context.Background(), o.Drain)
	defer cancel()
	var cut error
	if err := hs.Shutdown(ctx); err != nil {
		log.Warn("drain period over; closing the remaining connections", slog.Any("error", err))
		_ = hs.Close()
		cut = fmt.Errorf("shutting down: requests were still in flight after the drain period of %s", o.Drain)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	if cut != nil {
		return cut
	}
	log.Info("stopped")
	return nil
}

// baseURL is the URL the SDKs are given for a listener at addr: the paths of
// the contract (/api/v1/…) are relative to it. An unspecified host (":8080")
// is reached as localhost.
func baseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// listenedPublicURL is ACCOUNTS_PUBLIC_URL once the listener is at addr:
// the configured one, or, when the default had to wait for a port 0 to be
// chosen, the base URL of the listener.
func listenedPublicURL(configured string, addr net.Addr) string {
	if configured != "" {
		return configured
	}
	return baseURL(addr)
}

// printURLs tells a person where the running service is, and where its mail
// can be read when a catcher takes it (mailUI, or "").
func printURLs(w io.Writer, base, mailUI string) {
	fmt.Fprintf(w, "accounts: base URL for the SDKs  %s\n", base)
	fmt.Fprintf(w, "accounts: API docs               %s/docs\n", base)
	fmt.Fprintf(w, "accounts: contract               %s/openapi.yaml\n", base)
	if mailUI != "" {
		fmt.Fprintf(w, "accounts: mail UI (Mailpit)      %s\n", mailUI)
	}
}
