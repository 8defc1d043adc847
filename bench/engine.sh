#!/usr/bin/env bash
# The engine natively, before and after the hot-spot work, in one run: builds the criterion benchmarks of
# the current tree and of a baseline commit (default: the commit before the performance changes), runs them
# one after the other, and counts instructions per decision with callgrind (repeatable whatever the load).
#
#   bash bench/engine.sh            # writes bench/out/engine.txt
#   BASE_REF=<commit> bash bench/engine.sh
#   QUICK=1 bash bench/engine.sh    # shorter criterion runs (--warm-up-time 1 --measurement-time 3)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/bench/out"
BASE_REF=${BASE_REF:-09b5e87}
mkdir -p "$OUT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
# The baseline needs a target directory of its own: cargo names a workspace member's artifacts by its path
# relative to the workspace root, so both trees' crates would share (and overwrite) the same files.
BASE_TARGET_DIR="$TARGET_DIR/perf-baseline"
export CRITERION_HOME="$OUT/criterion"

# The baseline tree: a detached worktree of BASE_REF with today's benchmark sources (they use only the
# public API), so both sides measure exactly the same workloads.
BASE="$OUT/baseline-src"
if [ ! -d "$BASE/.git" ] && [ ! -f "$BASE/.git" ]; then
  rm -rf "$BASE"
  git worktree prune
  git worktree add --detach "$BASE" "$BASE_REF" >/dev/null
fi
git -C "$BASE" checkout --quiet --force --detach "$BASE_REF"
rm -rf "$BASE/crates/core/benches" "$BASE/crates/core/examples/decision_loop.rs" "$BASE/crates/dialects/benches"
cp -r crates/core/benches "$BASE/crates/core/benches"
# The 10,000-attempt ledger benchmark needs `ledger_pruning`, which the baseline predates (bench/run-all.sh
# runs it on the current tree only).
rm -f "$BASE/crates/core/benches/ledger.rs"
mkdir -p "$BASE/crates/core/examples"
cp crates/core/examples/decision_loop.rs "$BASE/crates/core/examples/"
# Its `handle` mode needs the agreement handle (issue 14), which the baseline predates: the baseline's copy
# goes without it (engine.sh runs only its `rust` and `json` modes).
perl -0pi -e 's/^use mitgate_core::agreement_handle::AgreementHandle;\n//m; s/\n    if mode == "handle" \{.*?\n        return;\n    \}\n/\n/s' \
  "$BASE/crates/core/examples/decision_loop.rs"
if grep -q agreement_handle "$BASE/crates/core/examples/decision_loop.rs" && ! grep -q 'pub mod agreement_handle' "$BASE/crates/core/src/lib.rs"; then
  echo "engine.sh: could not take the handle mode out of the baseline's decision_loop.rs" >&2
  exit 1
fi
cp -r crates/dialects/benches "$BASE/crates/dialects/benches"
if ! grep -q 'name = "dialect"' "$BASE/crates/dialects/Cargo.toml"; then
  sed -i 's/^proptest.workspace = true$/proptest.workspace = true\ncriterion.workspace = true/' "$BASE/crates/dialects/Cargo.toml"
  printf '\n[[bench]]\nname = "dialect"\nharness = false\n' >> "$BASE/crates/dialects/Cargo.toml"
fi

CRIT_ARGS=(--noplot)
if [ "${QUICK:-}" = 1 ]; then CRIT_ARGS+=(--warm-up-time 1 --measurement-time 3); fi

build() { # $1: tree, $2: its target dir, $3: before|after
  (cd "$1" && CARGO_TARGET_DIR="$2" cargo bench --quiet -p mitgate-core -p mitgate-dialects --no-run 2>&1 | grep -v '^ *Executable' || true)
  (cd "$1" && CARGO_TARGET_DIR="$2" cargo build --quiet --profile bench -p mitgate-core --example decision_loop)
  cp "$2/release/examples/decision_loop" "$OUT/decision_loop.$3"
}
echo "== same answers: every conformance vector and dialect case, baseline vs current tree"
(cd "$BASE" && CARGO_TARGET_DIR="$BASE_TARGET_DIR" cargo run --quiet -p mitgate-wasm --example vectors_out -- \
  "$ROOT/tests/vectors" "$ROOT/tests/node/dialect-cases.json" "$OUT/native.before.json")
CARGO_TARGET_DIR="$TARGET_DIR" cargo run --quiet -p mitgate-wasm --example vectors_out -- \
  "$ROOT/tests/vectors" "$ROOT/tests/node/dialect-cases.json" "$OUT/native.after.json"
# Decisions and successes must be byte-identical. Input errors must name the same fields; their wording may
# differ when the baseline predates the JSON reader (core::json words serde's messages slightly differently).
# SAME_ANSWERS=require fails the run on a difference: use it when BASE_REF differs from the tree by speed work
# only. The default baseline (09b5e87) predates rules and answer fields added since (the network rules, the
# customer history, `typeDeclared`), so against it the differences are reported, not fatal: the benchmarks
# below compare the speed of one workload both engines allow.
if ! node bench/same-answers.mjs "$OUT/native.before.json" "$OUT/native.after.json" > "$OUT/identical.txt" 2>&1; then
  if [ "${SAME_ANSWERS:-report}" = require ]; then cat "$OUT/identical.txt" >&2; exit 1; fi
  echo "answers: $(head -1 "$OUT/identical.txt") (features added since $BASE_REF; bench/out/identical.txt lists them)"
else
  cat "$OUT/identical.txt"
fi

echo "== build: baseline $BASE_REF and the current tree"
build "$BASE" "$BASE_TARGET_DIR" before
build "$ROOT" "$TARGET_DIR" after
if cmp -s "$OUT/decision_loop.before" "$OUT/decision_loop.after"; then
  echo "FAIL: the baseline and current binaries are identical (a stale build?)" >&2
  exit 1
fi

run() { # $1: tree, $2: its target dir, $3: bench target (package:bench), $4: filter, then criterion's flags
  local pkg=${3%%:*} bench=${3##*:}
  (cd "$1" && CARGO_TARGET_DIR="$2" cargo bench --quiet -p "$pkg" --bench "$bench" -- "$4" "${CRIT_ARGS[@]}" "${@:5}")
}
# Each benchmark runs on the baseline, then at once on the current tree, so both of a pair see about the same
# machine load (other builds on shared cores move wall-clock figures by tens of percent within minutes).
BENCHES=(
  "mitgate-core:decision decision/evaluate/20$"
  "mitgate-core:decision decision/evaluate/1000$"
  "mitgate-core:decision decision/evaluate_json/20$"
  "mitgate-core:decision decision/evaluate_json/1000$"
  "mitgate-dialects:dialect dialect/coinflow_parse$"
  "mitgate-dialects:dialect dialect/coinflow_parse_evaluate/20$"
)
{
  echo "# engine benchmarks, $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# baseline $BASE_REF; current tree $(git rev-parse --short HEAD)$(git diff --quiet -- crates || echo ' with uncommitted changes')"
  for entry in "${BENCHES[@]}"; do
    read -r target filter <<< "$entry"
    echo "## baseline: $filter"
    run "$BASE" "$BASE_TARGET_DIR" "$target" "$filter" --save-baseline before
    echo "## current: $filter ('change' is against the baseline just measured)"
    run "$ROOT" "$TARGET_DIR" "$target" "$filter" --baseline before
  done
  echo "## instructions per decision (callgrind, the typical case with 20 entries; 1,000 decisions)"
  for side in before after; do
    for mode in rust json; do
      valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.$side.$mode" \
        "$OUT/decision_loop.$side" 1000 "$mode" > /dev/null 2>"$OUT/callgrind.$side.$mode.log"
      total=$(grep -m1 '^summary:' "$OUT/callgrind.$side.$mode" | awk '{print $2}')
      setup=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$OUT/decision_loop.$side" 0 "$mode" 2>&1 >/dev/null \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
      echo "$side $mode: $(( (total - setup) / 1000 )) instructions per decision"
    done
  done
} 2>&1 | tee "$OUT/engine.txt"
