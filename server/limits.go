package server

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/ratelimit"
)

// errRateLimited marks a refused attempt; the error handler answers 429.
var errRateLimited = echo.NewHTTPError(http.StatusTooManyRequests, "rate limited")

// limitAttempts counts each attempt against scope for the client (its IP, an
// IPv6 /64 as one). It runs before the body is read and before anything about
// an account is looked up, so its answer says nothing about any account. Every
// answer carries the RateLimit header fields.
func (s *Server) limitAttempts(scope ratelimit.Scope) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			d, err := s.Limiter.Allow(ctx, ratelimit.Key{Scope: scope, Value: ratelimit.ClientKey(httpx.Info(ctx).IP)})
			if err != nil {
				return fmt.Errorf("rate limit %s: %w", scope, err)
			}
			setRateLimitHeaders(c, d)
			s.Logger.LogAttrs(ctx, slog.LevelDebug, "rate limit", slog.String("scope", string(scope)),
				slog.Bool("allowed", d.Allowed), slog.Int("remaining", d.Remaining))
			if !d.Allowed {
				s.Metrics.RateLimited(string(scope))
				httpx.Explain(ctx, "rate_limited:"+string(scope))
				return refuse(c, d)
			}
			return next(c)
		}
	}
}

// setRateLimitHeaders sets the RateLimit header fields (IETF draft) of d.
func setRateLimitHeaders(c echo.Context, d ratelimit.Decision) {
	if d.Limit == 0 {
		return
	}
	h := c.Response().Header()
	h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(seconds(d.Reset)))
}

// refuse answers a refused attempt 429 RATE_LIMITED with Retry-After.
func refuse(c echo.Context, d ratelimit.Decision) error {
	secs := max(1, seconds(d.RetryAfter))
	c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(secs))
	return fmt.Errorf("%w: retry in %ds", errRateLimited, secs)
}

// seconds rounds d up to whole seconds.
func seconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }
