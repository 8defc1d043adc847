#!/usr/bin/env bash
# The Worker under load (bench/load.mjs), against wrangler dev on 127.0.0.1, started the way scripts/dev.sh
# starts it (same wrangler, same flags, local KV) but on ports of its own, with state under bench/out, and
# with the Worker built once beforehand (wrangler.toml's [build] command) instead of by wrangler. Both stores
# are measured in the same run, against the same pass-through Worker and sandbox:
#   mitgate, KV store              127.0.0.1:$BENCH_MITGATE_PORT (8797)
#   mitgate, Durable Object store  127.0.0.1:$BENCH_MITGATE_DO_PORT (BENCH_MITGATE_PORT + 3: 8800)
#   sandbox processor              127.0.0.1:$BENCH_SANDBOX_PORT (8798)
#   pass-through                   127.0.0.1:$BENCH_PASSTHROUGH_PORT (8799), bench/passthrough/worker.js
#   mitgate, each store again with MITGATE_REQUEST_LOG=errors: BENCH_MITGATE_DO_PORT + 1 and + 2 (8801, 8802)
# and wrangler's inspector proxies on BENCH_INSPECTOR_PORT .. +5 (9247-9252), so two runs on other ports do not
# clash (the profiles use workerd's own inspector of each mitgate, on a port workerd chooses).
# Bounded: DURATION seconds per load run (default 10; bench/load.mjs says how many runs); every process
# started here is stopped on exit (scripts/lib.sh, shared with scripts/dev.sh: start, wait, stop).
# STORAGE_ONLY=1: the storage counts only. MITGATE_STORE=kv or durable_object: that store only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/bench/out"
mkdir -p "$OUT/logs"
PORT=${BENCH_MITGATE_PORT:-8797}
SANDBOX_PORT=${BENCH_SANDBOX_PORT:-8798}
PASS_PORT=${BENCH_PASSTHROUGH_PORT:-8799}
DO_PORT=${BENCH_MITGATE_DO_PORT:-$((PORT + 3))}
INSPECT=${BENCH_INSPECTOR_PORT:-9247}
STORES=${MITGATE_STORE:-kv durable_object}
WRANGLER="$ROOT/node_modules/.bin/wrangler"
LIB_NAME=load
LIB_PORT_HINT="BENCH_MITGATE_PORT, BENCH_MITGATE_DO_PORT, BENCH_SANDBOX_PORT, BENCH_PASSTHROUGH_PORT, BENCH_INSPECTOR_PORT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
# shellcheck source=bench/upstreams.sh
source bench/upstreams.sh
lib_wrangler_env

lib_require_free_ports "$PORT" "$DO_PORT" $((DO_PORT + 1)) $((DO_PORT + 2)) "$SANDBOX_PORT" "$PASS_PORT" $(seq "$INSPECT" $((INSPECT + 5)))

if [ "${SKIP_WORKER_BUILD:-}" != 1 ]; then
  echo "load: building the Worker (wrangler.toml's [build] command)"
  bash scripts/build-worker.sh > "$OUT/logs/worker-build.log" 2>&1
fi
# wrangler.toml without its [build] section (the build is done) and with an absolute `main`.
sed -e '/^\[build\]/,/^$/d' -e "s|^main = \"crates/worker/build/index.js\"|main = \"$ROOT/crates/worker/build/index.js\"|" \
  wrangler.toml > "$OUT/wrangler.mitgate.toml"
rm -rf "$OUT/wrangler-state"

trap lib_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_start_upstreams "$OUT/wrangler-state" "$OUT/logs/"
# One mitgate per store, each with its own state (its KV namespaces and objects).
urls=()
groups=()
# Each store twice: as deployed (MITGATE_REQUEST_LOG unset: a log line per request) and, labelled
# `<store>+errors-log`, with MITGATE_REQUEST_LOG=errors (docs/worker.md, "Logs"): what the per-request line
# costs under wrangler dev, in the same run. QUIET_VARIANT=0 leaves the second out.
targets=$STORES
if [ "${QUIET_VARIANT:-1}" = 1 ] && [ "${STORAGE_ONLY:-}" != 1 ]; then for store in $STORES; do targets="$targets $store+errors-log"; done; fi
for target in $targets; do
  store=${target%+errors-log}
  case $target in
    kv) port=$PORT inspector=$INSPECT ;;
    durable_object) port=$DO_PORT inspector=$((INSPECT + 3)) ;;
    kv+errors-log) port=$((DO_PORT + 1)) inspector=$((INSPECT + 4)) ;;
    durable_object+errors-log) port=$((DO_PORT + 2)) inspector=$((INSPECT + 5)) ;;
    *) echo "load: MITGATE_STORE must be kv or durable_object, not $store" >&2; exit 1 ;;
  esac
  vars=(--var 'MITGATE_MERCHANT_KEYS:{"sk_test_demo":"demo"}' --var "MITGATE_STORE:$store")
  if [ "$target" != "$store" ]; then vars+=(--var "MITGATE_REQUEST_LOG:errors"); fi
  for d in infinic coinflow spg axerve; do vars+=(--var "PROCESSOR_URL_${d^^}:http://127.0.0.1:$SANDBOX_PORT/$d"); done
  lib_start "$OUT/logs/mitgate.$target.log" \
    "$WRANGLER" dev -c "$OUT/wrangler.mitgate.toml" --ip 127.0.0.1 --port "$port" --inspector-port "$inspector" \
    --show-interactive-dev-session=false --persist-to "$OUT/wrangler-state/$target" "${vars[@]}"
  urls+=("$target=http://127.0.0.1:$port")
  groups+=("$target=${LIB_GROUPS[-1]}")
done

lib_wait_up "http://127.0.0.1:$SANDBOX_PORT/" sandbox "$OUT/logs/sandbox.log" 180 any
lib_wait_up "http://127.0.0.1:$PASS_PORT/" pass-through "$OUT/logs/passthrough.log" 180 any
for u in "${urls[@]}"; do
  lib_wait_up "${u#*=}/" "mitgate (${u%%=*})" "$OUT/logs/mitgate.${u%%=*}.log" 180 any
done
# The profiles go to workerd's own inspector of each mitgate (scripts/lib.sh, lib_runtime_inspector).
inspectors=()
for g in "${groups[@]}"; do
  port=$(lib_runtime_inspector "${g#*=}" mitgate)
  if [ -n "$port" ]; then inspectors+=("${g%%=*}=$port"); else echo "load: no runtime inspector found for ${g%%=*}: no profile" >&2; fi
done

suffix=
if [ "$STORES" != "kv durable_object" ]; then suffix=".${STORES// /-}"; fi
if [ "${STORAGE_ONLY:-}" = 1 ]; then suffix="$suffix.storage"; fi
MITGATE_URLS="${urls[*]}" INSPECTORS="${inspectors[*]}" PASSTHROUGH_URL="http://127.0.0.1:$PASS_PORT" \
  node bench/load.mjs --json "$OUT/load$suffix.json" 2>&1 | tee "$OUT/load$suffix.txt"
