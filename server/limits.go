package server

import (
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/ratelimit"
)

// errRateLimited marks a refused attempt; the error handler answers 429.
var errRateLimited = echo.NewHTTPError(http.StatusTooManyRequests, "rate limited")

// limitAttempts counts each attempt against scope for the client IP. It runs
// before the body is read and before anything about an account is looked up,
// so its answer says nothing about any account.
func (s *Server) limitAttempts(scope ratelimit.Scope) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			ctx := c.Request().Context()
			d, err := s.Limiter.Allow(ctx, ratelimit.Key{Scope: scope, Value: httpx.Info(ctx).IP})
			if err != nil {
				return fmt.Errorf("rate limit %s: %w", scope, err)
			}
			if !d.Allowed {
				secs := int(math.Ceil(d.RetryAfter.Seconds()))
				c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(secs))
				return fmt.Errorf("%w: retry in %ds", errRateLimited, secs)
			}
			return next(c)
		}
	}
}
