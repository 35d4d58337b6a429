# Vintry — `make help` lists the targets.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# The flags of every test run: the race detector, with checkptr left off in
# modernc.org's C-to-Go SQLite (it is ~40 % of the suite's CPU there and
# checks only that machine-translated code; our own code keeps it).
TESTFLAGS := -race -count=1 -gcflags='modernc.org/...=-d=checkptr=0'
# The PostgreSQL that test-postgres uses; each test makes (and drops) its own schema in it.
VINTRY_TEST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable

.PHONY: help build run test test-postgres lint fuzz bench bench-quick soak

help: ## Show this help.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## Build the vintry binary into ./bin.
	go build -o bin/vintry ./cmd/vintry

run: ## Run the server with the demo tenant on 127.0.0.1:8080.
	go run ./cmd/vintry serve --demo

test: ## Run every test with the race detector (fuzz seed corpora included).
	go test $(TESTFLAGS) -timeout 45m ./...

test-postgres: ## Run the API, store (schema parity included) and CLI tests on PostgreSQL (VINTRY_TEST_POSTGRES, default local).
	VINTRY_TEST_POSTGRES='$(VINTRY_TEST_POSTGRES)' go test $(TESTFLAGS) -timeout 45m ./http/ ./store/ ./postgres/... ./cmd/...

lint: ## gofmt, go vet and staticcheck.
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go vet ./...
	go run $(STATICCHECK) ./...

fuzz: ## Run each fuzz target for FUZZTIME (default 60s).
	for t in FuzzReader FuzzReadUpload FuzzParseFieldMappings; do go test -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-60s} ./csvin/ || exit 1; done
	for t in FuzzParseQuantity FuzzParseDate; do go test -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-60s} ./importer/ || exit 1; done
	go test -run '^$$' -fuzz '^FuzzImportJSON$$' -fuzztime $${FUZZTIME:-60s} ./http/

bench: ## Benchmark imports against the physical limit (minutes); BENCH_FLAGS='--database postgres://...' for PostgreSQL.
	go run ./cmd/vintry-bench --json $${BENCH_JSON:-bench.json} $(BENCH_FLAGS)

bench-quick: ## A smoke run of the benchmark with small numbers (seconds).
	go run ./cmd/vintry-bench --runs 5 --warmup 1 --sustain 3s --large-rows 20000 --json $${BENCH_JSON:-bench-quick.json} $(BENCH_FLAGS)

soak: ## Soak test: 50 clients for 2 minutes against a real server; SOAK_FLAGS='--database postgres://...' for PostgreSQL.
	go run ./cmd/vintry-load $(SOAK_FLAGS)
