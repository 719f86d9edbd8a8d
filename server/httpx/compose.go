package httpx

import "github.com/labstack/echo/v4"

// Composing registers routes on an Echo instance with their middleware
// applied once, at registration. Echo v4 applies a route's middleware to its
// handler again on every request, which allocates each closure of the chain
// per request; the chain built here runs in the same order (the first
// middleware outermost) and is built once. It has the methods of the
// generated code's EchoRouter.
type Composing struct{ *echo.Echo }

func compose(h echo.HandlerFunc, m []echo.MiddlewareFunc) echo.HandlerFunc {
	for i := len(m) - 1; i >= 0; i-- {
		h = m[i](h)
	}
	return h
}

// CONNECT registers a CONNECT route with m applied to h once.
func (r Composing) CONNECT(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.Echo.CONNECT(path, compose(h, m))
}

// DELETE registers a DELETE route with m applied to h once.
func (r Composing) DELETE(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.Echo.DELETE(path, compose(h, m))
}

// GET registers a GET route with m applied to h once.
func (r Composing) GET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.Echo.GET(path, compose(h, m))
}

// HEAD registers a HEAD route with m applied to h once.
func (r Composing) HEAD(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.Echo.HEAD(path, compose(h, m))
}

// OPTIONS registers an OPTIONS route with m applied to h once.
func (r Composing) OPTIONS(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.Echo.OPTIONS(path, compose(h, m))
}

// PATCH registers a PATCH route with m applied to h once.
func (r Composing) PATCH(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.Echo.PATCH(path, compose(h, m))
}

// POST registers a POST route with m applied to h once.
func (r Composing) POST(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.Echo.POST(path, compose(h, m))
}

// PUT registers a PUT route with m applied to h once.
func (r Composing) PUT(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.Echo.PUT(path, compose(h, m))
}

// TRACE registers a TRACE route with m applied to h once.
func (r Composing) TRACE(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.Echo.TRACE(path, compose(h, m))
}
