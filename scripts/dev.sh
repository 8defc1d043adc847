#!/usr/bin/env bash
# `make dev`: installs what is missing, builds, and runs mitgate on http://127.0.0.1:8787 with local KV,
# beside the sandbox processor on http://127.0.0.1:8788; creates the demo merchant (key sk_test_demo, a LOCAL
# DEVELOPMENT VALUE) with a demo policy and a demo agreement, and prints a first curl. Ctrl-C stops both.
#
# The Worker is built here, before wrangler starts (skipped when nothing it is built from changed since the
# last build here), and wrangler runs it from a copy of wrangler.toml without its [build] section
# (.wrangler/dev/wrangler.toml). wrangler's own [build] would run once more as soon as its file watcher is
# ready (wrangler 4.86, BundlerController: the watcher's "ready" event runs the custom build), so every start
# built twice; a start now builds at most once and starts each workerd once. Edits while it runs: this script
# polls the Worker's sources every second and rebuilds (scripts/build-worker.sh); wrangler watches its copy of
# the build (.wrangler/dev/worker, replaced after each successful build) and reloads the Worker.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PORT=${MITGATE_PORT:-8787}
SANDBOX_PORT=${MITGATE_SANDBOX_PORT:-8788}
# Inspector ports (wrangler dev opens one per Worker); set them to run two `make dev` side by side.
INSPECTOR_PORT=${MITGATE_INSPECTOR_PORT:-9229}
SANDBOX_INSPECTOR_PORT=${MITGATE_SANDBOX_INSPECTOR_PORT:-9230}
# Where local KV and Durable Object state persist (wrangler's default, .wrangler/state, unless set; the
# contract test starts from an empty one of its own).
STATE_DIR=${MITGATE_STATE_DIR:-.wrangler/state}
WRANGLER="$ROOT/node_modules/.bin/wrangler"
LIB_NAME=dev
LIB_PORT_HINT="another make dev? MITGATE_PORT, MITGATE_SANDBOX_PORT, MITGATE_INSPECTOR_PORT, MITGATE_SANDBOX_INSPECTOR_PORT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
lib_wrangler_env

bash scripts/setup.sh

# A port already taken: refused before anything starts, naming the process that holds it.
lib_require_free_ports "$PORT" "$SANDBOX_PORT" "$INSPECTOR_PORT" "$SANDBOX_INSPECTOR_PORT"

# Local development values only (.dev.vars is gitignored; wrangler dev reads it, wrangler deploy never does).
cat > .dev.vars <<VARS
# Written by scripts/dev.sh: LOCAL DEVELOPMENT VALUES, never used in production.
MITGATE_MERCHANT_KEYS={"sk_test_demo":"demo"}
PROCESSOR_URL_INFINIC=http://127.0.0.1:$SANDBOX_PORT/infinic
PROCESSOR_URL_COINFLOW=http://127.0.0.1:$SANDBOX_PORT/coinflow
PROCESSOR_URL_SPG=http://127.0.0.1:$SANDBOX_PORT/spg
PROCESSOR_URL_AXERVE=http://127.0.0.1:$SANDBOX_PORT/axerve
MITGATE_STORE=${MITGATE_STORE:-kv}
MITGATE_SANDBOX_HEADERS=1
DASHBOARD_ORIGINS=http://127.0.0.1:8088,http://localhost:8088${MITGATE_DASHBOARD_ORIGINS:+,$MITGATE_DASHBOARD_ORIGINS}
VARS

mkdir -p .wrangler/logs .wrangler/dev
BUILD_LOG=.wrangler/logs/worker-build.log
# What the Worker is built from, and when the last build here (start-time or rebuild) started: a build is
# current if it succeeded and none of its inputs changed since it started.
WORKER_INPUTS=(Cargo.toml Cargo.lock scripts/build-worker.sh crates/core crates/dialects crates/json
  crates/json-derive crates/worker)
BUILT_STAMP=.wrangler/dev/worker-built
worker_inputs() {
  find "${WORKER_INPUTS[@]}" \( -path crates/worker/build -o -path crates/worker/build-test \) -prune -o -type f "$@"
}
build_is_current() {
  [ -f "$BUILT_STAMP" ] && [ -f crates/worker/build/index.js ] && [ -f crates/worker/build/index_bg.wasm ] &&
    [ -z "$(worker_inputs -newer "$BUILT_STAMP" -print -quit)" ]
}
# Builds the Worker (output appended to $BUILD_LOG) and records when the build started if it succeeds.
build_worker() {
  local started
  rm -f "$BUILT_STAMP"
  started=$(date +%s.%N)
  echo "== $(date -u +%FT%TZ) scripts/build-worker.sh" >> "$BUILD_LOG"
  bash scripts/build-worker.sh >> "$BUILD_LOG" 2>&1 || return 1
  touch -d "@$started" "$BUILT_STAMP"
}
# wrangler runs a copy of the build (RUN_DIR), replaced only after a build succeeded and all at once (each
# file renamed into place): worker-build writes index_bg.wasm, then index.js, and wrangler watching the build
# itself reloaded the Worker twice per rebuild. A failed rebuild leaves the Worker running its last good build.
RUN_DIR=.wrangler/dev/worker
publish_worker() {
  local f
  mkdir -p "$RUN_DIR"
  for f in index_bg.wasm index.js; do cp crates/worker/build/$f "$RUN_DIR/.$f.new"; done
  for f in index_bg.wasm index.js; do mv -f "$RUN_DIR/.$f.new" "$RUN_DIR/$f"; done
}
inputs_signature() { worker_inputs -printf '%p %T@ %s\n' | sort | md5sum; }
# Runs in a process group of its own (lib_start) until stopped: every second, if an input changed (a new
# file, a removed one, another mtime or size), rebuilds; wrangler sees the new index.js and reloads the
# Worker. Its messages go to the terminal too (fd 3).
watch_and_rebuild() {
  local seen=$INPUTS_SEEN now t0
  while sleep 1; do
    now=$(inputs_signature)
    [ "$now" = "$seen" ] && continue
    seen=$now
    t0=$SECONDS
    echo "dev: a source changed: rebuilding the Worker (log: $BUILD_LOG)" | tee -a "$BUILD_LOG" >&3
    if build_worker && publish_worker; then
      echo "dev: rebuilt in $(( SECONDS - t0 )) s; wrangler reloads the Worker" | tee -a "$BUILD_LOG" >&3
    else
      echo "dev: the rebuild failed (see $BUILD_LOG); fix the source and save again" | tee -a "$BUILD_LOG" >&3
    fi
  done
}
# wrangler.toml without its [build] section, `main` the copy in RUN_DIR (absolute: the file is in .wrangler/dev).
awk '/^\[/ { skip = ($0 == "[build]") } !skip' wrangler.toml |
  sed "s|^main = \"crates/worker/build/index.js\"|main = \"$ROOT/$RUN_DIR/index.js\"|" \
  > .wrangler/dev/wrangler.toml
if grep -q '^\[build\]' .wrangler/dev/wrangler.toml || ! grep -q "^main = \"$ROOT/$RUN_DIR/" .wrangler/dev/wrangler.toml; then
  echo "dev: could not derive .wrangler/dev/wrangler.toml from wrangler.toml (its [build] section or main)" >&2
  exit 1
fi

# Ctrl-C, SIGTERM, SIGHUP or an error: both Workers stop, every time, and their ports are free on return.
# INVARIANT: cleanup runs to its end. A second signal (GNU make passes a SIGTERM on to its children, so a
# SIGTERM to the group arrives twice; a second Ctrl-C) must not end this shell half-way, or a Worker is left
# holding its port. `trap ''` at the top of cleanup is not enough: a second SIGTERM handled after the first
# one's `exit` began and before that line ran `exit` again, inside the EXIT trap, and the shell ended with
# nothing stopped (1 stop in about 100 under load; 3 in 300 in a reduced copy of this script under make).
# So the first signal marks the stop as begun, and any later one returns at once.
STOPPING=
on_signal() {
  [ -n "$STOPPING" ] && return 0
  STOPPING=1
  exit "$1"
}
cleanup() {
  STOPPING=1
  trap '' INT TERM HUP
  trap - EXIT
  if [ ${#LIB_GROUPS[@]} -gt 0 ]; then
    lib_stop
    echo "dev: stopped" >&2
  fi
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP

exec 3>&1
# The inputs as they are before the start-time build: a change during that build is rebuilt by the watcher.
INPUTS_SEEN=$(inputs_signature)
if build_is_current; then
  echo "dev: the Worker is up to date (crates/worker/build; nothing it is built from changed since its build)"
else
  echo "dev: building the Worker (first build: a few minutes; log: $BUILD_LOG)..."
  : > "$BUILD_LOG"
  if ! lib_run /dev/null build_worker; then
    echo "dev: the build failed; see $BUILD_LOG" >&2
    tail -30 "$BUILD_LOG" >&2
    exit 1
  fi
fi
publish_worker
echo "dev: starting the Worker and the sandbox processor..."
# Each workerd persists to a folder of its own: two workerd processes starting at once on one folder race for
# its shared SQLite files (the Cache API's store) and one can die with "database is locked: SQLITE_BUSY".
lib_start .wrangler/logs/sandbox.log \
  "$WRANGLER" dev -c sandbox/wrangler.toml --ip 127.0.0.1 --port "$SANDBOX_PORT" --inspector-port "$SANDBOX_INSPECTOR_PORT" \
  --show-interactive-dev-session=false --persist-to "$STATE_DIR/sandbox" \
  --var "WEBHOOK_URL:http://127.0.0.1:$PORT/v1/webhooks/infinic" --var "WEBHOOK_MITGATE_KEY:sk_test_demo"
lib_start .wrangler/logs/mitgate.log \
  "$WRANGLER" dev -c .wrangler/dev/wrangler.toml --env-file "$ROOT/.dev.vars" --ip 127.0.0.1 --port "$PORT" \
  --inspector-port "$INSPECTOR_PORT" --show-interactive-dev-session=false --persist-to "$STATE_DIR"
lib_start /dev/null watch_and_rebuild

lib_wait_up "http://127.0.0.1:$SANDBOX_PORT/" "the sandbox processor" .wrangler/logs/sandbox.log 600
lib_wait_up "http://127.0.0.1:$PORT/" "mitgate" .wrangler/logs/mitgate.log 600

BASE="http://127.0.0.1:$PORT"
KEY="sk_test_demo"
curl -fsS -X PUT "$BASE/v1/policy" -H "X-Mitgate-Key: $KEY" -H 'content-type: application/json' \
  -d '{"enabled": true, "maxCount": 5, "period": 86400, "maxMultiple": 3, "expiration": 2592000, "maxZeroAuthAmount": {"cents": 2000}, "maxAmountLookback": 2592000}' \
  > /dev/null
# A demo agreement: document 001's zero authorization with its own token, through the drop-in proxy.
PAYMENT_ID=$(curl -fsS -X POST "$BASE/coinflow/api/checkout/zero-authorization/demo" -H "X-Mitgate-Key: $KEY" \
  -H 'content-type: application/json' -H 'x-user-id: customer-123' -d '{"token": "4111114324324111_bt"}' \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).paymentId))')

cat <<INFO

mitgate is running (local development; state in $STATE_DIR, logs in .wrangler/logs/):
  mitgate Worker        $BASE        (wrangler dev, local KV: AGREEMENTS POLICIES VELOCITY IDEMPOTENCY)
  sandbox processor     http://127.0.0.1:$SANDBOX_PORT   (speaks infinic, coinflow, spg, axerve; test cards in sandbox/worker.js)
  demo merchant         "demo", key $KEY (a local development value), policy = document 001's example
  demo agreement        $PAYMENT_ID (coinflow zero authorization, customer-123)

Try:
  curl -s $BASE/v1/policy -H 'X-Mitgate-Key: $KEY'

  curl -s -X POST $BASE/coinflow/api/checkout/merchant-initiated-transaction \\
    -H 'X-Mitgate-Key: $KEY' -H 'content-type: application/json' -H 'x-user-id: customer-123' \\
    -H 'Authorization: your-merchant-api-key' \\
    -d '{"subtotal": {"cents": 5000, "currency": "USD"}, "originalPaymentId": "$PAYMENT_ID", "settlementType": "USDC"}'

  (7000 cents is above the ceiling of 3 x 20.00 USD: refused with 410 in Coinflow's words; the sixth charge
   within a day gets 429 with Retry-After.)
  curl -s $BASE/v1/agreements/$PAYMENT_ID/limits -H 'X-Mitgate-Key: $KEY'

Edit crates/*/src: the Worker is rebuilt and reloaded. API reference: openapi.yaml and docs/worker.md.
Ctrl-C stops both Workers.
INFO
# Until a signal (the traps above), or until a Worker (or the rebuild watcher) exits on its own.
wait -n || true
echo "dev: a Worker exited; see .wrangler/logs/" >&2
exit 1
