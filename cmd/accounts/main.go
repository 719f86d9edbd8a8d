// Command accounts is the accounts service: `accounts serve` runs it, `accounts
// migrate` manages its schema, `accounts version` prints its version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is stamped at build time: -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], osEnvironment{}, os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole program, with its inputs passed in so tests can drive it. It
// returns the exit status: 0 on success, 2 for bad usage or configuration, 1 for
// anything else.
//
// SIGINT and SIGTERM cancel the context once; after that the default handling is
// back, so a second signal ends the process at once.
func run(ctx context.Context, args []string, env environment, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, cancel := cancelOnSignal(ctx)
	defer cancel()

	cmd, rest := "serve", args
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, rest = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, rest, env, stderr)
	case "migrate":
		err = migrate(ctx, rest, env, stdout, stderr)
	case "probe":
		err = probe(ctx, rest, stdout, stderr)
	case "admin":
		err = admin(ctx, rest, env, stdin, stdout, stderr)
	case "keys":
		err = keys(rest, stdout, stderr)
	case "version":
		_, err = fmt.Fprintln(stdout, "accounts", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		err = usageErrorf("unknown command %q; run `accounts help`", cmd)
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(*usageError)):
		fmt.Fprintln(stderr, "accounts:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "accounts:", err)
		return 1
	}
}

// environment is what the program reads of its environment: the process's
// (osEnvironment), or a test's.
type environment interface {
	Getenv(name string) string
	// Environ lists the variables as NAME=value.
	Environ() []string
}

// osEnvironment is the process's environment.
type osEnvironment struct{}

func (osEnvironment) Getenv(name string) string { return os.Getenv(name) }
func (osEnvironment) Environ() []string         { return os.Environ() }

// cancelOnSignal returns a context cancelled by the first SIGINT or SIGTERM. The
// signals are let go before the cancellation, so by the time anything observes it
// a second signal already has its default effect: ending the process.
func cancelOnSignal(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sigs:
		case <-ctx.Done():
		}
		signal.Stop(sigs)
		cancel()
	}()
	return ctx, cancel
}

const usage = `accounts: user accounts and authentication.

Commands:
  serve                  run the service (the default)
  migrate up|down|status apply, roll back one, or list the schema migrations
  keys generate --out F  write a new Ed25519 signing key (--add: rotate it into F)
  admin create --email E --name N [--password-stdin]
                         create an admin (the first one, say); prints a generated
                         password once unless one comes on standard input
  probe URL              exit 0 if URL answers 2xx (a container health check)
  version                print the version

Configuration comes from the environment and flags; run a command with -h to
list its flags. README.md has the full table.
`
