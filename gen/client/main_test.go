package client_test

// Hand-written (not generated): the server the examples of the Go SDK run
// against, on a fresh database.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/server"
	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/testdb"
)

// baseURL is the running server's address.
var baseURL string

func TestMain(m *testing.M) {
	ctx, cancel := context.WithCancel(context.Background())
	dbURL, drop, err := testdb.Create()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server.ConfigurePool(cfg)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	opts, err := servertest.Options(pool, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, time.Now)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_, ts, err := servertest.Serve(ctx, opts, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	baseURL = ts.URL
	code := m.Run()
	ts.Close()
	cancel()
	pool.Close()
	if err := drop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}
