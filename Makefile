# accounts: `make run` starts the service, `make test` runs every test.
# `make help` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Go 1.26.11: the first 1.26 release with the net/http, net/textproto,
# crypto/tls and crypto/x509 fixes that `make vulncheck` found missing in 1.26.8.
# The go command fetches it from the module proxy once (about 76 MB); machines set
# GOTOOLCHAIN=local, which ignores go.mod's toolchain line, so it is set here.
export GOTOOLCHAIN := go1.26.11
GO        ?= go
TOOL      := $(GO) tool -modfile=$(CURDIR)/tools/go.mod
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
BIN       := bin/accounts

# The database of `make run` and of the tests: DATABASE_URL / TEST_DATABASE_URL
# when set, otherwise a project-local cluster under .data/ (tools/devdb.sh).
RUN_DB  = $${DATABASE_URL:-$$(tools/devdb.sh start run)}
TEST_DB = $${TEST_DATABASE_URL:-$$(tools/devdb.sh start test)}

# Node packages: the TypeScript SDK, the browser test and the spec linter. Each is
# installed with `npm ci` from its lockfile, again only when the lockfile changes.
SDK  := sdk/typescript
E2E  := tools/e2e
LINT := tools/lint
NPM_CI := npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

%/node_modules/.package-lock.json: %/package-lock.json
	$(NPM_CI) --prefix $*

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_/-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

# Generation comes in pairs, as in riverqueue/river: generate/X rewrites the
# generated files of X in the work tree; verify/X regenerates them in a scratch
# copy of the repository and fails if they differ, leaving the work tree alone.
# verify/go and verify/sqlc need neither node nor a database.
GEN_GO   = cd gen && $(GO) generate -run 'oapi-codegen|cp ../openapi.yaml' ./...
GEN_SQLC = cd gen && $(GO) generate -run 'sqlc generate' ./...
GEN_TS   = npm run --prefix $(SDK) --silent generate

.PHONY: generate generate/go generate/sqlc generate/ts
generate: generate/go generate/sqlc generate/ts ## regenerate everything from openapi.yaml, queries/ and schema/ (never edit gen/ by hand)

generate/go: ## gen/api and gen/client from openapi.yaml (oapi-codegen)
	$(GEN_GO)

generate/sqlc: ## gen/db from queries/ and schema/ (sqlc)
	$(GEN_SQLC)

generate/ts: $(SDK)/node_modules/.package-lock.json ## the TypeScript SDK's types from openapi.yaml (openapi-typescript)
	$(GEN_TS)

# scratch runs $(1) in a copy of the work tree (tracked and untracked files, not
# ignored ones) and diffs the paths $(2) against the work tree.
define scratch
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$$tmp"; \
	if [ -d $(SDK)/node_modules ]; then ln -s "$(CURDIR)/$(SDK)/node_modules" "$$tmp/$(SDK)/node_modules"; fi; \
	(cd "$$tmp" && $(1)) >/dev/null; \
	for p in $(2); do \
		if ! diff -r -q "$$tmp/$$p" "$$p"; then \
			echo "$@: $$p is out of date with its sources; run make $(subst verify/,generate/,$@) and commit the result."; exit 1; fi; \
	done; echo "$@: $(2) up to date"
endef

.PHONY: verify verify/go verify/sqlc verify/ts vet/sqlc
verify: verify/go verify/sqlc verify/ts vet/sqlc ## fail if anything generated drifts from its sources; sqlc's checks; the SDK type-checks

verify/go: ## gen/api and gen/client are what openapi.yaml generates
	$(call scratch,$(GEN_GO),gen/api gen/client)

verify/sqlc: ## gen/db is what queries/ and schema/ generate
	$(call scratch,$(GEN_SQLC),gen/db)

verify/ts: $(SDK)/node_modules/.package-lock.json ## the TS SDK's types are what openapi.yaml generates; the SDK builds; its tests and scripts type-check
	$(call scratch,$(GEN_TS),$(SDK)/src/schema.ts)
	npm run --prefix $(SDK) --silent build
	npm run --prefix $(SDK) --silent typecheck

vet/sqlc: ## sqlc vet: prepare every query against a migrated database (needs PostgreSQL)
	@url="$(TEST_DB)"; \
	  vetdb="$$(tools/vetdb.sh "$$url")"; \
	  SQLC_DATABASE_URL="$$vetdb" $(TOOL) sqlc vet -f sqlc.yaml

.PHONY: lint
lint: lint-spec lint-workflows lint-k8s lint-prom vulncheck ## go vet, the spec lint, actionlint, kubeconform and kustomize, promtool and govulncheck
	$(GO) vet ./...

# The vulnerability database: golang.org/x/vulndb at a pinned commit, fetched from
# the module proxy and indexed locally, so govulncheck runs offline.
VULNDB_VERSION := v0.0.0-20261105234957-e22db6528018
VULNDB         := .data/vulndb/$(VULNDB_VERSION)

.PHONY: vulncheck
vulncheck: ## govulncheck against the pinned offline database; fails on called vulnerable code not excused in tools/vulndb/allow.txt
	@if [ ! -f $(VULNDB)/index/db.json ]; then \
		src=$$($(GO) mod download -json golang.org/x/vulndb@$(VULNDB_VERSION) | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$$/\1/p'); \
		test -d "$$src/data/osv" || { echo "vulncheck: golang.org/x/vulndb@$(VULNDB_VERSION) did not download"; exit 1; }; \
		rm -rf $(VULNDB); cd tools && $(GO) run ./vulndb build -osv "$$src/data/osv" -out $(CURDIR)/$(VULNDB); fi
	$(TOOL) govulncheck -db file://$(CURDIR)/$(VULNDB) -format json ./... > $(VULNDB).findings.json
	cd tools && $(GO) run ./vulndb check -allow vulndb/allow.txt < $(CURDIR)/$(VULNDB).findings.json

.PHONY: lint-spec
lint-spec: $(LINT)/node_modules/.package-lock.json ## lint openapi.yaml with Spectral and tools/lint/spectral.yaml
	$(LINT)/lint-spec.sh

.PHONY: lint-workflows
lint-workflows: ## validate .github/workflows with actionlint
	$(GO) tool -modfile=$(CURDIR)/$(LINT)/go.mod actionlint

.PHONY: lint-k8s
lint-k8s: ## validate deploy/k8s with kubeconform against pinned, offline schemas: each manifest, and each kustomization rendered by kustomize; every file in a kustomization
	$(LINT)/lint-k8s.sh

.PHONY: lint-prom
lint-prom: ## check deploy/prometheus/alerts.yaml with promtool, and run its unit tests
	promtool check rules deploy/prometheus/alerts.yaml
	promtool test rules deploy/prometheus/alerts_test.yaml

.PHONY: lint-selftest
lint-selftest: $(LINT)/node_modules/.package-lock.json ## prove every lint rule bites (tools/lint/testdata)
	$(LINT)/selftest.sh
	$(LINT)/selftest-k8s.sh

.PHONY: spec-diff
spec-diff: ## fail on breaking changes of the contract against a git ref: make spec-diff BASE=origin/main
	@test -n "$(BASE)" || { echo "usage: make spec-diff BASE=<git ref>"; exit 2; }
	tools/specdiff/spec-diff.sh "$(BASE)"

.PHONY: spec-diff-selftest
spec-diff-selftest: ## prove spec-diff reports breaking changes (tools/specdiff/testdata)
	tools/specdiff/selftest.sh

.PHONY: build
build: ## build the static binary as the Dockerfile does
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="$(LDFLAGS)" -o $(BIN) ./cmd/accounts

.PHONY: test
test: lint verify lint-selftest spec-diff-selftest test-go test-one-conn test-sdk test-browser ## run every test: lints, verify, Go (-race), Go on one-connection pools, the TS SDK's and the browser's, against real PostgreSQL

COVER := .data/cover.out

.PHONY: test-go
test-go: ## go test -race ./..., then statement coverage per package (merged across packages)
	@mkdir -p .data
	TEST_DATABASE_URL="$(TEST_DB)" $(GO) test -race -count=1 -coverpkg=./cmd/...,./server/...,./sdk/... -coverprofile=$(COVER) ./...
	@tools/coverage/summary.sh $(COVER) 80

.PHONY: test-one-conn
test-one-conn: ## the server's Go tests again, each service on a pool of one connection: a request that needs a second connection while it holds one hangs and fails
	TEST_DATABASE_URL="$(TEST_DB)" TEST_POOL_MAX_CONNS=1 $(GO) test -count=1 -timeout 5m ./server/...

.PHONY: test-scale
test-scale: build ## the scale-out checks on real HAProxy, PgBouncer (1.18, transaction mode) and PostgreSQL, all on 127.0.0.1
	ACCOUNTS_BIN=$(CURDIR)/$(BIN) $(GO) test -tags scale -count=1 -v -timeout 15m ./server/scaletest/ | grep -E '^(scale:|--- FAIL|FAIL|ok|panic)'

.PHONY: test-sdk
test-sdk: $(SDK)/node_modules/.package-lock.json ## the TypeScript SDK's tests, against a real server that sends mail to a Mailpit
	TEST_DATABASE_URL="$(TEST_DB)" WITH_MAIL=true tools/with-server.sh npm --prefix $(SDK) --silent test

.PHONY: test-browser
test-browser: $(E2E)/node_modules/.package-lock.json ## Swagger UI at /docs and the hosted account pages (mail via a throwaway Mailpit) in headless Chromium (fails without it when CI=true)
	TEST_DATABASE_URL="$(TEST_DB)" WITH_MAIL=true tools/with-server.sh npm --prefix $(E2E) --silent test

# The development signing key of `make run`, kept across runs so tokens survive
# a restart. Production keys come from `accounts keys generate` and a secret store.
DEV_KEYS := .data/dev-signing-keys.json
DEV_ENC_KEYS := .data/dev-encryption-keys.json

.PHONY: run
run: build ## start the service (ACCOUNTS_ADDR, default :8080) with a project-local PostgreSQL unless DATABASE_URL is set and a local Mailpit unless ACCOUNTS_SMTP_URL is; it prints its URLs once listening
	@url="$(RUN_DB)"; smtp="$${ACCOUNTS_SMTP_URL:-}"; mailui=""; \
	if [ -z "$$smtp" ]; then smtp="$$(tools/devmail.sh start)" && mailui="$$(tools/devmail.sh ui)" || exit 1; fi; \
	mkdir -p .data; [ -f $(DEV_KEYS) ] || $(BIN) keys generate --out $(DEV_KEYS); \
	[ -f $(DEV_ENC_KEYS) ] || $(BIN) keys generate --kind encryption --out $(DEV_ENC_KEYS); \
	echo "accounts: Ctrl-C stops the service; the data in .data/ is kept for the next run (make db-stop stops PostgreSQL and Mailpit)."; \
	echo "accounts: first admin: make admin EMAIL=you@example.com NAME='Your Name' (in another terminal)"; \
	DATABASE_URL="$$url" ACCOUNTS_SIGNING_KEYS="$${ACCOUNTS_SIGNING_KEYS:-$(DEV_KEYS)}" ACCOUNTS_ENCRYPTION_KEYS="$${ACCOUNTS_ENCRYPTION_KEYS:-$(DEV_ENC_KEYS)}" \
	ACCOUNTS_SMTP_URL="$$smtp" ACCOUNTS_MAIL_FROM="$${ACCOUNTS_MAIL_FROM:-Accounts <accounts@localhost>}" ACCOUNTS_MAIL_UI_URL="$$mailui" \
	ACCOUNTS_MIGRATE_ON_START=true ACCOUNTS_PRINT_URLS=true exec $(BIN) serve

.PHONY: admin
admin: build ## create an admin in the make-run database: make admin EMAIL=you@example.com NAME='Your Name'
	@test -n "$(EMAIL)" -a -n "$(NAME)" || { echo "usage: make admin EMAIL=you@example.com NAME='Your Name'"; exit 1; }
	@DATABASE_URL="$(RUN_DB)" $(BIN) admin create --email "$(EMAIL)" --name "$(NAME)"

.PHONY: db-stop
db-stop: ## stop the project-local PostgreSQL clusters and Mailpit
	tools/devdb.sh stop run
	tools/devdb.sh stop test
	tools/devmail.sh stop

.PHONY: migrate-new
migrate-new: ## create the next migration: make migrate-new NAME=add_something
	@test -n "$(NAME)" || { echo "usage: make migrate-new NAME=what_it_does"; exit 1; }
	@n=$$(ls schema/*.sql | sed -E 's|schema/0*([0-9]+)_.*|\1|' | sort -n | tail -1); \
	f=$$(printf "schema/%04d_%s.sql" $$((n + 1)) "$(NAME)"); \
	printf -- '-- +goose Up\n\n-- +goose Down\n' > $$f; echo "created $$f"

.PHONY: bench
bench: ## run the Go benchmarks
	TEST_DATABASE_URL="$(TEST_DB)" $(GO) test -run '^$$' -bench . -benchmem ./...

.PHONY: bench-load
bench-load: build ## the load benchmark: the real server and a bare net/http + pgx baseline on a fresh seeded database, with 1,000,000 more users for the list pages, about 5 minutes; the table goes to .data/bench-load.md (longer: make bench-load FLAGS='-window 10s -pairs 5'; without the list pages: FLAGS=-list=false)
	$(GO) -C tools/benchload build -o $(CURDIR)/bin/benchload .
	TEST_DATABASE_URL="$(TEST_DB)" bin/benchload -bin $(BIN) $(FLAGS)
