#!/usr/bin/env bash
# vetdb.sh ADMIN_URL: (re)create the database that `sqlc vet` prepares every query
# against, migrated to the current schema, and print its URL.
set -euo pipefail
admin="$1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name=accounts_sqlc_vet
PGOPTIONS="-c client_min_messages=warning" psql -qX "$admin" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >&2
url="$(printf '%s' "$admin" | sed -E "s|^(postgres(ql)?://[^/]*)/[^?]*|\1/$name|")"
(cd "$root" && DATABASE_URL="$url" go run ./cmd/accounts migrate up >&2)
echo "$url"
