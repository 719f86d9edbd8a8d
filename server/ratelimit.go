package server

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"
)

const (
	// limiterIdle is how long an idle client's bucket is kept.
	limiterIdle = 10 * time.Minute
	// limiterMax bounds how many clients are tracked; past it, idle ones go.
	limiterMax = 100_000
)

// clientLimiter is a token bucket per client IP: perMinute attempts a minute,
// in bursts of as many. It lives in memory, per replica.
type clientLimiter struct {
	every time.Duration
	burst int
	now   func() time.Time

	mu      sync.Mutex
	clients map[string]*clientBucket
}

type clientBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newClientLimiter(perMinute int, now func() time.Time) *clientLimiter {
	return &clientLimiter{every: time.Minute / time.Duration(perMinute), burst: perMinute, now: now, clients: map[string]*clientBucket{}}
}

// allow takes one attempt for ip, or says how long until the next one.
func (l *clientLimiter) allow(ip string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.clients[ip]
	if !ok {
		if len(l.clients) >= limiterMax {
			l.forgetIdle(now)
		}
		b = &clientBucket{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.clients[ip] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// forgetIdle drops the buckets of clients not seen for a while; if every
// client is recent, it starts over rather than grow without bound.
func (l *clientLimiter) forgetIdle(now time.Time) {
	for ip, b := range l.clients {
		if now.Sub(b.seen) > limiterIdle {
			delete(l.clients, ip)
		}
	}
	if len(l.clients) >= limiterMax {
		clear(l.clients)
	}
}

// errRateLimited marks a refused attempt; the error handler answers 429.
var errRateLimited = echo.NewHTTPError(http.StatusTooManyRequests, "rate limited")

// limitAttempts is the per-operation middleware of login and register. It runs
// before the body is read, and before anything about the account is looked up,
// so its answer says nothing about any account.
func (s *Server) limitAttempts(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ip, _ := clientFrom(c.Request().Context())
		ok, wait := s.limiter.allow(ip)
		if !ok {
			secs := int(math.Ceil(wait.Seconds()))
			c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
			return fmt.Errorf("%w: retry in %ds", errRateLimited, secs)
		}
		return next(c)
	}
}
