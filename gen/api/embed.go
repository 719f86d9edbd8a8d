package api

import _ "embed"

// SpecYAML is openapi.yaml byte for byte. `make generate` copies the file here,
// because go:embed cannot reach outside this package's directory.
//
//go:embed openapi.yaml
var SpecYAML []byte
