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

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/store"
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
	store.Configure(cfg)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_, ts, err := servertest.Start(ctx, servertest.Options{
		Config: servertest.Config(), Pool: pool, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, nil)
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
