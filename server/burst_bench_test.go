package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/servertest"
)

// BenchmarkLoginBurst sends 64 concurrent logins at OWASP argon2id cost for a
// few seconds, with 4 clients reading GET /users/{id} throughout, after the same
// reads alone. It reports the accepted logins' p99 (target under 1 s), how
// fast the excess is refused (OVERLOADED), and the reads' p99 alone and during
// the burst. The hashing slots, their queue and their share are production's
// defaults. Run it with -benchtime=1x: each iteration is the whole scenario.
func BenchmarkLoginBurst(b *testing.B) {
	e := servertest.New(b, quietLogs, func(o *servertest.Options) {
		o.Config.Argon2 = auth.OWASPArgon2
		o.Config.HashConcurrency, o.Config.HashQueue, o.Config.HashSharePercent = 0, auth.Queue{}, 0
	})
	u := e.NewUser(b)
	srv := httptest.NewServer(e.Server.Handler()) // without the test's response checks
	b.Cleanup(srv.Close)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	send := func(method, path, token, body string) (int, time.Duration) {
		start := time.Now()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := client.Do(req)
		if err != nil {
			b.Error(err)
			return 0, 0
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, time.Since(start)
	}
	read := func() (int, time.Duration) { return send(http.MethodGet, userPath(u), u.Tokens.AccessToken, "") }
	// A login client that is refused waits as Retry-After (1 s) says, as a
	// well-behaved client does, rather than hammering the service.
	login := func() (int, time.Duration) {
		status, took := send(http.MethodPost, "/api/v1/auth/login", "", `{"email":"`+u.Email+`","password":"`+u.Password+`"}`)
		if status == 503 {
			time.Sleep(time.Second)
		}
		return status, took
	}
	for b.Loop() {
		alone := run(4, 2*time.Second, read)
		var stop sync.WaitGroup
		var burst map[int][]time.Duration
		stop.Go(func() { burst = run(64, 4*time.Second, login) })
		during := run(4, 4*time.Second, read)
		stop.Wait()
		b.ReportMetric(p(burst[200], 0.99).Seconds()*1000, "login-ok-p99-ms")
		b.ReportMetric(float64(len(burst[200])), "logins-ok")
		b.ReportMetric(float64(len(burst[503])), "logins-shed")
		b.ReportMetric(p(burst[503], 0.99).Seconds()*1000, "login-shed-p99-ms")
		b.ReportMetric(p(alone[200], 0.99).Seconds()*1000, "read-alone-p99-ms")
		b.ReportMetric(p(during[200], 0.99).Seconds()*1000, "read-burst-p99-ms")
		b.ReportMetric(float64(len(during[200]))/float64(max(1, len(alone[200])))/2, "read-rate-ratio")
		for status := range burst {
			if status != 200 && status != 503 {
				b.Errorf("logins answered %d %d times", status, len(burst[status]))
			}
		}
	}
}

// run calls f from n goroutines for d, and returns the latencies by status.
func run(n int, d time.Duration, f func() (int, time.Duration)) map[int][]time.Duration {
	var mu sync.Mutex
	out := map[int][]time.Duration{}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				status, took := f()
				mu.Lock()
				out[status] = append(out[status], took)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

// p is the q-quantile of ds (0 when empty).
func p(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}
