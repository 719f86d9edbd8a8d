package server

import (
	"errors"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/httpx"
	"github.com/meridianhq/accounts/server/ratelimit"
)

// overloadRetry is the Retry-After of a shed request: about how long a full
// hashing queue takes to drain.
const overloadRetry = time.Second

// refusals answers, for every operation, what a domain call refused before
// doing anything, in one place rather than in each handler: password work
// refused for lack of CPU slots (auth.ErrOverloaded) is 503 OVERLOADED, an
// attempt an account's backoff refused (*ratelimit.Refused) 429 RATE_LIMITED,
// both with Retry-After.
func refusals(f api.StrictHandlerFunc, _ string) api.StrictHandlerFunc {
	return func(c echo.Context, req any) (any, error) {
		res, err := f(c, req)
		var refused *ratelimit.Refused
		switch {
		case errors.Is(err, auth.ErrOverloaded):
			return nil, httpx.Overloaded(c, overloadRetry)
		case errors.As(err, &refused):
			setRateLimitHeaders(c, refused.Decision)
			return nil, refuse(c, refused.Decision)
		}
		return res, err
	}
}
