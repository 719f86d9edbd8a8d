#!/usr/bin/env bash
# Lints the OpenAPI contract with Spectral and the ruleset beside this script.
#   tools/lint/lint-spec.sh                 lints openapi.yaml
#   tools/lint/lint-spec.sh FILE... [FLAGS] lints those files (extra spectral flags pass through)
# Exits non-zero on any error-severity result; warnings are printed only.
# Needs `npm ci --prefix tools/lint` first (make lint-spec does it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
spectral="$here/node_modules/.bin/spectral"
if [ ! -x "$spectral" ]; then
	echo "lint-spec: $spectral is missing; run: npm ci --prefix tools/lint --ignore-scripts" >&2
	exit 2
fi
[ $# -gt 0 ] || set -- "$here/../../openapi.yaml"
exec "$spectral" lint --ruleset "$here/spectral.yaml" --fail-severity error "$@"
