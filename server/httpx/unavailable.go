package httpx

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// errOverloaded marks work shed for lack of capacity.
var errOverloaded = errors.New("overloaded")

// Overloaded answers 503 OVERLOADED with Retry-After: the request was refused,
// before any change, for lack of capacity, and may be retried after retry.
func Overloaded(c echo.Context, retry time.Duration) error {
	secs := max(1, int((retry+time.Second-1)/time.Second))
	c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(secs))
	return &echo.HTTPError{Code: http.StatusServiceUnavailable, Message: "overloaded", Internal: errOverloaded}
}
