package httpx

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// SecurityHeaders sets the headers every response carries: no content sniffing,
// and no caching, since API responses hold personal data and tokens. (HTML
// pages add their own: PageHeaders.)
func SecurityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// Shared values, canonical keys: no allocation per request. Set, Add
		// and Del replace or copy a value, never write into it.
		h := c.Response().Header()
		h["X-Content-Type-Options"] = nosniff
		h["Cache-Control"] = noStore
		return next(c)
	}
}

var nosniff, noStore = []string{"nosniff"}, []string{"no-store"}

// PageHeaders are the headers of an HTML page and its assets (the docs): the
// page loads only what this server serves, is never framed, and may be cached
// briefly.
func PageHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "+
			"style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; "+
			"frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "public, max-age=300")
		return next(c)
	}
}

// CORS lets browser pages from origins call the API. Tokens travel in the
// Authorization header, never in cookies, so credentials are not allowed. A
// page may send the headers the contract takes (Authorization, Content-Type,
// If-Match, If-None-Match, X-Request-ID); the headers clients read (ETag,
// Link, Location, Retry-After, the RateLimit fields, X-Request-ID and the
// bearer challenge) are exposed.
func CORS(log *slog.Logger, origins []string) echo.MiddlewareFunc {
	cors := middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins: origins,
		AllowMethods: []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowHeaders: []string{echo.HeaderAuthorization, echo.HeaderContentType, "If-Match", "If-None-Match", HeaderRequestID},
		ExposeHeaders: []string{"ETag", "Link", echo.HeaderLocation, echo.HeaderRetryAfter, HeaderRequestID,
			echo.HeaderWWWAuthenticate, "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"},
		MaxAge: 600,
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		h := cors(next)
		return func(c echo.Context) error {
			err := h(c)
			if refusedPreflight(c) {
				ctx := c.Request().Context()
				Explain(ctx, "cors_origin_refused")
				log.LogAttrs(ctx, slog.LevelInfo, "CORS preflight refused: origin not allowed",
					slog.String("request_id", Info(ctx).ID), slog.String("origin", clip(c.Request().Header.Get(echo.HeaderOrigin), maxLoggedOrigin)))
			}
			return err
		}
	}
}

// maxLoggedOrigin bounds the client-supplied Origin in the log.
const maxLoggedOrigin = 200

// refusedPreflight reports whether c was a CORS preflight that the CORS
// middleware answered without allowing its origin.
func refusedPreflight(c echo.Context) bool {
	req := c.Request()
	return req.Method == http.MethodOptions && req.Header.Get(echo.HeaderOrigin) != "" &&
		req.Header.Get(echo.HeaderAccessControlRequestMethod) != "" &&
		c.Response().Header().Get(echo.HeaderAccessControlAllowOrigin) == ""
}

// clip cuts s to at most n bytes.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// LimitBody refuses a declared Content-Length over limit at once, and caps the
// body of every request, so that a body sent without a length (chunked) fails
// with *http.MaxBytesError when it passes the limit.
func LimitBody(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.ContentLength > limit {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
			}
			if req.Body != nil && req.Body != http.NoBody {
				req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
			}
			return next(c)
		}
	}
}
