#!/usr/bin/env bash
# A change's before and after under the same load, side by side in one run (bench/load.mjs): each variant is
# a Worker build (a copy of crates/worker/build/) with optional vars, run by its own `wrangler dev` with its
# own state, once per store, against the same sandbox and pass-through Worker that bench/load.sh uses.
#   AB="before=bench/out/ab/before after=crates/worker/build" bash bench/ab.sh
#   AB="log-all=crates/worker/build log-errors=crates/worker/build+MITGATE_REQUEST_LOG=errors" bash bench/ab.sh
# A variant is NAME=DIR, then any number of +VAR=VALUE. MITGATE_STORE=kv or durable_object: one store
# (default both). Load: as bench/load.mjs (DURATION, ROUNDS, AGREEMENTS, CONNECTIONS; SHARED_CARD off, PROFILE
# on: each variant's isolate is profiled once per request kind). Outputs bench/out/ab.txt and ab.json.
# Ports: BENCH_SANDBOX_PORT and BENCH_PASSTHROUGH_PORT as bench/load.sh; the variants take
# BENCH_MITGATE_PORT + 20 upwards and their inspectors BENCH_INSPECTOR_PORT + 3 upwards.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT="$ROOT/bench/out"
mkdir -p "$OUT/logs"
PORT=${BENCH_MITGATE_PORT:-8797}
SANDBOX_PORT=${BENCH_SANDBOX_PORT:-8798}
PASS_PORT=${BENCH_PASSTHROUGH_PORT:-8799}
INSPECT=${BENCH_INSPECTOR_PORT:-9247}
STORES=${MITGATE_STORE:-kv durable_object}
WRANGLER="$ROOT/node_modules/.bin/wrangler"
LIB_NAME=ab
LIB_PORT_HINT="BENCH_MITGATE_PORT, BENCH_SANDBOX_PORT, BENCH_PASSTHROUGH_PORT, BENCH_INSPECTOR_PORT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
# shellcheck source=bench/upstreams.sh
source bench/upstreams.sh
lib_wrangler_env
: "${AB:?AB=\"NAME=DIR[+VAR=VALUE...] NAME=DIR...\": the variants (see the header)}"
read -r -a VARIANTS <<<"$AB"
n=$(( ${#VARIANTS[@]} * $(wc -w <<<"$STORES") ))
lib_require_free_ports "$SANDBOX_PORT" "$PASS_PORT" $(seq $((PORT + 20)) $((PORT + 19 + n))) \
  $(seq $((INSPECT + 1)) $((INSPECT + 2 + n)))

rm -rf "$OUT/wrangler-state-ab"
trap lib_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_start_upstreams "$OUT/wrangler-state-ab" "$OUT/logs/ab."
urls=()
groups=()
i=0
for store in $STORES; do
  for v in "${VARIANTS[@]}"; do
    name=${v%%=*}
    IFS=+ read -r -a parts <<<"${v#*=}"
    dir=$(cd "${parts[0]}" && pwd)
    [ -f "$dir/index.js" ] || { echo "ab: $dir/index.js: no Worker build there" >&2; exit 1; }
    label="$name.$store"
    # wrangler.toml without its [build] section, its `main` this variant's build.
    sed -e '/^\[build\]/,/^$/d' -e "s|^main = \"crates/worker/build/index.js\"|main = \"$dir/index.js\"|" \
      wrangler.toml > "$OUT/wrangler.ab.$label.toml"
    vars=(--var 'MITGATE_MERCHANT_KEYS:{"sk_test_demo":"demo"}' --var "MITGATE_STORE:$store")
    for d in infinic coinflow spg axerve; do vars+=(--var "PROCESSOR_URL_${d^^}:http://127.0.0.1:$SANDBOX_PORT/$d"); done
    for kv in "${parts[@]:1}"; do vars+=(--var "${kv%%=*}:${kv#*=}"); done
    port=$((PORT + 20 + i))
    inspector=$((INSPECT + 3 + i))
    lib_start "$OUT/logs/ab.$label.log" \
      "$WRANGLER" dev -c "$OUT/wrangler.ab.$label.toml" --ip 127.0.0.1 --port "$port" --inspector-port "$inspector" \
      --show-interactive-dev-session=false --persist-to "$OUT/wrangler-state-ab/$label" "${vars[@]}"
    urls+=("$label=http://127.0.0.1:$port")
    groups+=("$label=${LIB_GROUPS[-1]}")
    i=$((i + 1))
  done
done

lib_wait_up "http://127.0.0.1:$SANDBOX_PORT/" sandbox "$OUT/logs/ab.sandbox.log" 180 any
lib_wait_up "http://127.0.0.1:$PASS_PORT/" pass-through "$OUT/logs/ab.passthrough.log" 180 any
for u in "${urls[@]}"; do
  lib_wait_up "${u#*=}/" "mitgate (${u%%=*})" "$OUT/logs/ab.${u%%=*}.log" 180 any
done
inspectors=()
for g in "${groups[@]}"; do
  port=$(lib_runtime_inspector "${g#*=}" mitgate)
  if [ -n "$port" ]; then inspectors+=("${g%%=*}=$port"); else echo "ab: no runtime inspector found for ${g%%=*}: no profile" >&2; fi
done

MITGATE_URLS="${urls[*]}" INSPECTORS="${inspectors[*]}" PASSTHROUGH_URL="http://127.0.0.1:$PASS_PORT" \
  SHARED_CARD=${SHARED_CARD:-0} node bench/load.mjs --json "$OUT/ab.json" 2>&1 | tee "$OUT/ab.txt"
