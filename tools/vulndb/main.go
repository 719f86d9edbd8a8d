// Command vulndb is the offline half of `make vulncheck`.
//
//	go run ./vulndb build -osv MODULE_DIR/data/osv -out DIR
//	govulncheck -format json … | go run ./vulndb check -allow FILE
//
// build turns the OSV entries of the golang.org/x/vulndb module (data/osv/*.json,
// which the Go module proxy serves) into the database layout govulncheck reads
// with -db file:///DIR: index/db.json, index/modules.json and ID/<id>.json. The
// module's own indexer (cmd/indexdb) needs its cloud dependencies; this is the
// layout alone, from the entries' own fields.
//
// check reads govulncheck's JSON stream and fails on every finding the code
// reaches, except those FILE lists with the reason they do not apply.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// entry is the part of an OSV entry the index needs.
type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
		Ranges []struct {
			Events []struct {
				Fixed string `json:"fixed"`
			} `json:"events"`
		} `json:"ranges"`
	} `json:"affected"`
}

// moduleVuln and module are the rows of index/modules.json.
type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Fixed    string    `json:"fixed,omitempty"`
}

type module struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	var err error
	switch os.Args[1] {
	case "build":
		osvDir := fs.String("osv", "", "the data/osv directory of golang.org/x/vulndb")
		out := fs.String("out", "", "the database directory to write")
		_ = fs.Parse(os.Args[2:])
		if *osvDir == "" || *out == "" {
			usage()
		}
		err = build(*osvDir, *out)
	case "check":
		allow := fs.String("allow", "", "the file of findings that do not apply: ID, then the reason")
		_ = fs.Parse(os.Args[2:])
		err = check(os.Stdin, *allow, os.Stdout)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulndb:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: vulndb build -osv DIR -out DIR | vulndb check -allow FILE < govulncheck.json")
	os.Exit(2)
}

// build writes the database of the entries in osvDir to out.
func build(osvDir, out string) error {
	files, err := filepath.Glob(filepath.Join(osvDir, "*.json"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no OSV entries in %s", osvDir)
	}
	if err := os.MkdirAll(filepath.Join(out, "ID"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(out, "index"), 0o755); err != nil {
		return err
	}
	mods := map[string]*module{}
	var newest time.Time
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var e entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if err := os.WriteFile(filepath.Join(out, "ID", e.ID+".json"), raw, 0o644); err != nil {
			return err
		}
		newest = later(newest, e.Modified)
		for _, a := range e.Affected {
			m := mods[a.Package.Name]
			if m == nil {
				m = &module{Path: a.Package.Name}
				mods[a.Package.Name] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified, Fixed: lastFixed(a.Ranges)})
		}
	}
	list := make([]*module, 0, len(mods))
	for _, m := range mods {
		list = append(list, m)
	}
	slices.SortFunc(list, func(a, b *module) int { return compare(a.Path, b.Path) })
	if err := writeJSON(filepath.Join(out, "index", "modules.json"), list); err != nil {
		return err
	}
	return writeJSON(filepath.Join(out, "index", "db.json"), map[string]time.Time{"modified": newest})
}

// lastFixed is the last fixed version of an entry's ranges: what
// govulncheck's index calls the module's fix.
func lastFixed(ranges []struct {
	Events []struct {
		Fixed string `json:"fixed"`
	} `json:"events"`
}) string {
	fixed := ""
	for _, r := range ranges {
		for _, ev := range r.Events {
			if ev.Fixed != "" {
				fixed = ev.Fixed
			}
		}
	}
	return fixed
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
