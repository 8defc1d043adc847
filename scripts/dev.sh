#!/usr/bin/env bash
# `make dev`: installs what is missing, builds, and runs mitgate on http://127.0.0.1:8787 with local KV,
# beside the sandbox processor on http://127.0.0.1:8788; creates the demo merchant (key sk_test_demo, a LOCAL
# DEVELOPMENT VALUE) with a demo policy and a demo agreement, and prints a first curl. Ctrl-C stops both.
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

mkdir -p .wrangler/logs
# Ctrl-C, SIGTERM, SIGHUP or an error: both Workers stop, every time, and their ports are free on return.
cleanup() {
  # INVARIANT: cleanup runs to its end. A second signal (make passes one on to its children; a second
  # Ctrl-C) is ignored here, or it would kill this shell half-way and leave a Worker holding its port.
  trap - EXIT
  trap '' INT TERM HUP
  if [ ${#LIB_GROUPS[@]} -gt 0 ]; then
    lib_stop
    echo "dev: stopped" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

echo "dev: building the Worker (first build: a few minutes) and starting it and the sandbox processor..."
lib_start .wrangler/logs/sandbox.log \
  "$WRANGLER" dev -c sandbox/wrangler.toml --ip 127.0.0.1 --port "$SANDBOX_PORT" --inspector-port "$SANDBOX_INSPECTOR_PORT" \
  --show-interactive-dev-session=false --persist-to "$STATE_DIR" \
  --var "WEBHOOK_URL:http://127.0.0.1:$PORT/v1/webhooks/infinic" --var "WEBHOOK_MITGATE_KEY:sk_test_demo"
lib_start .wrangler/logs/mitgate.log \
  "$WRANGLER" dev --ip 127.0.0.1 --port "$PORT" --inspector-port "$INSPECTOR_PORT" --show-interactive-dev-session=false \
  --persist-to "$STATE_DIR"

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

API reference: openapi.yaml and docs/worker.md. Ctrl-C stops both Workers.
INFO
wait
