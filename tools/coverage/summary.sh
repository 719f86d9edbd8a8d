#!/usr/bin/env bash
# summary.sh PROFILE [MIN]: statement coverage per package from a Go cover
# profile that `go test -coverpkg` merged across packages (a block counts as
# covered when any test binary ran it). Prints one line a package, and names
# every package under MIN percent (default 80) at the end; never fails itself.
set -euo pipefail
profile="${1:?usage: summary.sh PROFILE [MIN]}"
min="${2:-80}"
awk -v min="$min" '
	NR == 1 && /^mode:/ { next }
	{
		# github.com/x/y/pkg/file.go:10.2,12.3 4 1
		split($1, loc, ":"); file = loc[1]
		pkg = file; sub(/\/[^\/]*$/, "", pkg)
		key = $1
		stmts[key] = $2; pkgof[key] = pkg
		if ($3 > 0) hit[key] = 1
	}
	END {
		for (k in stmts) { total[pkgof[k]] += stmts[k]; if (k in hit) covered[pkgof[k]] += stmts[k] }
		n = 0
		for (p in total) names[++n] = p
		# insertion sort: awk has no portable sort
		for (i = 2; i <= n; i++) { v = names[i]; for (j = i - 1; j > 0 && names[j] > v; j--) names[j + 1] = names[j]; names[j + 1] = v }
		under = ""
		for (i = 1; i <= n; i++) {
			p = names[i]; pct = 100 * covered[p] / total[p]
			printf "coverage: %5.1f%%  %s\n", pct, p
			if (pct < min) under = under " " p
		}
		if (under != "") printf "coverage: under %d%%:%s\n", min, under
		else printf "coverage: every package is at %d%% or more\n", min
	}' "$profile"
