#!/usr/bin/env bash
# The Worker end to end: build it with worker-build (offline: the *_BIN overrides), produce the native engine's
# answers for every conformance vector, then drive the Worker and the sandbox processor under Miniflare
# (node:test, tests/worker/). Miniflare instances are disposed by the tests; nothing is left running.
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false

# Native checks of the Worker's handlers run with `cargo test --workspace` (scripts/test-rust.sh); the
# wasm32 lints of its runtime shell run here.
cargo clippy -p mitgate-worker --target wasm32-unknown-unknown -- -D warnings

# The release build (what `make dev` runs and bench/check-sizes.sh measures), and the tests' build with the
# fault-injection hooks (cargo feature `test-hooks`, crates/worker/build-test), which the Miniflare tests run.
bash scripts/build-worker.sh
MITGATE_WORKER_TEST_HOOKS=1 bash scripts/build-worker.sh
# The hooks are in the tests' build only: the release .wasm does not even hold their headers' names or the
# fault `disconnect-after-send` (runtime/hooks.rs: without the feature, the clock and disconnect hooks are
# empty and cost a release build nothing).
for hook in x-mitgate-test-fault x-mitgate-test-now disconnect-after-send; do
  if grep -q "$hook" crates/worker/build/index_bg.wasm; then
    echo "FAIL: the release Worker contains the test hook $hook" >&2
    exit 1
  fi
  grep -q "$hook" crates/worker/build-test/index_bg.wasm || {
    echo "FAIL: the tests' Worker lacks the test hook $hook" >&2
    exit 1
  }
done

mkdir -p tests/out
# The native runner writes the exact corpus count (tests/out/vector-count.json); the Worker's run compares.
rm -f tests/out/vector-count.json
cargo test -q -p mitgate-core --test vectors
cargo run -q -p mitgate-worker --example native_decisions -- tests/vectors > tests/out/native_decisions.jsonl
echo "native answers: $(wc -l < tests/out/native_decisions.jsonl) conformance vectors"

node --test --test-concurrency=1 tests/worker/
