#!/usr/bin/env bash
# Proves the offline manifest check bites: each testdata/k8s/bad-*.yaml must be
# rejected by lint-k8s.sh as an invalid resource, each testdata/k8s/bad-*/
# kustomization for its own reason, and deploy/k8s must pass.
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
# Directories are kustomizations: each must be rejected for its own reason.
declare -A reason=(
	[bad-unlisted]="is in no kustomization"
	[bad-render]="stdin - Service fixture is invalid"
)
for d in "$here"/testdata/k8s/bad-*/; do
	name="testdata/k8s/$(basename "$d")"
	want="${reason[$(basename "$d")]:-}"
	if [ -z "$want" ]; then
		echo "FAIL $name: no expected reason in selftest-k8s.sh"; status=1
	elif out="$("$here/lint-k8s.sh" "$d" 2>&1)"; then
		echo "FAIL $name must be rejected, but passed:"; echo "$out"; status=1
	elif ! grep -qF "$want" <<<"$out"; then
		echo "FAIL $name: rejected, but not because it $want:"; echo "$out"; status=1
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
