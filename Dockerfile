# syntax=docker/dockerfile:1
# Multi-stage build of the static accounts binary. `make build` builds it exactly
# the same way, and a test runs that binary with no files beside it, as nobody.
#
#   docker buildx build --build-arg VERSION=v1.2.3 -t accounts .
#   docker buildx build --platform linux/amd64,linux/arm64 ...   (no QEMU needed)
#
# The build stage always runs on the builder's own platform and cross-compiles
# (GOOS/GOARCH from TARGETOS/TARGETARCH), and the runtime stage only copies a
# file, so a multi-arch build never emulates anything.

# The Go release is the Makefile's (GOTOOLCHAIN there): the first 1.26 without
# the standard-library vulnerabilities make vulncheck finds in earlier ones. The
# official image sets GOTOOLCHAIN=local, which would ignore go.mod's toolchain
# line and build with whatever 1.26.x a cached base image holds.
FROM --platform=$BUILDPLATFORM golang:1.26.11-bookworm AS build
WORKDIR /src
# Modules first, so this step is cached until go.mod/go.sum change. It comes before
# any ARG on purpose: build args are part of a RUN's cache key, and this step is
# the same for every target platform and version.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
# An empty /keys owned by nonroot, where the signing keys are mounted: a new
# named volume mounted there (deploy/docker-compose.yml) takes this ownership, so
# `accounts keys generate --out /keys/...` can write into it as nonroot.
RUN mkdir -p /out/keys
# Only what the binary is built from: the spec, migrations and docs assets are
# embedded (gen/api, schema, server/docs).
COPY cmd ./cmd
COPY gen ./gen
COPY schema ./schema
COPY server ./server
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/accounts ./cmd/accounts

# No shell, no package manager; CA certificates and tzdata included. No HEALTHCHECK:
# probes are the orchestrator's job (deploy/k8s: HTTP probes; deploy/docker-compose.yml:
# a healthcheck that runs the binary itself).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/accounts /accounts
COPY --from=build --chown=65532:65532 /out/keys /keys
# uid/gid 65532. Kubernetes cannot check runAsNonRoot against a user *name*, so
# deploy/k8s sets runAsUser: 65532 explicitly.
USER nonroot
EXPOSE 8080
ENTRYPOINT ["/accounts"]
CMD ["serve"]
