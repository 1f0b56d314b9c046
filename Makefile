# Everyday commands. `make ci` runs exactly what CI runs.
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: run test build lint ci bench clean

run: ## run the embedded default on :8080 (SQLite, demo data, simulator)
	$(GO) run ./cmd/shianbao

test: ## the README's test command
	$(GO) test ./...

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/shianbao ./cmd/shianbao

lint:
	gofmt -l $$(git ls-files '*.go')
	$(GO) vet ./...
	staticcheck ./...

ci: ## MariaDB + Redis started if needed, lint, tests against real services
	.ci/run

bench: ## Go benchmarks (figures go to docs/BENCHMARKS.md with the command)
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin data
