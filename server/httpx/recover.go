package httpx

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/labstack/echo/v4"
)

// errPanic stands for a recovered panic, already logged with its stack.
var errPanic = errors.New("panic recovered")

// Recover turns a panic into a plain error, which the error handler answers
// with a generic 500. The stack goes to the log, never to the client.
func Recover(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if r == http.ErrAbortHandler {
						panic(r)
					}
					log.LogAttrs(c.Request().Context(), slog.LevelError, "panic",
						slog.String("request_id", Info(c.Request().Context()).ID),
						slog.String("panic", fmt.Sprint(r)),
						slog.String("stack", string(debug.Stack())))
					err = errPanic
				}
			}()
			return next(c)
		}
	}
}
