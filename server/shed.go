package server

import (
	"errors"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/auth"
	"github.com/meridianhq/accounts/server/httpx"
)

// overloadRetry is the Retry-After of a shed request: about how long a full
// hashing queue takes to drain.
const overloadRetry = time.Second

// shedOverload answers every operation whose password work was refused for
// lack of CPU slots (auth.ErrOverloaded, from any domain call) 503 OVERLOADED
// with Retry-After, in one place rather than in each handler.
func shedOverload(f api.StrictHandlerFunc, _ string) api.StrictHandlerFunc {
	return func(c echo.Context, req any) (any, error) {
		res, err := f(c, req)
		if errors.Is(err, auth.ErrOverloaded) {
			return nil, httpx.Overloaded(c, overloadRetry)
		}
		return res, err
	}
}
