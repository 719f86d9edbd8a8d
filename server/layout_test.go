package server_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/meridianhq/accounts"

// The packages of the layout (README.md, "Layout").
var (
	domainPackages = []string{"server/users", "server/sessions", "server/store", "server/ratelimit", "server/auth"}
	// mayImportServer are the only non-test packages that import package server.
	mayImportServer = []string{"cmd/accounts/wiring", "server/servertest"}
	// sdkPackage is the hand-written Go SDK: a library for callers of the
	// service, so of this module it reaches only the generated client, none of
	// the service's dependencies, and nothing but its tests depends on it.
	sdkPackage = "sdk/go"
)

// listedPackage is what `go list -json` says of a package.
type listedPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// listPackages lists every package of the module, without tests.
func listPackages(t *testing.T) map[string]listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", "./...")
	cmd.Dir = ".."
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	pkgs := map[string]listedPackage{}
	for dec := json.NewDecoder(&out); dec.More(); {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs[strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")] = p
	}
	return pkgs
}

// TestImportDirection enforces the layout's import rule: the domain packages
// reach neither the contract's types nor Echo (not even through another
// package), httpx knows no domain package, auth stays pure, nothing but the
// wiring and the test server imports package server, and the Go SDK stands on
// the generated client alone.
func TestImportDirection(t *testing.T) {
	t.Parallel()
	pkgs := listPackages(t)
	for _, name := range domainPackages {
		if _, ok := pkgs[name]; !ok {
			t.Fatalf("package %s is missing: update the layout here and in README.md", name)
		}
	}
	forbidden := func(name string, deps []string, prefixes ...string) {
		for _, d := range deps {
			for _, p := range prefixes {
				// Package server itself, not its subpackages; any other path with
				// everything below it.
				if d == p || (p != module+"/server" && strings.HasPrefix(d, p+"/")) {
					t.Errorf("%s depends on %s", name, d)
				}
			}
		}
	}
	for _, name := range domainPackages {
		forbidden(name, pkgs[name].Deps, module+"/gen/api", module+"/server/httpx", "github.com/labstack/echo/v4", module+"/server")
	}
	forbidden("server/auth", pkgs["server/auth"].Imports, module+"/server", module+"/gen", "github.com/jackc/pgx/v5")
	forbidden("server/httpx", pkgs["server/httpx"].Imports, prefixed(domainPackages[:4])...)
	if _, ok := pkgs[sdkPackage]; !ok {
		t.Fatalf("package %s is missing: update the layout here and in README.md", sdkPackage)
	}
	for _, d := range pkgs[sdkPackage].Deps {
		if strings.HasPrefix(d, module+"/") && d != module+"/gen/client" {
			t.Errorf("%s depends on %s; of this module it may use only gen/client", sdkPackage, d)
		}
	}
	forbidden(sdkPackage, pkgs[sdkPackage].Deps, "github.com/labstack/echo/v4", "github.com/jackc/pgx/v5", "github.com/getkin/kin-openapi")
	for name, p := range pkgs {
		if name != sdkPackage && slices.Contains(p.Deps, module+"/"+sdkPackage) {
			t.Errorf("%s depends on the Go SDK %s; only its tests may", name, sdkPackage)
		}
	}
	for name, p := range pkgs {
		if slices.Contains(p.Imports, module+"/server") && !slices.Contains(mayImportServer, name) && !strings.HasPrefix(name, "cmd/") {
			t.Errorf("%s imports package server; only %v (and cmd/) may", name, mayImportServer)
		}
	}
}

// prefixed turns module-relative names into import paths.
func prefixed(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = module + "/" + n
	}
	return out
}
