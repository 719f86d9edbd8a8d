package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/ratelimit"
	"github.com/meridianhq/accounts/server/store"
	"github.com/meridianhq/accounts/server/users"
)

// The Retry-After of refusals: about how long a full hashing queue takes to
// drain, and how often the database is pinged while it is down.
const (
	overloadRetry = time.Second
	outageRetry   = 2 * time.Second
)

// answerRefusals is the outermost per-operation middleware. It answers what
// the rest of the chain (the attempt limit, the validator, the handler and its
// domain calls) could not do for reasons of the moment, in one place rather
// than in each handler, all with Retry-After: password work refused for lack of
// CPU slots (auth.ErrOverloaded) is 503 OVERLOADED, an attempt an account's
// backoff refused (*ratelimit.Refused) 429 RATE_LIMITED, and a database that
// is down or did not answer in time 503 DATABASE_UNAVAILABLE, which Health
// logs once per outage instead of once per request. A request whose client
// went away is recorded as 499, neither an error nor a refusal.
func (s *Server) answerRefusals(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := next(c)
		if err == nil {
			return nil
		}
		var refused *ratelimit.Refused
		ctx := c.Request().Context()
		switch {
		case errors.Is(ctx.Err(), context.Canceled):
			// The client went away: nothing failed here, and no one reads
			// the answer, whose status the access log and the metrics record.
			httpx.Explain(ctx, "client_gone")
			return httpx.ClientGone()
		case errors.Is(err, auth.ErrOverloaded):
			httpx.Explain(ctx, "overloaded")
			return httpx.Overloaded(c, overloadRetry)
		case errors.As(err, &refused):
			s.Metrics.RateLimited("account")
			httpx.Explain(ctx, "rate_limited:account")
			s.Logger.LogAttrs(ctx, slog.LevelDebug, "account backoff", slog.Int("retry_after_s", seconds(refused.Decision.RetryAfter)))
			setRateLimitHeaders(c, refused.Decision)
			return refuse(c, refused.Decision)
		case errors.Is(err, users.ErrMFARequired):
			httpx.Explain(ctx, "mfa_required")
			return httpx.MFARequired()
		case errors.Is(err, users.ErrMFAOff):
			httpx.Explain(ctx, "mfa_unavailable")
			return httpx.MFAUnavailable(c)
		case errors.Is(err, users.ErrMailOff):
			httpx.Explain(ctx, "email_unavailable")
			return httpx.EmailUnavailable(c)
		case store.IsUnavailable(err):
			httpx.Explain(ctx, "database_unavailable")
			s.Health.Observe(err)
			return httpx.DatabaseUnavailable(c, outageRetry)
		}
		return err
	}
}
