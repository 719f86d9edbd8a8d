# syntax=docker/dockerfile:1
# Multi-stage build of the static accounts binary. `make build` builds it exactly
# the same way, and a test runs that binary with no files beside it.

FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
# Only what the binary is built from: the spec, migrations and docs are embedded.
COPY cmd ./cmd
COPY gen ./gen
COPY schema ./schema
COPY server ./server
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/accounts ./cmd/accounts

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/accounts /accounts
USER nonroot
EXPOSE 8080
ENTRYPOINT ["/accounts"]
CMD ["serve"]
