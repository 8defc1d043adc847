#!/usr/bin/env bash
# The Worker under load (bench/load.mjs), against wrangler dev on 127.0.0.1, started the way scripts/dev.sh
# starts it (same wrangler, same flags, local KV) but on ports of its own, with state under bench/out, and
# with the Worker built once beforehand (wrangler.toml's [build] command) instead of by wrangler:
#   mitgate            127.0.0.1:$BENCH_MITGATE_PORT (8797)
#   sandbox processor  127.0.0.1:$BENCH_SANDBOX_PORT (8798)
#   pass-through       127.0.0.1:$BENCH_PASSTHROUGH_PORT (8799), bench/passthrough/worker.js
# Bounded: DURATION seconds per load run (default 10), four runs; every process started here is stopped on exit
# (scripts/lib.sh, shared with scripts/dev.sh: start, wait, stop).
# MITGATE_STORE=durable_object: mitgate with its Durable Object store; STORAGE_ONLY=1: the storage counts only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/bench/out"
mkdir -p "$OUT/logs"
PORT=${BENCH_MITGATE_PORT:-8797}
SANDBOX_PORT=${BENCH_SANDBOX_PORT:-8798}
PASS_PORT=${BENCH_PASSTHROUGH_PORT:-8799}
WRANGLER="$ROOT/node_modules/.bin/wrangler"
LIB_NAME=load
LIB_PORT_HINT="BENCH_MITGATE_PORT, BENCH_SANDBOX_PORT, BENCH_PASSTHROUGH_PORT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
lib_wrangler_env

lib_require_free_ports "$PORT" "$SANDBOX_PORT" "$PASS_PORT"

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

lib_start "$OUT/logs/sandbox.log" \
  "$WRANGLER" dev -c sandbox/wrangler.toml --ip 127.0.0.1 --port "$SANDBOX_PORT" --inspector-port 9248 \
  --show-interactive-dev-session=false --persist-to "$OUT/wrangler-state" \
  --var "WEBHOOK_URL:" --var "WEBHOOK_MITGATE_KEY:"
vars=(--var 'MITGATE_MERCHANT_KEYS:{"sk_test_demo":"demo"}')
# MITGATE_STORE=durable_object runs mitgate with its exact store (default: wrangler.toml's, "kv").
if [ -n "${MITGATE_STORE:-}" ]; then vars+=(--var "MITGATE_STORE:$MITGATE_STORE"); fi
for d in infinic coinflow spg axerve; do vars+=(--var "PROCESSOR_URL_${d^^}:http://127.0.0.1:$SANDBOX_PORT/$d"); done
lib_start "$OUT/logs/mitgate.log" \
  "$WRANGLER" dev -c "$OUT/wrangler.mitgate.toml" --ip 127.0.0.1 --port "$PORT" --inspector-port 9247 \
  --show-interactive-dev-session=false --persist-to "$OUT/wrangler-state" "${vars[@]}"
lib_start "$OUT/logs/passthrough.log" \
  "$WRANGLER" dev -c bench/passthrough/wrangler.toml --ip 127.0.0.1 --port "$PASS_PORT" --inspector-port 9249 \
  --show-interactive-dev-session=false --persist-to "$OUT/wrangler-state" \
  --var "UPSTREAM:http://127.0.0.1:$SANDBOX_PORT"

lib_wait_up "http://127.0.0.1:$SANDBOX_PORT/" sandbox "$OUT/logs/sandbox.log" 180 any
lib_wait_up "http://127.0.0.1:$PORT/" mitgate "$OUT/logs/mitgate.log" 180 any
lib_wait_up "http://127.0.0.1:$PASS_PORT/" pass-through "$OUT/logs/passthrough.log" 180 any

MITGATE_URL="http://127.0.0.1:$PORT" PASSTHROUGH_URL="http://127.0.0.1:$PASS_PORT" \
  node bench/load.mjs --json "$OUT/load${MITGATE_STORE:+.$MITGATE_STORE}.json" 2>&1 | tee "$OUT/load${MITGATE_STORE:+.$MITGATE_STORE}.txt"
