#!/usr/bin/env bash
# Fails when openapi.yaml breaks the contract published at a git ref.
#   tools/specdiff/spec-diff.sh BASE [SPEC] [oasdiff flags...]
#   tools/specdiff/spec-diff.sh --base-file FILE [SPEC] [oasdiff flags...]
# BASE is any git ref (origin/main, v1.2.0, HEAD~1): its openapi.yaml is taken with
# `git show`. SPEC defaults to the working tree's openapi.yaml.
# Exit 0: compatible; 1: breaking changes (listed); 2: bad usage or an unknown
# ref; 102 and others: oasdiff could not load a spec.
#
# severity-levels.txt raises to ERR three changes oasdiff rates INFO by default,
# because our callers use generated SDKs (the format allows no comments there):
#   response-optional-property-removed  clients, and the TS types, read the field
#   api-operation-id-removed            the SDKs name their methods after operationIds
#   optional-response-header-removed    e.g. Link, which pagination follows
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
usage() {
	echo "usage: $0 BASE|--base-file FILE [SPEC] [oasdiff flags...]   (make spec-diff BASE=origin/main)" >&2
	exit 2
}

if [ $# -lt 1 ] || [ -z "$1" ]; then usage; fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if [ "$1" = "--base-file" ]; then
	[ $# -ge 2 ] || usage
	base_file="$2"; label="$2"; shift 2
	[ -f "$base_file" ] || { echo "spec-diff: no such file: $base_file" >&2; exit 2; }
else
	base="$1"; shift
	if ! git -C "$root" rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
		echo "spec-diff: $base is not a commit here (for a remote branch, git fetch it first)" >&2
		exit 2
	fi
	if ! git -C "$root" cat-file -e "$base:openapi.yaml" 2>/dev/null; then
		echo "spec-diff: $base has no openapi.yaml; nothing to compare"
		exit 0
	fi
	base_file="$tmp/base-openapi.yaml"; label="$base:openapi.yaml"
	git -C "$root" show "$base:openapi.yaml" >"$base_file"
fi
spec="$root/openapi.yaml"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then spec="$1"; shift; fi

echo "spec-diff: $spec against $label"
exec go tool -modfile="$root/tools/go.mod" oasdiff breaking "$base_file" "$spec" \
	--fail-on ERR \
	--severity-levels "$here/severity-levels.txt" \
	--allow-external-refs=false \
	--color never \
	"$@"
