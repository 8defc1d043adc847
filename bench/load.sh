#!/usr/bin/env bash
# The Worker under load (bench/load.mjs), against wrangler dev on 127.0.0.1, started the way scripts/dev.sh
# starts it (same wrangler, same flags, local KV) but on ports of its own, with state under bench/out, and
# with the Worker built once beforehand (wrangler.toml's [build] command) instead of by wrangler:
#   mitgate            127.0.0.1:$BENCH_MITGATE_PORT (8797)
#   sandbox processor  127.0.0.1:$BENCH_SANDBOX_PORT (8798)
#   pass-through       127.0.0.1:$BENCH_PASSTHROUGH_PORT (8799), bench/passthrough/worker.js
# Bounded: DURATION seconds per load run (default 10), four runs; every process started here is stopped on exit.
# MITGATE_STORE=durable_object: mitgate with its Durable Object store; STORAGE_ONLY=1: the storage counts only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/bench/out"
mkdir -p "$OUT/logs"
PORT=${BENCH_MITGATE_PORT:-8797}
SANDBOX_PORT=${BENCH_SANDBOX_PORT:-8798}
PASS_PORT=${BENCH_PASSTHROUGH_PORT:-8799}
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false \
  WRANGLER_HIDE_BANNER=true
WRANGLER="$ROOT/node_modules/.bin/wrangler"

for p in "$PORT" "$SANDBOX_PORT" "$PASS_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "load: port $p is already in use; stop it or set BENCH_*_PORT" >&2
    exit 1
  fi
done

if [ "${SKIP_WORKER_BUILD:-}" != 1 ]; then
  echo "load: building the Worker (wrangler.toml's [build] command)"
  bash scripts/build-worker.sh > "$OUT/logs/worker-build.log" 2>&1
fi
# wrangler.toml without its [build] section (the build is done) and with an absolute `main`.
sed -e '/^\[build\]/,/^$/d' -e "s|^main = \"crates/worker/build/index.js\"|main = \"$ROOT/crates/worker/build/index.js\"|" \
  wrangler.toml > "$OUT/wrangler.mitgate.toml"
rm -rf "$OUT/wrangler-state"

pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

set -m
"$WRANGLER" dev -c sandbox/wrangler.toml --ip 127.0.0.1 --port "$SANDBOX_PORT" --inspector-port 9248 \
  --show-interactive-dev-session=false --persist-to "$OUT/wrangler-state" \
  --var "WEBHOOK_URL:" --var "WEBHOOK_MITGATE_KEY:" > "$OUT/logs/sandbox.log" 2>&1 &
pids+=($!)
vars=(--var 'MITGATE_MERCHANT_KEYS:{"sk_test_demo":"demo"}')
# MITGATE_STORE=durable_object runs mitgate with its exact store (default: wrangler.toml's, "kv").
if [ -n "${MITGATE_STORE:-}" ]; then vars+=(--var "MITGATE_STORE:$MITGATE_STORE"); fi
for d in infinic coinflow spg axerve; do vars+=(--var "PROCESSOR_URL_${d^^}:http://127.0.0.1:$SANDBOX_PORT/$d"); done
"$WRANGLER" dev -c "$OUT/wrangler.mitgate.toml" --ip 127.0.0.1 --port "$PORT" --inspector-port 9247 \
  --show-interactive-dev-session=false --persist-to "$OUT/wrangler-state" "${vars[@]}" > "$OUT/logs/mitgate.log" 2>&1 &
pids+=($!)
"$WRANGLER" dev -c bench/passthrough/wrangler.toml --ip 127.0.0.1 --port "$PASS_PORT" --inspector-port 9249 \
  --show-interactive-dev-session=false --persist-to "$OUT/wrangler-state" \
  --var "UPSTREAM:http://127.0.0.1:$SANDBOX_PORT" > "$OUT/logs/passthrough.log" 2>&1 &
pids+=($!)
set +m

wait_up() { # url name log
  for _ in $(seq 1 180); do
    if curl -s -o /dev/null "$1" 2>/dev/null; then return 0; fi
    for pid in "${pids[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then echo "load: $2 exited; see $3" >&2; tail -30 "$3" >&2; exit 1; fi
    done
    sleep 1
  done
  echo "load: $2 did not come up in 3 minutes; see $3" >&2
  exit 1
}
wait_up "http://127.0.0.1:$SANDBOX_PORT/" sandbox "$OUT/logs/sandbox.log"
wait_up "http://127.0.0.1:$PORT/" mitgate "$OUT/logs/mitgate.log"
wait_up "http://127.0.0.1:$PASS_PORT/" pass-through "$OUT/logs/passthrough.log"

MITGATE_URL="http://127.0.0.1:$PORT" PASSTHROUGH_URL="http://127.0.0.1:$PASS_PORT" \
  node bench/load.mjs --json "$OUT/load${MITGATE_STORE:+.$MITGATE_STORE}.json" 2>&1 | tee "$OUT/load${MITGATE_STORE:+.$MITGATE_STORE}.txt"
