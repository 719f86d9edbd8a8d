#!/usr/bin/env bash
# devdb.sh: start, or reuse, a project-local PostgreSQL cluster and print its URL.
#
#   tools/devdb.sh start run    the cluster behind `make run` (.data/run, durable)
#   tools/devdb.sh start test   the cluster behind `make test` (.data/test, fsync off)
#   tools/devdb.sh stop NAME    stop one of them
#   tools/devdb.sh url NAME     print the URL of a running cluster
#
# The cluster listens only on a unix socket in its own directory, so it never
# collides with a system server. As root, the server runs as the `postgres` user,
# because initdb and postgres refuse to run as root. Everything it prints on
# stdout is the URL; progress goes to stderr.
set -euo pipefail

die() { echo "devdb: $*" >&2; exit 1; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cmd="${1:-}"; name="${2:-}"
case "$name" in run|test) ;; *) die "usage: devdb.sh start|stop|url run|test" ;; esac
base="$root/.data/$name"

find_bindir() {
	local d
	if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		dirname "$(readlink -f "$(command -v initdb)")"; return
	fi
	if command -v pg_config >/dev/null 2>&1; then
		d="$(pg_config --bindir 2>/dev/null || true)"
		if [ -x "$d/initdb" ]; then echo "$d"; return; fi
	fi
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) \
		/opt/homebrew/opt/postgresql@*/bin /usr/local/opt/postgresql@*/bin \
		/opt/homebrew/bin /usr/local/bin /usr/pgsql-*/bin; do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return; fi
	done
	die "no PostgreSQL server binaries (initdb, pg_ctl) found on PATH, in \`pg_config --bindir\`,
in /usr/lib/postgresql/*/bin or in Homebrew's paths.
Install them (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql@16),
or set DATABASE_URL (TEST_DATABASE_URL for tests) to a server you already have."
}

# as_owner runs a command as the cluster's owner: the postgres user when we are
# root, ourselves otherwise.
as_owner() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# prepare_dirs makes $base usable by the owner. When we are root and the postgres
# user cannot reach the checkout (a home directory of mode 700, say), the cluster
# lives under /var/tmp and $base is a link to it.
prepare_dirs() {
	mkdir -p "$root/.data"
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to own the cluster (useradd -r postgres)"
		if [ ! -e "$base" ]; then
			if runuser -u postgres -- test -x "$root/.data"; then
				mkdir -p "$base"
			else
				local alt="/var/tmp/accounts-devdb-$(printf '%s' "$base" | sha256sum | cut -c1-12)"
				mkdir -p "$alt"; ln -s "$alt" "$base"
			fi
		fi
		chown postgres: "$(readlink -f "$base")"
	else
		mkdir -p "$base"
	fi
	# The data directory inside is 0700 (initdb sees to it); the socket directory
	# beside it must be reachable by any local user that connects.
	chmod 755 "$(readlink -f "$base")"
}

sockdir() {
	local d; d="$(readlink -f "$base")/sock"
	# A unix socket path must fit in 107 bytes, ".s.PGSQL.5432" included.
	if [ "${#d}" -gt 90 ]; then
		d="/tmp/accounts-devdb-$(printf '%s' "$base" | sha256sum | cut -c1-12)"
	fi
	echo "$d"
}

url() { echo "postgres:///accounts?host=$(sockdir)&user=accounts&sslmode=disable"; }

is_running() {
	local bindir="$1"
	[ -f "$base/data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$base/data" status >/dev/null 2>&1
}

start() {
	local bindir; bindir="$(find_bindir)"
	prepare_dirs
	local sock; sock="$(sockdir)"
	if [ ! -f "$base/data/PG_VERSION" ]; then
		echo "devdb: creating the $name cluster in $base with $bindir" >&2
		as_owner "$bindir/initdb" -D "$base/data" -U accounts --auth=trust \
			--encoding=UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1 ||
			as_owner "$bindir/initdb" -D "$base/data" -U accounts --auth=trust \
				--encoding=UTF8 --no-locale >"$base/initdb.log" 2>&1 ||
			die "initdb failed; see $base/initdb.log"
	fi
	if ! is_running "$bindir"; then
		mkdir -p "$sock"
		if [ "$(id -u)" = 0 ]; then chown postgres: "$sock"; fi
		chmod 755 "$sock"
		local opts="-c listen_addresses= -c unix_socket_directories=$sock -c max_connections=200"
		if [ "$name" = test ]; then
			# Throwaway data: durability is not worth its cost here.
			opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
		fi
		echo "devdb: starting the $name cluster" >&2
		as_owner "$bindir/pg_ctl" -D "$base/data" -l "$base/server.log" -o "$opts" -w -t 60 start >&2 ||
			die "the server did not start; see $base/server.log"
	fi
	local psql="$bindir/psql"
	[ -x "$psql" ] || psql="$(command -v psql)" || die "psql not found"
	if ! "$psql" -qAtX "postgres:///postgres?host=$sock&user=accounts" \
		-c "SELECT 1 FROM pg_database WHERE datname = 'accounts'" | grep -q 1; then
		"$psql" -qX "postgres:///postgres?host=$sock&user=accounts" -c "CREATE DATABASE accounts" >&2
	fi
	url
}

stop() {
	local bindir; bindir="$(find_bindir)"
	if is_running "$bindir"; then as_owner "$bindir/pg_ctl" -D "$base/data" -m fast -w stop >&2; fi
}

case "$cmd" in
start) start ;;
stop) stop ;;
url) url ;;
*) die "usage: devdb.sh start|stop|url run|test" ;;
esac
