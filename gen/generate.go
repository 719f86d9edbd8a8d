// Package gen holds every generated package of accounts and the directives that
// make them. Run `make generate`; never edit the *.gen.go files by hand.
package gen

//go:generate go tool -modfile=../tools/go.mod oapi-codegen -config api/types.cfg.yaml ../openapi.yaml
//go:generate go tool -modfile=../tools/go.mod oapi-codegen -config api/server.cfg.yaml ../openapi.yaml
//go:generate go tool -modfile=../tools/go.mod oapi-codegen -config api/spec.cfg.yaml ../openapi.yaml
//go:generate go tool -modfile=../tools/go.mod oapi-codegen -config client/client.cfg.yaml ../openapi.yaml
//go:generate cp ../openapi.yaml api/openapi.yaml
//go:generate go tool -modfile=../tools/go.mod sqlc generate -f ../sqlc.yaml
