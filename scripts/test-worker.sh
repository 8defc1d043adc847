#!/usr/bin/env bash
set -euo pipefail
echo "test-worker: not built yet"
