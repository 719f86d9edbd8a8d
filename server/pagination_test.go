package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/gen/client"
	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/store"
	"github.com/meridianhq/accounts/server/testdb"
)

// seedUsers inserts n users directly, three to a created_at so that ties are
// broken by id, with a hash no one can log in with.
func seedUsers(t testing.TB, e *servertest.Env, n int, prefix string) {
	t.Helper()
	mustExec(t, e, `INSERT INTO users (id, email, email_key, name, password_hash, created_at)
		SELECT gen_random_uuid(), $2 || i || '@example.com', lower($2 || i || '@example.com'), 'Seeded ' || i, 'x',
		       now() - (i / 3) * interval '1 millisecond'
		FROM generate_series(1, $1) AS i`, n, prefix)
}

// page fetches one page of GET /users?query.
func page(t testing.TB, e *servertest.Env, token, query string) (client.UserList, *http.Response, []byte) {
	t.Helper()
	res, b := e.Call(t, http.MethodGet, "/api/v1/users?"+query, token, "")
	var l client.UserList
	if res.StatusCode == 200 {
		if err := json.Unmarshal(b, &l); err != nil {
			t.Fatal(err)
		}
	}
	return l, res, b
}

// walk follows next_cursor from query to the end, calling between after each
// page, and returns every id seen in order.
func walk(t testing.TB, e *servertest.Env, token, query string, between func(page int)) []uuid.UUID {
	t.Helper()
	var ids []uuid.UUID
	q := query
	for i := 0; ; i++ {
		l, res, b := page(t, e, token, q)
		if res.StatusCode != 200 {
			t.Fatalf("page %d: %d %s", i, res.StatusCode, b)
		}
		for _, u := range l.Items {
			ids = append(ids, u.Id)
		}
		if l.NextCursor == nil {
			if res.Header.Get("Link") != "" {
				t.Fatalf("the last page has a Link header")
			}
			return ids
		}
		link := res.Header.Get("Link")
		if !strings.HasSuffix(link, `>; rel="next"`) || !strings.Contains(link, "cursor="+url.QueryEscape(*l.NextCursor)) {
			t.Fatalf("page %d: Link %q does not lead to next_cursor", i, link)
		}
		if between != nil {
			between(i)
		}
		// Follow the Link header itself, as a client of RFC 8288 would.
		q = strings.TrimSuffix(strings.TrimPrefix(link, "</api/v1/users?"), `>; rel="next"`)
	}
}

func expectedOrder(t *testing.T, e *servertest.Env, order string) []uuid.UUID {
	t.Helper()
	return expectedOrderWhere(t, e, "true", order)
}

// expectedOrderWhere lists the live users matching where, in order.
func expectedOrderWhere(t *testing.T, e *servertest.Env, where, order string) []uuid.UUID {
	t.Helper()
	rows, err := e.Pool.Query(context.Background(), "SELECT id FROM users WHERE deleted_at IS NULL AND "+where+" ORDER BY "+order)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestPaginationWalk(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	admin := e.NewAdmin(t)
	seedUsers(t, e, 1000, "walk")
	tests := []struct{ name, query, where, order string }{
		{"NewestFirst", "limit=7", "true", "created_at DESC, id DESC"},
		{"OldestFirst", "limit=7&sort=created_at", "true", "created_at ASC, id ASC"},
		{"PrefixNewestFirst", "limit=7&q=WALK1", "email LIKE 'walk1%'", "created_at DESC, id DESC"},
		{"PrefixOldestFirst", "limit=7&q=walk1&sort=created_at", "email LIKE 'walk1%'", "created_at ASC, id ASC"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := walk(t, e, admin.Tokens.AccessToken, tc.query, nil)
			want := expectedOrderWhere(t, e, tc.where, tc.order)
			if len(got) != len(want) {
				t.Fatalf("walked %d users, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("position %d: %s, want %s", i, got[i], want[i])
				}
			}
		})
	}
}

func TestPaginationWithInsertsBetweenPages(t *testing.T) {
	t.Parallel()
	for _, sort := range []string{"-created_at", "created_at"} {
		t.Run(sort, func(t *testing.T) {
			t.Parallel()
			e := servertest.New(t)
			admin := e.NewAdmin(t)
			seedUsers(t, e, 100, "before")
			before := expectedOrder(t, e, "created_at, id")
			got := walk(t, e, admin.Tokens.AccessToken, "limit=7&sort="+sort, func(page int) {
				seedUsers(t, e, 3, "during"+string(rune('a'+page%26))+uuid.NewString()[:4]+"-")
			})
			seen := map[uuid.UUID]int{}
			for _, id := range got {
				seen[id]++
				if seen[id] > 1 {
					t.Fatalf("user %s repeated", id)
				}
			}
			for _, id := range before {
				if seen[id] != 1 {
					t.Fatalf("user %s, present before the walk, was skipped", id)
				}
			}
		})
	}
}

func TestPaginationCursorChecks(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	admin := e.NewAdmin(t)
	seedUsers(t, e, 30, "cur")
	tok := admin.Tokens.AccessToken
	l, _, _ := page(t, e, tok, "limit=5&role=user")
	if l.NextCursor == nil {
		t.Fatal("no cursor")
	}
	c := *l.NextCursor
	tampered := []byte(c)
	tampered[10] ^= 1
	tests := []struct {
		name, query string
		status      int
		code        string
	}{
		{"SameFilters_200", "limit=5&role=user&cursor=" + c, 200, ""},
		{"OtherLimit_200", "limit=9&role=user&cursor=" + c, 200, ""},
		{"Tampered_400", "limit=5&role=user&cursor=" + string(tampered), 400, string(api.CodeInvalidCursor)},
		{"OtherFilter_400", "limit=5&role=admin&cursor=" + c, 400, string(api.CodeInvalidCursor)},
		{"NoFilter_400", "limit=5&cursor=" + c, 400, string(api.CodeInvalidCursor)},
		{"OtherSort_400", "limit=5&role=user&sort=created_at&cursor=" + c, 400, string(api.CodeInvalidCursor)},
		{"Deleted_400", "limit=5&role=user&deleted=true&cursor=" + c, 400, string(api.CodeInvalidCursor)},
		{"Disabled_400", "limit=5&role=user&disabled=false&cursor=" + c, 400, string(api.CodeInvalidCursor)},
		{"BadDisabled_400", "disabled=yes", 400, string(api.CodeValidationFailed)},
		{"Garbage_400", "cursor=garbage", 400, string(api.CodeInvalidCursor)},
		{"LimitZero_400", "limit=0", 400, string(api.CodeValidationFailed)},
		{"LimitTooBig_400", "limit=101", 400, string(api.CodeValidationFailed)},
		{"LimitNotNumber_400", "limit=ten", 400, string(api.CodeValidationFailed)},
		{"BadRole_400", "role=owner", 400, string(api.CodeValidationFailed)},
		{"BadSort_400", "sort=name", 400, string(api.CodeValidationFailed)},
		{"BadEmail_400", "email=" + url.QueryEscape("Bob <bob@example.com>"), 400, string(api.CodeValidationFailed)},
		{"EmptyQ_400", "q=", 400, string(api.CodeValidationFailed)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, res, b := page(t, e, tok, tc.query)
			if res.StatusCode != tc.status {
				t.Fatalf("got %d %s", res.StatusCode, b)
			}
			if tc.code != "" && servertest.ProblemOf(t, b).Code != tc.code {
				t.Fatalf("got %s", b)
			}
		})
	}
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	e := servertest.New(t)
	admin := e.NewAdmin(t)
	tok := admin.Tokens.AccessToken
	ada := e.Register(t, "Ada.Lovelace@Example.com", "Countess Ada", servertest.StrongPassword)
	e.Register(t, "grace@example.com", "Grace Hopper", servertest.StrongPassword)
	e.Register(t, "percent%sign@example.com", "Odd_Name", servertest.StrongPassword)
	e.Register(t, "adamant@example.com", "Zed", servertest.StrongPassword)
	gone := e.Register(t, "gone@example.com", "Gone Away", servertest.StrongPassword)
	e.DeleteUser(t, gone.Id)
	emails := func(t *testing.T, query string) string {
		t.Helper()
		l, res, b := page(t, e, tok, query)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", query, res.StatusCode, b)
		}
		var out []string
		for _, u := range l.Items {
			out = append(out, u.Email)
		}
		return strings.Join(out, ",")
	}
	tests := []struct{ query, want string }{
		{"email=" + url.QueryEscape("ADA.lovelace@example.COM"), ada.Email},
		{"email=" + url.QueryEscape(" ada.lovelace@example.com "), ada.Email},
		{"q=ada&sort=created_at", "Ada.Lovelace@Example.com,adamant@example.com"},
		{"q=GRACE", "grace@example.com"},
		{"q=countess", ada.Email},
		{"q=" + url.QueryEscape("%"), ""},
		{"q=" + url.QueryEscape("percent%"), "percent%sign@example.com"},
		{"q=" + url.QueryEscape("odd_"), "percent%sign@example.com"},
		{"q=" + url.QueryEscape("o_d"), ""},
		{"role=admin", admin.Email},
		{"deleted=true", "gone@example.com"},
		{"deleted=true&q=ada", ""},
		{"email=gone@example.com", ""},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			if got := emails(t, tc.query); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// queryCapture records the SQL and arguments of the listing queries.
// queryCapture records the queries whose sqlc name starts with name.
type queryCapture struct {
	name    string
	mu      sync.Mutex
	queries []capturedQuery
}

type capturedQuery struct {
	sql  string
	args []any
}

func (c *queryCapture) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.Contains(d.SQL, "-- name: "+c.name) {
		c.mu.Lock()
		c.queries = append(c.queries, capturedQuery{d.SQL, d.Args})
		c.mu.Unlock()
	}
	return ctx
}

func (c *queryCapture) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TestEveryListingUsesItsIndex sends every documented filter combination
// through the API, captures the exact query and arguments, and checks the plan
// of each with realistic selectivity (20,000 users, a few admins, a few deleted,
// analyzed): no sequential scan, and the filter is served by an index meant for
// it, not by walking the created_at index and filtering every row.
func TestEveryListingUsesItsIndex(t *testing.T) {
	t.Parallel()
	e, capture := capturing(t, "ListUsers")
	admin := e.NewAdmin(t)
	seedUsers(t, e, 20000, "seed")
	mustExec(t, e, "UPDATE users SET role = 'admin' WHERE email LIKE 'seed_@example.com'")
	mustExec(t, e, "UPDATE users SET deleted_at = now() WHERE email LIKE 'seed__0@example.com'")
	mustExec(t, e, "UPDATE users SET disabled_at = now() WHERE email LIKE 'seed__5@example.com' OR email LIKE 'seed__0@example.com'")
	mustExec(t, e, "ANALYZE users")
	l, _, _ := page(t, e, admin.Tokens.AccessToken, "limit=2")
	cursor := url.QueryEscape(*l.NextCursor)
	const (
		live    = "users_live_created_idx"
		deleted = "users_deleted_created_idx"
		role    = "users_role_created_idx"
		prefix  = "users_email_prefix_idx"
		name    = "users_name_prefix_idx"
		email   = "users_email_key_live_key"
		anyKey  = "users_email_key_idx"
		off     = "users_disabled_created_idx"
	)
	tests := []planCase{
		{"", []string{live}},
		{"sort=created_at", []string{live}},
		{"limit=2&cursor=" + cursor, []string{live}},
		{"email=seed12345@example.com", []string{email, anyKey}},
		{"q=seed1234", []string{prefix}},
		{"q=seeded%201234", []string{name}},
		{"role=admin", []string{role}},
		{"deleted=true", []string{deleted}},
		{"role=admin&q=seed1", []string{role, prefix}},
		{"deleted=true&role=user", []string{deleted, role}},
		{"deleted=true&q=seed1234", []string{deleted, prefix}},
		{"deleted=true&email=seed10@example.com", []string{anyKey, deleted}},
		{"disabled=true", []string{off}},
		{"disabled=true&sort=created_at", []string{off}},
		{"disabled=false", []string{live}},
		{"disabled=true&role=user", []string{off}},
		{"disabled=true&role=admin", []string{off, role}},
		{"disabled=true&q=seed1", []string{off, prefix}},
		{"disabled=true&deleted=true", []string{deleted}},
		{"disabled=true&email=seed105@example.com", []string{email, anyKey}},
	}
	capture.mu.Lock()
	capture.queries = nil
	capture.mu.Unlock()
	for _, tc := range tests {
		if _, res, b := page(t, e, admin.Tokens.AccessToken, tc.query); res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", tc.query, res.StatusCode, b)
		}
	}
	checkPlans(t, e, capture, tests)
}

// capturing starts a service whose pool records the queries named name.
func capturing(t *testing.T, name string) (*servertest.Env, *queryCapture) {
	t.Helper()
	_, dbURL := testdb.NewPool(t)
	capture := &queryCapture{name: name}
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = capture
	store.Configure(cfg)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return servertest.New(t, servertest.OnDatabase(pool, dbURL)), capture
}

// checkPlans explains each captured query and wants no sequential scan and one
// of the indexes of its case.
func checkPlans(t *testing.T, e *servertest.Env, capture *queryCapture, cases []planCase) {
	t.Helper()
	capture.mu.Lock()
	captured := capture.queries
	capture.mu.Unlock()
	if len(captured) != len(cases) {
		t.Fatalf("captured %d listing queries, want %d", len(captured), len(cases))
	}
	for i, tc := range cases {
		plan := explain(t, e, captured[i])
		ok := false
		for _, idx := range tc.any {
			ok = ok || strings.Contains(plan, " on "+idx) || strings.Contains(plan, " using "+idx)
		}
		if strings.Contains(plan, "Seq Scan") || !ok {
			t.Errorf("%s: want one of %v, got:\n%s", tc.query, tc.any, plan)
		}
	}
}

// planCase is a listing query and the indexes that may serve it.
type planCase struct {
	query string
	any   []string // the plan uses one of these
}

// explain returns the plan of a captured query, with its arguments bound.
func explain(t testing.TB, e *servertest.Env, c capturedQuery) string {
	t.Helper()
	rows, err := e.Pool.Query(context.Background(), "EXPLAIN "+c.sql, c.args...)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
