#!/usr/bin/env bash
# Reliability checks that are not end-to-end tests: every fuzz target (fuzz/, scripts/fuzz.sh) for a short
# budget, failing on any crash. The Worker's reliability suites (concurrency per store, faults, bad-input
# catalogue, card-data scan) run with the other end-to-end tests in scripts/test-worker.sh.
#   FUZZ_RUNS=200000 scripts/test-reliability.sh    # the longer run recorded in README.md ("Reliability")
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_RUNS=${FUZZ_RUNS:-20000} bash scripts/fuzz.sh
