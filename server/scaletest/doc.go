// Package scaletest runs accounts as it is deployed at scale, on real
// components from Debian's packages, all on 127.0.0.1: replicas of the built
// binary behind HAProxy, through PgBouncer in transaction mode with the
// revocation listener on a direct connection, on a PostgreSQL cluster of its
// own that it can freeze. Its tests carry the build tag scale; `make
// test-scale` runs them (needs haproxy, pgbouncer and the PostgreSQL server
// binaries, which .ci/run installs). Each check prints its figures and PASS or
// FAIL, and the run ends with "N passed, M failed".
package scaletest
