#!/usr/bin/env bash
# Validates the Kubernetes manifests in deploy/k8s (or the paths given) with
# kubeconform, strictly, against schemas that need no download from GitHub:
# k8sschemas/ converts the OpenAPI documents that the pinned Go module
# sigs.k8s.io/kubectl-validate embeds (fetched once through the Go module proxy,
# hash-checked) into kubeconform's layout under .k8s-schemas/. Kinds of
# operators (the ServiceMonitor) have hand-written schemas in crdschemas/.
#
# For a directory it also checks the kustomizations under it, since what
# `kubectl apply -k` applies is their output, not the files: every file must be
# named by a kustomization (kustomizations/), and each kustomization is
# rendered with kustomize (pinned in go.mod beside actionlint, the same
# kustomize that kubectl embeds) and its output validated like the files.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# The schema source, pinned by version and go.sum hash. v0.0.4 carries
# Kubernetes 1.23 to 1.30; KUBERNETES_VERSION must be one of them.
SCHEMA_MODULE="sigs.k8s.io/kubectl-validate@v0.0.4"
SCHEMA_SUM="h1:tGKuv0awYHn11Cb6KPsZKxUmHgavF46K3NvVH0Nse9U="
KUBERNETES_VERSION="${KUBERNETES_VERSION:-1.30.0}"
schemas="$here/.k8s-schemas"

(cd "$here" && go run ./k8sschemas -module "$SCHEMA_MODULE" -sum "$SCHEMA_SUM" \
	-kubernetes-version "$KUBERNETES_VERSION" -out "$schemas")

kubeconform() {
	go tool -modfile="$root/tools/go.mod" kubeconform \
		-kubernetes-version "$KUBERNETES_VERSION" \
		-schema-location "$schemas/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
		-schema-location "$here/crdschemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
		-strict \
		-summary \
		-ignore-filename-pattern 'kustomization\.ya?ml$' \
		"$@"
}

[ $# -gt 0 ] || set -- "$root/deploy/k8s"
cd "$root"
# Each file on its own: the errors name the file.
kubeconform "$@"
# Each kustomization under a directory: its files all named, its output valid.
for path in "$@"; do
	[ -d "$path" ] || continue
	builds="$(go -C "$here" run ./kustomizations "$(cd "$path" && pwd)")"
	for dir in $builds; do
		echo "lint-k8s: kustomize build ${dir#"$root"/}"
		go -C "$here" tool kustomize build "$dir" | kubeconform -
	done
done
