package httpx

import "github.com/labstack/echo/v4"

// Composing registers routes on an Echo instance with their middleware
// applied once, at registration. Echo v4 applies a route's middleware to its
// handler again on every request, which allocates each closure of the chain
// per request; the chain built here runs in the same order (the first
// middleware outermost) and is built once. It has the methods of the
// generated code's EchoRouter: the five the contract's methods use are
// composed here, the others are Echo's own.
type Composing struct{ *echo.Echo }

// Once is global middleware m (for Echo.Use) composed once, at start: Echo v4
// applies each global middleware to the request's handler on every request,
// too. The chain ends in c.Handler(), the handler Echo's router found for the
// request, which is the handler Echo would have passed to m: the order and
// the outcome are Echo's own.
func Once(m ...echo.MiddlewareFunc) echo.MiddlewareFunc {
	chain := compose(func(c echo.Context) error { return c.Handler()(c) }, m)
	return func(echo.HandlerFunc) echo.HandlerFunc { return chain }
}

func compose(h echo.HandlerFunc, m []echo.MiddlewareFunc) echo.HandlerFunc {
	for i := len(m) - 1; i >= 0; i-- {
		h = m[i](h)
	}
	return h
}

// DELETE registers a DELETE route with m applied to h once.
func (r Composing) DELETE(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.Echo.DELETE(path, compose(h, m))
}

// GET registers a GET route with m applied to h once.
func (r Composing) GET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	return r.Echo.GET(path, compose(h, m))
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
