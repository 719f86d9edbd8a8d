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
#
# With WITH_MAIL=true, and ACCOUNTS_SMTP_URL not set already, it also starts a
# Mailpit (built with `go tool` from tools/go.mod; the first build takes a few
# minutes) on free loopback ports with a data dir of its own, points the server
# at it (ACCOUNTS_SMTP_URL, and ACCOUNTS_MAIL_FROM unless set), gives CMD
# MAILPIT_URL, the base URL of its HTTP API, and stops it at the end.
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
mail_pid=""
mail_dir=""
cleanup() {
	if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	if [ -n "$mail_pid" ]; then kill -TERM "$mail_pid" 2>/dev/null || true; wait "$mail_pid" 2>/dev/null || true; fi
	if [ -n "$mail_dir" ]; then rm -rf "$mail_dir"; fi
	db_sql "$admin" "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
}
trap cleanup EXIT

# free_port prints a loopback TCP port that nothing listens on now. Another
# process may still take it before it is used: start_mailpit retries.
free_port() {
	local p
	for _ in $(seq 1 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (: <"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
	done
	echo "with-server: no free port found" >&2
	return 1
}

# start_mailpit starts Mailpit on free ports and exports what the server and
# CMD need to reach it.
start_mailpit() {
	local bin smtp_port ui_port
	echo "with-server: building Mailpit (the first time takes a few minutes)" >&2
	bin="$(cd "$root" && go tool -modfile=tools/go.mod -n mailpit)" || { echo "with-server: go tool could not build mailpit" >&2; return 1; }
	mail_dir="$(mktemp -d -t accounts-mailpit.XXXXXX)"
	for _ in 1 2 3 4 5; do
		smtp_port="$(free_port)" && ui_port="$(free_port)" || return 1
		[ "$smtp_port" != "$ui_port" ] || continue
		"$bin" --smtp "127.0.0.1:$smtp_port" --listen "127.0.0.1:$ui_port" --database "$mail_dir/mailpit.db" \
			--max 0 --quiet --smtp-disable-rdns --disable-version-check >"$mail_dir/mailpit.log" 2>&1 &
		mail_pid=$!
		for _ in $(seq 1 200); do
			kill -0 "$mail_pid" 2>/dev/null || break
			if curl -fsS "http://127.0.0.1:$ui_port/readyz" >/dev/null 2>&1 && (: <"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null; then
				export ACCOUNTS_SMTP_URL="smtp://127.0.0.1:$smtp_port?tls=none"
				export ACCOUNTS_MAIL_FROM="${ACCOUNTS_MAIL_FROM:-Accounts <no-reply@example.com>}"
				export MAILPIT_URL="http://127.0.0.1:$ui_port"
				echo "with-server: Mailpit at $MAILPIT_URL (SMTP 127.0.0.1:$smtp_port)" >&2
				return 0
			fi
			sleep 0.1
		done
		# A port taken meanwhile, or too slow: try again on other ports.
		kill -TERM "$mail_pid" 2>/dev/null || true; wait "$mail_pid" 2>/dev/null || true
		mail_pid=""
	done
	echo "with-server: Mailpit did not start:" >&2
	cat "$mail_dir/mailpit.log" >&2
	return 1
}

if [ "${WITH_MAIL:-}" = "true" ] && [ -z "${ACCOUNTS_SMTP_URL:-}" ]; then
	start_mailpit
fi

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
