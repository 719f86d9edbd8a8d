#!/usr/bin/env bash
# with-server.sh CMD [ARGS…]: run CMD against a real accounts server.
#
# It builds bin/accounts as the Dockerfile does, creates a fresh database on the
# test cluster (TEST_DATABASE_URL, or the project-local one from devdb.sh),
# starts `accounts serve` on a free loopback port with migrations applied, runs
# CMD with ACCOUNTS_URL set to the server's base URL, then stops the server and
# drops the database. CMD's exit status is the script's. Extra server settings
# can be passed in the environment (ACCOUNTS_*); the server's log goes to
# $ACCOUNTS_SERVER_LOG (default: a temporary file, printed if CMD fails).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ "$#" -gt 0 ] || { echo "usage: with-server.sh CMD [ARGS…]" >&2; exit 2; }

make -s -C "$root" build >&2
admin="${TEST_DATABASE_URL:-$("$root/tools/devdb.sh" start test)}"
db="accounts_e2e_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
. "$root/tools/dblib.sh"
dburl="$(db_url "$admin" "$db")"
log="${ACCOUNTS_SERVER_LOG:-$(mktemp -t accounts-server.XXXXXX.log)}"

db_sql "$admin" "CREATE DATABASE $db"

pid=""
cleanup() {
	if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	db_sql "$admin" "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
}
trap cleanup EXIT

DATABASE_URL="$dburl" ACCOUNTS_DEV_MODE="${ACCOUNTS_DEV_MODE:-true}" ACCOUNTS_SHUTDOWN_DELAY="${ACCOUNTS_SHUTDOWN_DELAY:-0s}" \
	"$root/bin/accounts" serve -addr 127.0.0.1:0 -migrate >"$log" 2>&1 &
pid=$!

addr=""
for _ in $(seq 1 300); do
	addr="$(sed -n 's/.*"msg":"listening","addr":"\([^"]*\)".*/\1/p' "$log" | head -1)"
	[ -n "$addr" ] && break
	kill -0 "$pid" 2>/dev/null || { echo "with-server: the server exited:" >&2; cat "$log" >&2; exit 1; }
	sleep 0.1
done
[ -n "$addr" ] || { echo "with-server: the server did not start:" >&2; cat "$log" >&2; exit 1; }

export ACCOUNTS_URL="http://$addr"
echo "with-server: accounts at $ACCOUNTS_URL (log: $log)" >&2
set +e
"$@"
status=$?
set -e
if [ "$status" -ne 0 ]; then
	echo "with-server: '$*' failed ($status); the server's log:" >&2
	tail -n 50 "$log" >&2
fi
exit "$status"
