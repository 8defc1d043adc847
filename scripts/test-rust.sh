#!/usr/bin/env bash
# Rust: formatting, lints, the dependency policy (deny.toml), no module import cycle, every
# unit/vector/property test, and the pure crates built for wasm32.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# Licenses, duplicate versions and sources; not advisories (deny.toml says why).
cargo deny --log-level error check licenses bans sources
# No import cycle between the modules of any crate (the check's own tests first).
python3 -m unittest discover -s tests/tools -q
python3 scripts/check-module-cycles.py
cargo test --workspace
cargo build -p mitgate-core -p mitgate-dialects --target wasm32-unknown-unknown --release
