package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// requestTimeout bounds one request of the load.
const requestTimeout = 10 * time.Second

// A call builds one request of a scenario; worker is the connection's number.
type call func(worker int) *http.Request

// result is what one run of the load saw: the latency of every answer, by
// status, and the transport errors.
type result struct {
	elapsed time.Duration
	lat     map[int][]time.Duration
	errors  int
}

// count is the number of answers with status (any status: 0).
func (r result) count(status int) int {
	if status != 0 {
		return len(r.lat[status])
	}
	n := 0
	for _, l := range r.lat {
		n += len(l)
	}
	return n
}

// rate is the answers with status per second.
func (r result) rate(status int) float64 {
	return float64(r.count(status)) / r.elapsed.Seconds()
}

// quantile is the q-quantile of the latencies of the answers with status.
func (r result) quantile(status int, q float64) time.Duration {
	s := slices.Clone(r.lat[status])
	if len(s) == 0 {
		return 0
	}
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// load runs a closed loop for d: conns workers, each on one keep-alive HTTP/1.1
// connection of its own to 127.0.0.1, each sending the next request as soon as
// the last is answered. A 503 with Retry-After makes its worker wait that
// long, at most until the end, as a well-behaved client does. Only answers
// within d count; the latencies kept are one per answer, so bounded by d.
func load(ctx context.Context, conns int, d time.Duration, next call) result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	out := result{lat: map[int][]time.Duration{}}
	var wg sync.WaitGroup
	for w := range conns {
		wg.Go(func() {
			lat, errs := worker(ctx, w, next)
			mu.Lock()
			defer mu.Unlock()
			for status, l := range lat {
				out.lat[status] = append(out.lat[status], l...)
			}
			out.errors += errs
		})
	}
	wg.Wait()
	out.elapsed = d
	return out
}

// worker is one connection of load, until ctx ends.
func worker(ctx context.Context, w int, next call) (map[int][]time.Duration, int) {
	client := &http.Client{Transport: loopbackTransport(), Timeout: requestTimeout}
	defer client.CloseIdleConnections()
	lat := map[int][]time.Duration{}
	errs := 0
	for ctx.Err() == nil {
		began := time.Now()
		res, err := client.Do(next(w))
		if err != nil {
			errs++
			pause(ctx, 10*time.Millisecond) // a refused connection must not spin
			continue
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if ctx.Err() != nil {
			break // answered after the end: outside the window
		}
		lat[res.StatusCode] = append(lat[res.StatusCode], time.Since(began))
		if res.StatusCode == http.StatusServiceUnavailable {
			pause(ctx, retryAfter(res))
		}
	}
	return lat, errs
}

// retryAfter is the wait a Retry-After header of seconds asks for (1 s when
// there is none).
func retryAfter(res *http.Response) time.Duration {
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	return time.Second
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// loopbackTransport is one keep-alive HTTP/1.1 connection that can only reach
// 127.0.0.1.
func loopbackTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if host, _, _ := net.SplitHostPort(addr); host != "127.0.0.1" {
				return nil, fmt.Errorf("benchload connects to 127.0.0.1 only, not %s", addr)
			}
			return dialer.DialContext(ctx, network, addr)
		},
		MaxConnsPerHost:     1,
		MaxIdleConnsPerHost: 1,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}
