// Command k8sschemas writes Kubernetes JSON schemas for kubeconform, offline.
//
// kubeconform downloads its schemas from GitHub by default. The same schemas are
// in the Go module sigs.k8s.io/kubectl-validate, which embeds the OpenAPI v3
// documents of the built-in API groups of each Kubernetes version
// (pkg/openapiclient/builtins/<major.minor>/). This command fetches that module
// through the Go module proxy, checks its hash against the pinned one, and writes
// them in kubeconform's layout:
//
//	OUT/v<version>-standalone-strict/<group>-<version>.json  the group-version's schemas
//	OUT/v<version>-standalone-strict/<kind><kind suffix>.json  {"$ref": one of those}
//
// "Strict" as in kubeconform -strict: every object schema with properties and no
// additionalProperties (nor x-kubernetes-preserve-unknown-fields) gets
// additionalProperties: false, so a misspelt field is an error.
//
// Usage (tools/lint/lint-k8s.sh runs it):
//
//	go run ./k8sschemas -module sigs.k8s.io/kubectl-validate@v0.0.4 -sum h1:… \
//	    -kubernetes-version 1.30.0 -out .k8s-schemas
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// format is part of the stamp of a generated directory: change it whenever the
// output of this command changes, so old output is regenerated.
const format = "1"

func main() {
	module := flag.String("module", "", "module@version that embeds the OpenAPI documents")
	sum := flag.String("sum", "", "the module's expected go.sum hash (h1:…)")
	k8sVersion := flag.String("kubernetes-version", "", "Kubernetes version, major.minor.patch (kubeconform's -kubernetes-version)")
	out := flag.String("out", "", "output directory")
	flag.Parse()
	if *module == "" || *sum == "" || *k8sVersion == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	dir, n, err := run(*module, *sum, *k8sVersion, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "k8sschemas:", err)
		os.Exit(1)
	}
	if n >= 0 {
		fmt.Fprintf(os.Stderr, "k8sschemas: wrote %d kinds to %s\n", n, dir)
	}
}

// run returns the schema directory and how many kinds it wrote (-1: it was
// already there for this module and version).
func run(module, sum, k8sVersion, out string) (string, int, error) {
	parts := strings.Split(k8sVersion, ".")
	if len(parts) != 3 {
		return "", 0, fmt.Errorf("-kubernetes-version %q: want major.minor.patch", k8sVersion)
	}
	dir := filepath.Join(out, "v"+k8sVersion+"-standalone-strict")
	stampFile := filepath.Join(dir, ".source")
	stamp := module + " " + sum + " format " + format + "\n"
	if b, err := os.ReadFile(stampFile); err == nil && string(b) == stamp {
		return dir, -1, nil
	}

	src, err := download(module, sum)
	if err != nil {
		return "", 0, err
	}
	builtins := filepath.Join(src, "pkg", "openapiclient", "builtins", parts[0]+"."+parts[1])
	if _, err := os.Stat(builtins); err != nil {
		return "", 0, fmt.Errorf("%s has no schemas for Kubernetes %s.%s", module, parts[0], parts[1])
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", 0, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", 0, err
	}
	kinds := 0
	err = filepath.WalkDir(builtins, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		rel, _ := filepath.Rel(builtins, path) // api/v1.json, apis/apps/v1.json
		n, err := convert(path, strings.TrimSuffix(rel, ".json"), dir)
		kinds += n
		return err
	})
	if err != nil {
		return "", 0, err
	}
	return dir, kinds, os.WriteFile(stampFile, []byte(stamp), 0o644)
}

// download fetches module@version into the module cache and returns its
// directory, after checking its hash.
func download(module, sum string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", module)
	cmd.Dir = os.TempDir() // outside any module: touch no go.mod or go.sum
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	var info struct{ Dir, Sum, Error string }
	if jerr := json.Unmarshal(b, &info); jerr != nil && err == nil {
		err = jerr
	}
	if info.Error != "" {
		return "", fmt.Errorf("go mod download %s: %s", module, info.Error)
	}
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w", module, err)
	}
	if info.Sum != sum {
		return "", fmt.Errorf("%s has hash %s, want the pinned %s", module, info.Sum, sum)
	}
	return info.Dir, nil
}

// convert writes the group-version document at path as <gv>.json, and a file per
// kind it defines that refers into it.
func convert(path, rel, dir string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var doc struct {
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	// api/v1 → core-v1.json; apis/apps/v1 → apps-v1.json
	segs := strings.Split(filepath.ToSlash(rel), "/")
	group, version := "", segs[len(segs)-1]
	if segs[0] == "apis" && len(segs) == 3 {
		group = segs[1]
	}
	gvFile := strings.ReplaceAll(group, ".", "_") + "-" + version + ".json"
	if group == "" {
		gvFile = "core-" + version + ".json"
	}

	names := make([]string, 0, len(doc.Components.Schemas))
	for name, s := range doc.Components.Schemas {
		strict(s)
		names = append(names, name)
	}
	sort.Strings(names)
	if err := writeJSON(filepath.Join(dir, gvFile), map[string]any{"components": doc.Components}); err != nil {
		return 0, err
	}

	n := 0
	for _, name := range names {
		gvks, _ := doc.Components.Schemas[name]["x-kubernetes-group-version-kind"].([]any)
		for _, g := range gvks {
			gvk, _ := g.(map[string]any)
			g, _ := gvk["group"].(string)
			v, _ := gvk["version"].(string)
			k, _ := gvk["kind"].(string)
			if g != group || v != version || k == "" {
				continue // a shared type such as DeleteOptions, listed under every group
			}
			// kubeconform's {{ .ResourceKind }}{{ .KindSuffix }}: deployment-apps-v1,
			// service-v1, horizontalpodautoscaler-autoscaling-v2.
			suffix := "-" + version
			if g != "" {
				suffix = "-" + strings.ToLower(strings.Split(g, ".")[0]) + "-" + version
			}
			kindFile := strings.ToLower(k) + suffix + ".json"
			ref := map[string]any{"$ref": gvFile + "#/components/schemas/" + name}
			if err := writeJSON(filepath.Join(dir, kindFile), ref); err != nil {
				return 0, err
			}
			n++
		}
	}
	return n, nil
}

// strict adds additionalProperties: false to every object schema in s that
// lists its properties and says nothing about others, and to those below it.
func strict(s map[string]any) {
	_, hasProps := s["properties"]
	_, hasAdditional := s["additionalProperties"]
	preserve, _ := s["x-kubernetes-preserve-unknown-fields"].(bool)
	if hasProps && !hasAdditional && !preserve {
		s["additionalProperties"] = false
	}
	if props, ok := s["properties"].(map[string]any); ok {
		for _, p := range props {
			strictAny(p)
		}
	}
	for _, k := range []string{"items", "additionalProperties", "not"} {
		strictAny(s[k])
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		if list, ok := s[k].([]any); ok {
			for _, sub := range list {
				strictAny(sub)
			}
		}
	}
}

func strictAny(v any) {
	if m, ok := v.(map[string]any); ok {
		strict(m)
	}
}

func writeJSON(path string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil {
		return errors.New(path + " written twice")
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
