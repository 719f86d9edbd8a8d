#!/usr/bin/env bash
# vetdb.sh ADMIN_URL: (re)create the database that `sqlc vet` prepares every query
# against, migrated to the current schema, and print its URL.
set -euo pipefail
admin="$1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/tools/dblib.sh"
name=accounts_sqlc_vet
db_sql "$admin" "DROP DATABASE IF EXISTS $name WITH (FORCE)" "CREATE DATABASE $name"
url="$(db_url "$admin" "$name")"
(cd "$root" && DATABASE_URL="$url" go run ./cmd/accounts migrate up >&2)
echo "$url"
