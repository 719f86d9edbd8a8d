#!/usr/bin/env bash
# devmail.sh: start, or reuse, a project-local Mailpit (the mail catcher behind
# `make run`) and print the ACCOUNTS_SMTP_URL that reaches it.
#
#   tools/devmail.sh start   start it (built with `go tool` from tools/go.mod)
#   tools/devmail.sh stop    stop it
#   tools/devmail.sh ui      print the address of its web UI
#
# It listens on 127.0.0.1 only: SMTP on $DEVMAIL_SMTP_PORT (1025), the web UI on
# $DEVMAIL_UI_PORT (8025). Mail is kept in .data/mail between runs. Everything
# printed on stdout is the URL; progress goes to stderr.
set -euo pipefail

die() { echo "devmail: $*" >&2; exit 1; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="$root/.data/mail"
smtp_port="${DEVMAIL_SMTP_PORT:-1025}"
ui_port="${DEVMAIL_UI_PORT:-8025}"
pidfile="$base/mailpit.pid"

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

start() {
	mkdir -p "$base"
	if ! running; then
		echo "devmail: building Mailpit (the first time takes a few minutes)" >&2
		local bin
		bin="$(cd "$root" && go tool -modfile=tools/go.mod -n mailpit)" || die "go tool could not build mailpit"
		echo "devmail: starting Mailpit" >&2
		nohup "$bin" --smtp "127.0.0.1:$smtp_port" --listen "127.0.0.1:$ui_port" \
			--database "$base/mailpit.db" --smtp-disable-rdns --disable-version-check --quiet \
			>"$base/mailpit.log" 2>&1 &
		echo $! >"$pidfile"
		for _ in $(seq 1 100); do
			if curl -fsS "http://127.0.0.1:$ui_port/readyz" >/dev/null 2>&1; then break; fi
			running || die "Mailpit exited; see $base/mailpit.log"
			sleep 0.1
		done
		curl -fsS "http://127.0.0.1:$ui_port/readyz" >/dev/null 2>&1 || die "Mailpit did not answer; see $base/mailpit.log"
	fi
	echo "smtp://127.0.0.1:$smtp_port?tls=none"
}

stop() {
	if running; then kill "$(cat "$pidfile")"; fi
	rm -f "$pidfile"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
ui) echo "http://127.0.0.1:$ui_port" ;;
*) die "usage: devmail.sh start|stop|ui" ;;
esac
