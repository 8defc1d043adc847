#!/usr/bin/env bash
# Builds the Worker into crates/worker/build/ with worker-build, the one way every caller builds it:
# wrangler.toml's [build] command (`make dev`, `wrangler deploy`), scripts/test-worker.sh and bench/load.sh.
# Offline-safe: worker-build uses the pinned wasm-bindgen from cargo and wasm-opt/esbuild from node_modules
# instead of downloading them (scripts/setup.sh installs all three).
# MITGATE_WORKER_TEST_HOOKS=1 builds the end-to-end tests' Worker instead: the cargo feature `test-hooks`
# (fault injection, src/runtime/hooks.rs) into crates/worker/build-test/. Release builds (`make dev`,
# `wrangler deploy`, the size check) never set it.
# Built for size: opt-level "z" (as crates/wasm/build-pkg.sh does for the browser) and wasm-opt with inlining
# off (crates/worker/Cargo.toml, [package.metadata.wasm-pack.profile.release]). PERFORMANCE.md, "Size".
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_PROFILE_RELEASE_OPT_LEVEL=z
export WASM_BINDGEN_BIN=wasm-bindgen
export WASM_OPT_BIN="$PWD/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$PWD/node_modules/.bin/esbuild"
if [ "${MITGATE_WORKER_TEST_HOOKS:-}" = 1 ]; then
  exec worker-build --release --out-dir build-test crates/worker --features test-hooks
fi
exec worker-build --release crates/worker
