// Command kustomizations checks that a tree of Kubernetes manifests is made of
// kustomizations and nothing else, and lists the ones to render.
//
// Rendering a kustomization (kustomize build) proves that every file it names
// exists and that they combine; it cannot see a manifest that no kustomization
// names, which `kubectl apply -k` would then silently leave out. So every file
// under each root must be named by a kustomization of the tree (resources,
// components, patches, generator files, …), except the kustomization files
// themselves. It prints the directories of the kustomizations that build on
// their own (kind Kustomization, not Component), one a line, for
// tools/lint/lint-k8s.sh to render and validate.
//
// Usage:
//
//	go run ./kustomizations ROOT...
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: kustomizations ROOT...")
		os.Exit(2)
	}
	failed := false
	for _, root := range os.Args[1:] {
		builds, problems, err := check(root)
		if err != nil {
			fmt.Fprintln(os.Stderr, "kustomizations:", err)
			os.Exit(1)
		}
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "kustomizations:", p)
			failed = true
		}
		for _, b := range builds {
			fmt.Println(b)
		}
	}
	if failed {
		os.Exit(1)
	}
}

// check walks root: it returns the directories whose kustomization builds on
// its own, and a problem for each file no kustomization names.
func check(root string) (builds, problems []string, err error) {
	var files []string
	named := map[string]bool{}
	kustomizations := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !isKustomizationFile(d.Name()) {
			files = append(files, filepath.Clean(path))
			return nil
		}
		kustomizations++
		k, err := read(path)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		if k.Kind != types.ComponentKind {
			builds = append(builds, dir)
		}
		for _, ref := range references(k) {
			named[filepath.Join(dir, ref)] = true
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if kustomizations == 0 {
		return nil, nil, fmt.Errorf("%s holds no kustomization", root)
	}
	sort.Strings(files)
	for _, f := range files {
		if !named[f] {
			problems = append(problems, fmt.Sprintf("%s is in no kustomization, so kubectl apply -k would leave it out: name it in the resources of %s, or delete it",
				f, filepath.Join(filepath.Dir(f), konfig.DefaultKustomizationFileName())))
		}
	}
	return builds, problems, nil
}

// isKustomizationFile reports whether name is one kustomize reads as a
// kustomization.
func isKustomizationFile(name string) bool {
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		if name == n {
			return true
		}
	}
	return false
}

// read parses a kustomization file.
func read(path string) (*types.Kustomization, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var k types.Kustomization
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	k.FixKustomization()
	if k.Kind != "" && k.Kind != types.KustomizationKind && k.Kind != types.ComponentKind {
		return nil, errors.New(path + ": kind " + k.Kind + " is neither Kustomization nor Component")
	}
	return &k, nil
}

// references are the local paths a kustomization names, relative to its
// directory: remote resources and inline patches are no files here.
func references(k *types.Kustomization) []string {
	var refs []string
	add := func(paths ...string) {
		for _, p := range paths {
			if p != "" && !strings.Contains(p, "://") && !strings.Contains(p, "\n") {
				refs = append(refs, p)
			}
		}
	}
	add(k.Resources...)
	add(k.Components...)
	add(k.Crds...)
	add(k.Configurations...)
	add(k.Generators...)
	add(k.Transformers...)
	add(k.Validators...)
	for _, p := range k.Patches {
		add(p.Path)
	}
	for _, p := range k.PatchesJson6902 {
		add(p.Path)
	}
	for _, p := range k.PatchesStrategicMerge {
		add(string(p))
	}
	for _, r := range k.Replacements {
		add(r.Path)
	}
	generated := func(g types.GeneratorArgs) {
		add(g.EnvSources...)
		for _, f := range g.FileSources {
			// files: [key=path] or [path]
			if _, path, ok := strings.Cut(f, "="); ok {
				f = path
			}
			add(f)
		}
	}
	for _, g := range k.ConfigMapGenerator {
		generated(g.GeneratorArgs)
	}
	for _, g := range k.SecretGenerator {
		generated(g.GeneratorArgs)
	}
	return refs
}
