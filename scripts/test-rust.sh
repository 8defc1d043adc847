#!/usr/bin/env bash
# Rust: formatting, lints, every unit/vector/property test, and the pure crates built for wasm32.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace
cargo build -p mitgate-core -p mitgate-dialects --target wasm32-unknown-unknown --release
