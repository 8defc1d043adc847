#!/usr/bin/env bash
# The Worker's answers before and after a change, byte for byte (issue 13: "decisions byte-identical"):
# builds the tests' Worker (feature `test-hooks`) of a baseline commit and of the current tree, records every
# answer of bench/answers.mjs on each (every conformance vector, every dialect case with a Worker route, and
# scenarios with state) with each store, and lists the answers that differ.
#
#   bash bench/answers-diff.sh                  # baseline: main
#   BASE_REF=<commit> bash bench/answers-diff.sh
#   SKIP_BUILD=1 bash bench/answers-diff.sh     # reuse both builds (crates/worker/build-test and the baseline's)
#   STORES="kv" bash bench/answers-diff.sh      # default: "kv durable_object"
#
# Writes bench/out/answers.{before,after}.<store>.json and bench/out/answers-diff.txt; exits 1 when any
# answer differs. Timestamps and generated ids (attempt ids, UUIDs, the sandbox's ids) are masked the same way
# on both sides before comparing; everything else must be equal.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/bench/out"
BASE_REF=${BASE_REF:-main}
STORES=${STORES:-kv durable_object}
mkdir -p "$OUT"
# The baseline tree: a detached worktree of BASE_REF inside the repository (Miniflare loads a Worker's
# modules only from below its working directory), built into a target directory of its own.
BASE="$OUT/answers-base-src"
if [ ! -e "$BASE/.git" ]; then
  rm -rf "$BASE"
  git worktree prune
  git worktree add --detach "$BASE" "$BASE_REF" >/dev/null
fi
git -C "$BASE" checkout --quiet --force --detach "$BASE_REF"
echo "baseline: $BASE_REF ($(git -C "$BASE" rev-parse --short HEAD)); current: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo ' + uncommitted changes')"

if [ "${SKIP_BUILD:-}" != 1 ]; then
  # The baseline uses this tree's wasm-opt and esbuild (build-worker.sh takes them from ./node_modules).
  [ -e "$BASE/node_modules" ] || ln -s "$ROOT/node_modules" "$BASE/node_modules"
  echo "building both test Workers (log: bench/out/answers-build.log)"
  (cd "$BASE" && CARGO_TARGET_DIR="$ROOT/target/answers-baseline" MITGATE_WORKER_TEST_HOOKS=1 bash scripts/build-worker.sh) \
    > "$OUT/answers-build.log" 2>&1
  MITGATE_WORKER_TEST_HOOKS=1 bash scripts/build-worker.sh >> "$OUT/answers-build.log" 2>&1
fi

fail=0
: > "$OUT/answers-diff.txt"
for store in $STORES; do
  node bench/answers.mjs record "$BASE/crates/worker/build-test" "$OUT/answers.before.$store.json" "$store"
  node bench/answers.mjs record crates/worker/build-test "$OUT/answers.after.$store.json" "$store"
  echo "== $store store" | tee -a "$OUT/answers-diff.txt"
  node bench/answers.mjs compare "$OUT/answers.before.$store.json" "$OUT/answers.after.$store.json" \
    | tee -a "$OUT/answers-diff.txt" || fail=1
done
exit "$fail"
