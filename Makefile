# ftpsbridge: `make run` serves the embedded default config, `make test`
# installs what the tests need and runs them.
GO      ?= go
BIN     := bin/ftpsbridge
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
FUZZTIME ?= 10s

.PHONY: build run test test-deps lint fuzz bench loadtest clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/ftpsbridge

run: build
	./$(BIN) serve

# Missing clients or emulators fail the tests instead of skipping them.
test: test-deps lint
	FTPSBRIDGE_REQUIRE_CLIENTS=1 $(GO) test -count=1 -timeout 20m ./...
	cd deploy/k8stest && $(GO) test -count=1 ./...
	$(MAKE) fuzz FUZZTIME=5000x

test-deps:
	./scripts/test-deps.sh

# go vet, gofmt, then golangci-lint with the linters .golangci.yml names
# (installed by test-deps; GOLANGCI_LINT=path to use another binary).
GOLANGCI_LINT ?= .tools/bin/golangci-lint
lint:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	@command -v $(GOLANGCI_LINT) >/dev/null || { echo "$(GOLANGCI_LINT) missing: run make test-deps"; exit 1; }
	$(GOLANGCI_LINT) run ./...

# Short runs of every fuzz target; the seed corpora run in `go test` too.
# `make test` bounds them by execution count, not time: Go 1.26's fuzz
# coordinator can fail a duration-bounded run with "context deadline
# exceeded" at the deadline under CPU contention (go.dev/issue/75804).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseCommand$$' -fuzztime $(FUZZTIME) ./ftps/
	$(GO) test -run '^$$' -fuzz '^FuzzParseAddress$$' -fuzztime $(FUZZTIME) ./ftps/
	$(GO) test -run '^$$' -fuzz '^FuzzListArgs$$' -fuzztime $(FUZZTIME) ./ftps/
	$(GO) test -run '^$$' -fuzz '^FuzzProxyHeader$$' -fuzztime $(FUZZTIME) ./ftps/
	$(GO) test -run '^$$' -fuzz '^FuzzResolve$$' -fuzztime $(FUZZTIME) ./mapping/
	$(GO) test -run '^$$' -fuzz '^FuzzIsolation$$' -fuzztime $(FUZZTIME) ./mapping/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/config/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeAnswer$$' -fuzztime $(FUZZTIME) ./mapping/identity/

# 200 concurrent FTPS sessions against the local S3 server, 20 of them
# moving 32 MiB files; prints errors, peak RSS and p50/p99 latency.
# `make test` runs the same test with 4 large files.
loadtest: test-deps
	FTPSBRIDGE_LOAD=full FTPSBRIDGE_REQUIRE_CLIENTS=1 $(GO) test -count=1 -run '^TestLoad$$' -v -timeout 20m ./internal/e2e/ | grep -E 'load:|^(---|ok|FAIL)'

# Throughput and memory against the local S3 server, as ratios to the SDK
# and to plain TLS measured in the same run (see README, Performance).
# Not part of `make test`: it moves several GiB and takes minutes. A
# missing contender (nginx, openssl) fails it rather than skipping.
bench: test-deps
	FTPSBRIDGE_REQUIRE_CLIENTS=1 $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./internal/e2e/
	$(GO) test -run '^$$' -bench . -benchtime 3x ./ftps/
	$(GO) test -run '^$$' -bench . -benchtime 20000x ./internal/events/
	$(GO) test -run '^$$' -bench BenchmarkResumeFirstByte -benchtime 1x ./backends/s3/

clean:
	rm -rf bin
