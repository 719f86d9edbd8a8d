package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/server/servertest"
)

// quietLogs keeps the access log's formatting cost in a benchmark without
// keeping its output.
func quietLogs(o *servertest.Options) {
	o.Logger = slog.New(slog.NewJSONHandler(io.Discard, nil))
}

// BenchmarkListUsersDepth seeds 1,000,000 users with SQL and times page 1 and a
// page 500,000 rows deep through the API. Keyset pagination should make them
// cost the same; the target is the deep page within 2× of page 1.
func BenchmarkListUsersDepth(b *testing.B) {
	e := servertest.New(b, quietLogs)
	admin := e.NewAdmin(b)
	start := time.Now()
	seedUsers(b, e, 1_000_000, "bench")
	mustExec(b, e, "UPDATE users SET role = 'admin' WHERE email LIKE 'bench1__@example.com'")
	mustExec(b, e, "UPDATE users SET deleted_at = now() WHERE email LIKE 'bench2___@example.com'")
	mustExec(b, e, "ANALYZE users")
	b.Logf("seeded 1,000,000 users in %s", time.Since(start).Round(time.Millisecond))
	tok := admin.Tokens.AccessToken

	// Walk to depth 500,000 through the API itself, 100 rows a page.
	start = time.Now()
	query := "limit=100"
	for depth := 0; depth < 500_000; depth += 100 {
		l, res, body := page(b, e, tok, query)
		if res.StatusCode != 200 || l.NextCursor == nil {
			b.Fatalf("depth %d: %d %s", depth, res.StatusCode, body)
		}
		query = "limit=100&cursor=" + url.QueryEscape(*l.NextCursor)
	}
	b.Logf("walked 5,000 pages of 100 in %s", time.Since(start).Round(time.Millisecond))
	deep := strings.Replace(query, "limit=100", "limit=20", 1)

	for _, tc := range []struct{ name, query string }{
		{"Page1", "limit=20"},
		{"Depth500000", deep},
		{"PrefixPage1", "limit=20&q=bench1234"},
		{"RareRolePage1", "limit=20&role=admin"},
		{"EmailExact", "limit=20&email=bench777777@example.com"},
		{"DeletedPage1", "limit=20&deleted=true"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if l, res, body := page(b, e, tok, tc.query); res.StatusCode != 200 || len(l.Items) == 0 {
					b.Fatalf("%d %s", res.StatusCode, body)
				}
			}
		})
	}
}

// BenchmarkGetUser compares an authenticated GET /api/v1/users/{id} through the
// whole service (routing, validation, bearer check, authorization, access log)
// with a bare net/http + pgx handler doing the same SELECT. The target is at
// least 0.85× the bare handler's throughput.
func BenchmarkGetUser(b *testing.B) {
	e := servertest.New(b, quietLogs)
	u := e.NewUser(b)
	path := "/api/v1/users/" + u.Id.String()
	bare := httptest.NewServer(bareGetUser(e.Pool))
	b.Cleanup(bare.Close)
	full := httptest.NewServer(e.Server.Handler()) // without the test's response checks
	b.Cleanup(full.Close)
	for _, tc := range []struct{ name, base, token string }{
		{"BareNetHTTPPgx", bare.URL, ""},
		{"Service", full.URL, u.Tokens.AccessToken},
	} {
		b.Run(tc.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodGet, tc.base+path, nil)
					if tc.token != "" {
						req.Header.Set("Authorization", "Bearer "+tc.token)
					}
					res, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != 200 {
						b.Errorf("status %d", res.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}

// bareGetUser is the baseline: the same SELECT and JSON, nothing else.
func bareGetUser(pool *pgxpool.Pool) http.Handler {
	type user struct {
		ID        uuid.UUID `json:"id"`
		Email     string    `json:"email"`
		Name      string    `json:"name"`
		Role      string    `json:"role"`
		CreatedAt time.Time `json:"created_at"`
		UpdatedAt time.Time `json:"updated_at"`
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, err := uuid.Parse(r.PathValue("id"))
		if err != nil {
			http.Error(w, "bad id", http.StatusBadRequest)
			return
		}
		var u user
		var version int64
		var deleted *time.Time
		err = pool.QueryRow(context.Background(),
			"SELECT id, email, name, role, version, created_at, updated_at, deleted_at FROM user_profiles WHERE id = $1 AND deleted_at IS NULL", id).
			Scan(&u.ID, &u.Email, &u.Name, &u.Role, &version, &u.CreatedAt, &u.UpdatedAt, &deleted)
		if err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(u)
	})
	return mux
}
