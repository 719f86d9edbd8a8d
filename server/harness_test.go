package server_test

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/servertest"
)

// The API tests run against servertest.New: the production wiring on a fresh
// database, every response checked against the contract. What is here are the
// few helpers only these tests need.

func mustKey() jwk.Key {
	k, err := auth.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

func mustKeySet(keys ...jwk.Key) *auth.KeySet {
	ks, err := auth.KeySetOf(keys...)
	if err != nil {
		panic(err)
	}
	return ks
}

// mustExec runs SQL on e's database: to seed rows in bulk, or to move a
// session's clock, never to stand in for a write the service makes itself.
func mustExec(t testing.TB, e *servertest.Env, sql string, args ...any) {
	t.Helper()
	if _, err := e.Pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}
