# Vintry — `make help` lists the targets.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: help build run test lint fuzz

help: ## Show this help.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

build: ## Build the vintry binary into ./bin.
	go build -o bin/vintry ./cmd/vintry

run: ## Run the server with the demo tenant on 127.0.0.1:8080.
	go run ./cmd/vintry serve --demo

test: ## Run every test with the race detector (fuzz seed corpora included).
	go test -race -count=1 -timeout 20m ./...

lint: ## gofmt, go vet and staticcheck.
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	go vet ./...
	go run $(STATICCHECK) ./...

fuzz: ## Run each fuzz target for FUZZTIME (default 60s).
	for t in FuzzReader FuzzParseFieldMappings; do go test -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-60s} ./csvin/ || exit 1; done
	for t in FuzzParseQuantity FuzzParseDate; do go test -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-60s} ./importer/ || exit 1; done
