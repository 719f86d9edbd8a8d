# dblib.sh: shell helpers for the scripts that make throwaway databases on the
# test cluster. Source it: `. "$root/tools/dblib.sh"`.

# db_url ADMIN_URL NAME: ADMIN_URL with its database replaced by NAME (the
# query string, such as the socket host, is kept).
db_url() {
	printf '%s' "$1" | sed -E "s|^(postgres(ql)?://[^/]*)/[^?]*|\1/$2|"
}

# db_sql ADMIN_URL SQL...: run each SQL statement as ADMIN_URL, quietly.
db_sql() {
	local admin="$1"
	shift
	local args=()
	for stmt in "$@"; do args+=(-c "$stmt"); done
	PGOPTIONS="-c client_min_messages=warning" psql -qX "$admin" "${args[@]}" >&2
}
