package server_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/meridianhq/accounts/server/servertest"
	"github.com/meridianhq/accounts/server/servertest/baseline"
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
// whole service (routing, validation, bearer check, authorization, access log,
// metrics, tracing without an exporter) with a bare net/http + pgx handler doing
// the same SELECT. Its sub-benchmarks time each alone; Alternating runs them in
// turns of 4,000 requests, one pair per iteration (-benchtime 20x: 20 pairs),
// and reports the median of the pairs' ratios, which a noisy machine moves far
// less than two runs minutes apart. The target is at least 0.85× the bare
// handler's throughput.
func BenchmarkGetUser(b *testing.B) {
	e := servertest.New(b, quietLogs)
	u := e.NewUser(b)
	path := "/api/v1/users/" + u.Id.String()
	bare := httptest.NewServer(bareGetUser(e.Pool))
	b.Cleanup(bare.Close)
	full := httptest.NewServer(e.Server.Handler()) // without the test's response checks
	b.Cleanup(full.Close)
	bareLoad, serviceLoad := newReadLoad(bare.URL+path, u.Tokens.AccessToken), newReadLoad(full.URL+path, u.Tokens.AccessToken)
	for _, tc := range []struct {
		name string
		load *readLoad
	}{{"BareNetHTTPPgx", bareLoad}, {"Service", serviceLoad}} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := tc.load.get(); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
	b.Run("Alternating", func(b *testing.B) {
		var ratios, bareRates, serviceRates []float64
		for b.Loop() {
			br, sr := bareLoad.rate(b, 8, 4000), serviceLoad.rate(b, 8, 4000)
			bareRates, serviceRates = append(bareRates, br), append(serviceRates, sr)
			ratios = append(ratios, sr/br)
		}
		b.ReportMetric(median(ratios), "service/bare")
		b.ReportMetric(median(bareRates), "bare-req/s")
		b.ReportMetric(median(serviceRates), "service-req/s")
	})
}

// readLoad sends GETs of one URL over keep-alive connections.
type readLoad struct {
	url, token string
	client     *http.Client
}

// newReadLoad returns the load of GETs of url, with token as the bearer ("":
// none).
func newReadLoad(url, token string) *readLoad {
	return &readLoad{url: url, token: token, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
}

// get sends one request and wants a 200.
func (l *readLoad) get() error {
	req, _ := http.NewRequest(http.MethodGet, l.url, nil)
	if l.token != "" {
		req.Header.Set("Authorization", "Bearer "+l.token)
	}
	res, err := l.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

// rate sends n requests from workers goroutines and returns requests a second.
func (l *readLoad) rate(b testing.TB, workers, n int) float64 {
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for range n / workers {
				if err := l.get(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

// median of xs (which it sorts); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[len(xs)/2]
}

// bareGetUser is the baseline handler alone.
func bareGetUser(pool *pgxpool.Pool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(baseline.Route, baseline.GetUser(pool))
	return mux
}
