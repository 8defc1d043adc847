#!/usr/bin/env bash
# Installs what a fresh machine lacks. Safe to run repeatedly: each step is a no-op when done.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown
rustup component add clippy rustfmt >/dev/null 2>&1 || true

# Exact versions: the CLI must equal the wasm-bindgen crate (=0.2.130). `--locked` fails for this
# CLI version on the registry copy, so it is installed without it (see TOOLCHAIN.md).
if ! wasm-bindgen --version 2>/dev/null | grep -q '0.2.130'; then
  cargo install wasm-bindgen-cli --version 0.2.130
fi
if ! worker-build --version 2>/dev/null | grep -q '0.8.7'; then
  cargo install worker-build --version 0.8.7 --locked
fi
# The dependency policy check (deny.toml) in `make test`: about 5-8 min to build once on 2 cores.
if ! cargo deny --version 2>/dev/null | grep -q '0.20.2'; then
  cargo install cargo-deny --version 0.20.2 --locked
fi

if [ ! -d node_modules ] || [ package.json -nt node_modules/.installed ] || [ package-lock.json -nt node_modules/.installed ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
  touch node_modules/.installed
fi

# Python test tools: one shared virtualenv (.venv), one pinned requirements file per purpose
# (tests/*/requirements.txt), each reinstalled only when it changes.
if [ ! -x .venv/bin/python3 ]; then python3 -m venv .venv; fi
for req in tests/*/requirements.txt; do
  stamp=".venv/.installed-${req//\//_}"
  if [ ! -f "$stamp" ] || [ "$req" -nt "$stamp" ]; then
    .venv/bin/pip install -q --disable-pip-version-check -r "$req"
    touch "$stamp"
  fi
done
