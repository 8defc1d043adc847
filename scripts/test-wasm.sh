#!/usr/bin/env bash
set -euo pipefail
echo "test-wasm: not built yet"
