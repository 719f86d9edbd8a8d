#!/usr/bin/env bash
# Proves the offline manifest check bites: each testdata/k8s/bad-*.yaml must be
# rejected by lint-k8s.sh, and deploy/k8s must pass.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
status=0
for f in "$here"/testdata/k8s/bad-*.yaml; do
	name="testdata/k8s/$(basename "$f")"
	if out="$("$here/lint-k8s.sh" "$f" 2>&1)"; then
		echo "FAIL $name must be rejected, but passed:"; echo "$out"; status=1
	elif ! grep -q "is invalid" <<<"$out"; then
		echo "FAIL $name: rejected, but not as an invalid resource:"; echo "$out"; status=1
	else
		echo "ok   $name rejected"
	fi
done
if out="$("$here/lint-k8s.sh" 2>&1)"; then
	echo "ok   deploy/k8s passes"
else
	echo "FAIL deploy/k8s must pass:"; echo "$out"; status=1
fi
if [ "$status" -eq 0 ]; then echo "k8s selftest: every fixture as expected"; else echo "k8s selftest: FAILED"; fi
exit "$status"
