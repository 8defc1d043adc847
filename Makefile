# mitgate: `make dev` runs the product, `make test` runs every test. Both install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup dev test test-rust test-wasm test-worker test-contract test-dev-stop test-reliability lint bench wasm-pkg

help: ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: ## Install the Rust target, cargo tools and npm packages this repository needs
	bash scripts/setup.sh

dev: setup ## Run the Worker on 127.0.0.1:8787 with local KV and the sandbox processor; an edit is rebuilt and reloaded
	bash scripts/dev.sh

test: setup ## Run every test: Rust (lints, deny.toml, module cycles, unit, vectors, properties), wasm package in Node and browser, Worker end to end, API contract, make dev started and stopped 10 times, fuzz, sizes
	bash scripts/test-rust.sh
	bash scripts/test-wasm.sh
	bash scripts/test-worker.sh
	bash scripts/test-contract.sh
	bash scripts/test-dev-stop.sh
	bash scripts/test-reliability.sh
	bash bench/check-sizes.sh

test-rust: ## Rust only: fmt, clippy, unit + conformance vectors + property tests, wasm32 build
	bash scripts/test-rust.sh

test-wasm: ## The npm package: build, tsc --noEmit, Node vector tests, browser test
	bash scripts/test-wasm.sh

test-worker: ## The Worker end to end under Miniflare
	bash scripts/test-worker.sh

test-contract: ## The API contract against make dev's Worker: openapi.yaml validated and linted, every answer checked against it, the docs' examples run, Schemathesis (all phases), the documents' flows through make dev with each store
	bash scripts/test-contract.sh

test-dev-stop: ## make dev started 10 times (each Worker started once) and stopped with Ctrl-C or SIGTERM (when up, after an edit as it rebuilds, after a start that built): every process gone, every port free (part of make test; about 10 min)
	bash scripts/test-dev-stop.sh

test-reliability: ## Fuzz every target for a short budget (FUZZ_RUNS, default 20000)
	bash scripts/test-reliability.sh

bench: ## Criterion benchmarks of the engine
	cargo bench -p mitgate-core --bench decision

.PHONY: dashboard
wasm-pkg: ## Build the npm package crates/wasm/pkg (Node CommonJS + ESM, browser ES module) from crates/wasm
	bash crates/wasm/build-pkg.sh

dashboard: setup wasm-pkg ## Serve the dashboard (js-demo/dashboard) on http://127.0.0.1:8088/ (PORT=... to change)
	rm -rf js-demo/dashboard/pkg && cp -r crates/wasm/pkg/web js-demo/dashboard/pkg
	@echo "dashboard: http://127.0.0.1:$${PORT:-8088}/  (Ctrl-C stops it)"
	python3 -m http.server $${PORT:-8088} --bind 127.0.0.1 --directory js-demo/dashboard

.PHONY: perf
perf: setup ## Every figure in PERFORMANCE.md: engine before/after, Node vs JS and cedar-wasm, Worker load, sizes
	bash bench/run-all.sh
