#!/usr/bin/env bash
# Reproduces every figure in PERFORMANCE.md (`make perf`). Outputs: bench/out/*.txt (and .json).
#   1. engine natively, before/after the hot-spot work, criterion + callgrind      bench/engine.sh
#   2. one decision in Node: mitgate (object and JSON APIs, agreement handle) vs hand-written JS vs cedar-wasm
#   3. the Worker under load vs a pass-through Worker, and 5. KV/DO operations     bench/load.sh
#      (with a CPU profile of each store's isolate per request kind: bench/profile.mjs)
#   4. sizes (gzip) against the budgets and cold start                             bench/check-sizes.sh, coldstart.mjs
#   6. the 10,000-attempt agreement, ledger unpruned and pruned: decision time, stored size
#                                                            crates/core/benches/ledger.rs
# Takes about 25-30 minutes on 2 busy cores (two criterion builds, a Worker build). QUICK=1 shortens the
# criterion runs.
# Every step runs under a time limit of its own (STEP_LIMITS below, in seconds; PERF_LIMIT_<STEP>=N overrides
# one, e.g. PERF_LIMIT_LOAD=2400): a step that fails or overruns is named ("make perf: step 3 (load) timed
# out after 1500 s"), its processes are stopped (bench/load.sh stops its Workers on the signal), and the run
# goes on with the next step. The run exits 1 at the end if any step failed, listing them.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
export ROOT OUT

step_engine() {
  bash bench/engine.sh
}
step_node() {
  bash crates/wasm/build-pkg.sh
  mkdir -p bench/node/node_modules
  ln -sfn "$ROOT/crates/wasm/pkg" bench/node/node_modules/mitgate-wasm
  "$OUT/decision_loop.after" input 20 > "$OUT/typical-20.json"
  node bench/node/engine-node.mjs "$OUT/typical-20.json" --json "$OUT/node.json" | tee "$OUT/node.txt"
}
step_load() {
  bash bench/load.sh # both stores and the pass-through in one run
}
step_sizes() {
  # A budget miss is reported here (and the step fails); make test fails on it too.
  local sizes=0
  bash bench/check-sizes.sh 2>&1 | tee "$OUT/sizes.txt" || sizes=$?
  node bench/coldstart.mjs --json "$OUT/coldstart.json" | tee "$OUT/coldstart.txt"
  if [ "$sizes" -ne 0 ]; then echo "make perf: a size budget is missed (bench/out/sizes.txt)" >&2; fi
  return "$sizes"
}
step_ledger() {
  local crit=(--noplot)
  if [ "${QUICK:-}" = 1 ]; then crit+=(--warm-up-time 1 --measurement-time 3); fi
  CRITERION_HOME="$OUT/criterion" cargo bench --quiet -p mitgate-core --bench ledger -- "${crit[@]}" 2>&1 | tee "$OUT/ledger.txt"
}
export -f step_engine step_node step_load step_sizes step_ledger

# name, function, limit in seconds (generous for a loaded machine: the longest step took 8-12 minutes).
STEPS=(
  "1 (engine, native)|step_engine|1800"
  "2 (engine in Node)|step_node|900"
  "3 and 5 (load, storage operations, profiles)|step_load|1500"
  "4 (sizes, cold start)|step_sizes|600"
  "6 (the 10,000-attempt agreement)|step_ledger|1200"
)
failed=()
started=$SECONDS
bash scripts/setup.sh || failed+=("setup (scripts/setup.sh)")
for s in "${STEPS[@]}"; do
  IFS='|' read -r name fn limit <<<"$s"
  key=${fn#step_}
  override="PERF_LIMIT_${key^^}"
  limit=${!override:-$limit}
  echo "== $name (limit $limit s)"
  t0=$SECONDS
  # timeout runs the step in a process group of its own and signals the whole group: the step's
  # `wrangler dev` processes are stopped by bench/load.sh's own trap (scripts/lib.sh, lib_stop).
  timeout --kill-after=60 "$limit" bash -c "set -euo pipefail; $fn"
  rc=$?
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    echo "make perf: step $name timed out after $limit s; its output so far is above" >&2
    failed+=("$name: timed out after $limit s")
  elif [ "$rc" -ne 0 ]; then
    echo "make perf: step $name failed (exit $rc)" >&2
    failed+=("$name: exit $rc")
  else
    echo "== $name: done in $((SECONDS - t0)) s"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "make perf: ${#failed[@]} step(s) did not finish, after $((SECONDS - started)) s:" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "== done in $((SECONDS - started)) s: bench/out/{engine,node,load,sizes,coldstart,ledger}.txt"
