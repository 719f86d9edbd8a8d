#!/usr/bin/env bash
# Proves that every error rule of spectral.yaml bites, and only where it should:
#   - testdata/good.yaml passes (exit 0, no errors);
#   - each testdata/bad/RULE[--VARIANT].yaml is rejected with an error from RULE
#     and from no other rule (so each fixture breaks exactly what its name says);
#   - every error rule in spectral.yaml has at least one bad fixture.
# One Spectral run covers all bad fixtures (about 2 s each run on this machine).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lint="$here/lint-spec.sh"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

status=0
if "$lint" "$here/testdata/good.yaml" >"$tmp/good.out" 2>&1; then
	echo "ok   testdata/good.yaml passes"
else
	echo "FAIL testdata/good.yaml must pass, but the linter rejected it:"
	cat "$tmp/good.out"
	status=1
fi

bad=("$here"/testdata/bad/*.yaml)
rc=0
"$lint" "${bad[@]}" --format json --quiet --output "$tmp/bad.json" >"$tmp/bad.out" 2>&1 || rc=$?
if [ "$rc" -eq 0 ]; then
	echo "FAIL the linter exited 0 on the bad fixtures"
	status=1
fi
if [ ! -s "$tmp/bad.json" ]; then
	echo "FAIL the linter wrote no results for the bad fixtures (exit $rc):"
	cat "$tmp/bad.out"
	exit 1
fi

node - "$here" "$tmp/bad.json" "${bad[@]}" <<'JS' || status=1
const [here, resultsFile, ...files] = process.argv.slice(2);
const fs = require("fs"), path = require("path");
const { parse } = require(path.join(here, "node_modules/@stoplight/yaml"));
const results = JSON.parse(fs.readFileSync(resultsFile, "utf8"));
const ERROR = 0;
let failed = false;
const covered = new Set();
for (const file of files) {
  const name = path.basename(file, ".yaml");
  const rule = name.split("--")[0];
  covered.add(rule);
  const errors = results.filter(r => path.resolve(r.source) === path.resolve(file) && r.severity === ERROR);
  const mine = errors.filter(r => r.code === rule);
  const others = [...new Set(errors.filter(r => r.code !== rule).map(r => r.code))];
  if (mine.length === 0) {
    console.log(`FAIL testdata/bad/${name}.yaml: no error from ${rule}`);
    failed = true;
  } else if (others.length > 0) {
    console.log(`FAIL testdata/bad/${name}.yaml: also breaks ${others.join(", ")}; a fixture must break only ${rule}`);
    failed = true;
  } else {
    console.log(`ok   testdata/bad/${name}.yaml rejected by ${rule}`);
  }
}
const ruleset = parse(fs.readFileSync(path.join(here, "spectral.yaml"), "utf8"));
for (const [rule, def] of Object.entries(ruleset.rules || {})) {
  const severity = typeof def === "string" ? def : def && def.severity;
  if (severity === "error" && !covered.has(rule)) {
    console.log(`FAIL rule ${rule} has no fixture testdata/bad/${rule}.yaml`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
JS

if [ "$status" -eq 0 ]; then
	echo "lint selftest: every rule bites"
else
	echo "lint selftest: FAILED"
fi
exit "$status"
