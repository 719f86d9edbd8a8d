#!/usr/bin/env bash
# Proves that spec-diff.sh bites, with the flags and severity levels it uses:
#   - testdata/breaking--*.yaml against testdata/base.yaml must exit 1 and name the
#     oasdiff check given on the fixture's first line, `# Breaking (CHECK-ID): …`;
#   - testdata/ok--*.yaml against testdata/base.yaml must exit 0;
#   - the git path: openapi.yaml at HEAD against itself must exit 0.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
diff="$here/spec-diff.sh"
base="$here/testdata/base.yaml"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "FAIL $*"; status=1; }

n=0
for f in "$here"/testdata/breaking--*.yaml; do
	name="testdata/$(basename "$f")"
	want="$(sed -n '1s/^# Breaking (\([a-z0-9-]*\)).*/\1/p' "$f")"
	[ -n "$want" ] || { fail "$name: first line must be '# Breaking (CHECK-ID): …'"; continue; }
	rc=0; "$diff" --base-file "$base" "$f" >"$tmp/out" 2>&1 || rc=$?
	if [ "$rc" -ne 1 ]; then
		fail "$name: want exit 1 (breaking), got $rc:"; cat "$tmp/out"
	elif ! grep -q "\[$want\]" "$tmp/out"; then
		fail "$name: breaking, but not for $want:"; cat "$tmp/out"
	else
		echo "ok   $name is breaking ($want)"
	fi
	n=$((n + 1))
done
for f in "$here"/testdata/ok--*.yaml; do
	name="testdata/$(basename "$f")"
	rc=0; "$diff" --base-file "$base" "$f" >"$tmp/out" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$name: want exit 0 (compatible), got $rc:"; cat "$tmp/out"
	else
		echo "ok   $name is compatible"
	fi
	n=$((n + 1))
done

git -C "$root" show HEAD:openapi.yaml >"$tmp/head.yaml"
rc=0; "$diff" HEAD "$tmp/head.yaml" >"$tmp/out" 2>&1 || rc=$?
if [ "$rc" -ne 0 ]; then
	fail "spec-diff HEAD against HEAD's own openapi.yaml: want exit 0, got $rc:"; cat "$tmp/out"
else
	echo "ok   spec-diff HEAD passes on HEAD's own openapi.yaml"
fi
n=$((n + 1))

if [ "$status" -eq 0 ]; then echo "spec-diff selftest: all $n cases as expected"; else echo "spec-diff selftest: FAILED"; fi
exit "$status"
