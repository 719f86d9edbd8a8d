package httpx

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

var (
	// errOverloaded marks work shed for lack of capacity.
	errOverloaded = errors.New("overloaded")
	// errDatabaseUnavailable marks a request the database could not serve.
	errDatabaseUnavailable = errors.New("database unavailable")
)

// Overloaded answers 503 OVERLOADED with Retry-After: the request was refused,
// before any change, for lack of capacity, and may be retried after retry.
func Overloaded(c echo.Context, retry time.Duration) error {
	return unavailable(c, retry, errOverloaded)
}

// DatabaseUnavailable answers 503 DATABASE_UNAVAILABLE with Retry-After: an
// outage, not a failure of the request.
func DatabaseUnavailable(c echo.Context, retry time.Duration) error {
	return unavailable(c, retry, errDatabaseUnavailable)
}

func unavailable(c echo.Context, retry time.Duration, why error) error {
	secs := max(1, int((retry+time.Second-1)/time.Second))
	c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(secs))
	return &echo.HTTPError{Code: http.StatusServiceUnavailable, Message: why.Error(), Internal: why}
}
