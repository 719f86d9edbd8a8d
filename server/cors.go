package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// cors lets browser pages from origins call the API. Tokens travel in the
// Authorization header, never in cookies, so credentials are not allowed; the
// headers clients read (ETag, Link, Location, Retry-After, X-Request-ID and the
// bearer challenge) are exposed.
func cors(origins []string) echo.MiddlewareFunc {
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins: origins,
		AllowMethods: []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowHeaders: []string{echo.HeaderAuthorization, echo.HeaderContentType, "If-Match", HeaderRequestID},
		ExposeHeaders: []string{"ETag", "Link", echo.HeaderLocation, echo.HeaderRetryAfter, HeaderRequestID,
			echo.HeaderWWWAuthenticate},
		MaxAge: 600,
	})
}
