// The load benchmark (make bench-load). A module of its own because tools/ is
// one (the go tool dependencies); it reaches the service's generated client
// through the replace below, at the versions of the service's go.mod.
module github.com/meridianhq/accounts/tools/benchload

go 1.26.0

toolchain go1.26.11

require (
	github.com/jackc/pgx/v5 v5.12.0
	github.com/meridianhq/accounts v0.0.0
)

require (
	github.com/apapsch/go-jsonmerge/v2 v2.0.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/oapi-codegen/runtime v1.8.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

replace github.com/meridianhq/accounts => ../..
