package accounts_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// readmeMarker precedes, in README.md, the Go block that is func quickstart of
// example_test.go.
const readmeMarker = "<!-- sdk/go/example_test.go: func quickstart, verbatim (TestReadmeSnippetIsTheExample) -->"

// TestReadmeSnippetIsTheExample keeps the README's Go snippet equal to the
// source of the example that runs against a real server.
func TestReadmeSnippetIsTheExample(t *testing.T) {
	t.Parallel()
	want := funcSource(t, "example_test.go", "quickstart")
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	got, ok := blockAfter(string(readme), readmeMarker)
	if !ok {
		t.Fatalf("README.md has no ```go block after %q", readmeMarker)
	}
	if got != want {
		t.Fatalf("README.md's Go snippet differs from func quickstart in example_test.go; copy it over.\nREADME.md:\n%s\nexample_test.go:\n%s", got, want)
	}
}

// funcSource is the source text of the function name in file, from its func
// keyword to its closing brace.
func funcSource(t *testing.T, file, name string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == name {
			return string(src[fset.Position(fn.Pos()).Offset:fset.Position(fn.End()).Offset])
		}
	}
	t.Fatalf("%s has no func %s", file, name)
	return ""
}

// blockAfter is the content of the first ```go fenced block after marker.
func blockAfter(doc, marker string) (string, bool) {
	_, rest, ok := strings.Cut(doc, marker)
	if !ok {
		return "", false
	}
	_, rest, ok = strings.Cut(rest, "```go\n")
	if !ok {
		return "", false
	}
	block, _, ok := strings.Cut(rest, "\n```\n")
	return block, ok
}
