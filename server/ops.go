package server

import (
	"bytes"
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/swaggest/swgui/v5/static"
	"github.com/vearutop/statigz"

	"github.com/meridianhq/accounts/gen/api"
	"github.com/meridianhq/accounts/server/httpx"
)

// readyTimeout bounds the database ping of /readyz.
const readyTimeout = time.Second

// GetHealthz answers while the process runs. It never touches the database.
func (s *Server) GetHealthz(ctx context.Context, _ api.GetHealthzRequestObject) (api.GetHealthzResponseObject, error) {
	return api.GetHealthz200JSONResponse{Status: api.Ok}, nil
}

// GetReadyz answers 200 when the service can serve: not draining, the database
// answers a ping within a second, and the schema is current.
func (s *Server) GetReadyz(ctx context.Context, _ api.GetReadyzRequestObject) (api.GetReadyzResponseObject, error) {
	if detail := s.notReady(ctx); detail != "" {
		p := httpx.Problem(ctx, api.CodeNotReady, detail)
		return api.GetReadyz503ApplicationProblemPlusJSONResponse{NotReadyApplicationProblemPlusJSONResponse: api.NotReadyApplicationProblemPlusJSONResponse(p)}, nil
	}
	return api.GetReadyz200JSONResponse{Status: api.Ok}, nil
}

// notReady names the first failing readiness check, or returns "".
func (s *Server) notReady(ctx context.Context) string {
	if s.draining.Load() {
		return "shutdown: the service is shutting down"
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := s.Pool.Ping(ctx); err != nil {
		return "database: no answer to a ping within " + readyTimeout.String()
	}
	if err := s.SchemaCheck(ctx); err != nil {
		// The caller is anonymous: the fixed reason only, the detail to the log.
		s.Logger.LogAttrs(ctx, slog.LevelWarn, "not ready: schema check failed",
			slog.String("request_id", httpx.Info(ctx).ID), slog.String("error", err.Error()))
		return "schema: the database schema is not at this binary's version, or cannot be read; see the service's log"
	}
	return ""
}

// GetOpenapiYaml serves openapi.yaml byte for byte.
func (s *Server) GetOpenapiYaml(ctx context.Context, _ api.GetOpenapiYamlRequestObject) (api.GetOpenapiYamlResponseObject, error) {
	return api.GetOpenapiYaml200ApplicationyamlResponse{
		Body: bytes.NewReader(api.SpecYAML), ContentLength: int64(len(api.SpecYAML)),
	}, nil
}

// GetOpenapiJson serves the same document as JSON.
func (s *Server) GetOpenapiJson(ctx context.Context, _ api.GetOpenapiJsonRequestObject) (api.GetOpenapiJsonResponseObject, error) {
	return api.GetOpenapiJson200JSONResponse(s.openapiJSON), nil
}

// GetDocs serves the Swagger UI page. Its assets are under /docs/assets/.
func (s *Server) GetDocs(ctx context.Context, _ api.GetDocsRequestObject) (api.GetDocsResponseObject, error) {
	return api.GetDocs200TexthtmlResponse{
		Body: bytes.NewReader(docsIndex), ContentLength: int64(len(docsIndex)),
	}, nil
}

//go:embed docs/index.html docs/init.js
var docsFS embed.FS

var docsIndex = mustRead(docsFS, "docs/index.html")

// docsAssets serves Swagger UI's files (embedded, precompressed) and our
// init.js. A file it does not have, or cannot serve, goes to the error handler
// like any other failure: a problem, never a plain-text page.
func docsAssets() echo.HandlerFunc {
	ui := statigz.FileServer(static.FS,
		statigz.OnNotFound(func(_ http.ResponseWriter, r *http.Request) { assetOutcome(r).err = echo.ErrNotFound }),
		statigz.OnError(func(_ http.ResponseWriter, r *http.Request, err error) { assetOutcome(r).err = err }))
	initJS := mustRead(docsFS, "docs/init.js")
	return func(c echo.Context) error {
		name := c.Param("*")
		if name == "init.js" {
			return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", initJS)
		}
		out := &served{}
		req := c.Request().Clone(context.WithValue(c.Request().Context(), servedKey{}, out))
		req.URL.Path = "/" + name
		// The assets are small and immutable: no client needs part of one, and
		// thousands of ranges made http.ServeContent answer a multipart body
		// many times the file (GO-2026-6609). The whole file it is.
		req.Header.Del("Range")
		ui.ServeHTTP(c.Response(), req)
		return out.err
	}
}

// served is what became of one asset request: the error statigz reported
// instead of writing an answer of its own.
type served struct{ err error }

type servedKey struct{}

// assetOutcome is the record of the asset request r.
func assetOutcome(r *http.Request) *served {
	if s, ok := r.Context().Value(servedKey{}).(*served); ok {
		return s
	}
	return &served{}
}

// mustRead reads a file embedded at build time; a failure is a build mistake.
func mustRead(fsys fs.FS, name string) []byte {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		panic(err)
	}
	return b
}
