// Package gen holds every generated package of accounts and the directives that
// make them. Run `make generate`; never edit the *.gen.go files by hand.
//
// The few hand-written files here configure or use the generated code: this
// file, the *.cfg.yaml configurations (output paths are relative to gen/),
// api/embed.go (embeds api/openapi.yaml, a copy that make generate writes
// because go:embed cannot reach the repository root), and the Go SDK's runnable
// example in client/*_test.go.
package gen

//go:generate go tool -modfile=../tools/go.mod oapi-codegen -config api/types.cfg.yaml ../openapi.yaml
//go:generate go tool -modfile=../tools/go.mod oapi-codegen -config api/server.cfg.yaml ../openapi.yaml
//go:generate go tool -modfile=../tools/go.mod oapi-codegen -config api/spec.cfg.yaml ../openapi.yaml
//go:generate go tool -modfile=../tools/go.mod oapi-codegen -config client/client.cfg.yaml ../openapi.yaml
//go:generate cp ../openapi.yaml api/openapi.yaml
//go:generate go tool -modfile=../tools/go.mod sqlc generate -f ../sqlc.yaml
