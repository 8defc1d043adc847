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
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false \
  WRANGLER_HIDE_BANNER=true
WRANGLER="$ROOT/node_modules/.bin/wrangler"

bash scripts/setup.sh

# A port already taken: say which process holds it (ss names it; /proc tells its command line).
holder() {
  local line pid
  line=$(ss -Hltnp "sport = :$1" 2>/dev/null | head -1)
  pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$line" | head -1)
  if [ -n "$pid" ]; then
    echo "pid $pid: $(tr '\0\n' '  ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-160)"
  else
    echo "a process this user cannot see"
  fi
}
for p in "$PORT" "$SANDBOX_PORT" "$INSPECTOR_PORT" "$SANDBOX_INSPECTOR_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
    echo "dev: port $p is already in use by $(holder "$p")." >&2
    echo "dev: stop that process (another make dev?) or choose other ports: MITGATE_PORT, MITGATE_SANDBOX_PORT," >&2
    echo "     MITGATE_INSPECTOR_PORT, MITGATE_SANDBOX_INSPECTOR_PORT." >&2
    exit 1
  fi
done

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
pids=()
# Every process started for a Worker: its group (set -m below) and every descendant, found before anything
# is signalled (a child that outlives its parent is re-parented and would otherwise be missed).
tree() { local c; for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$c"; tree "$c"; done; }
alive() { local p; for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
# Ctrl-C, SIGTERM, SIGHUP or an error: both Workers stop, every time, and their ports are free on return.
cleanup() {
  # INVARIANT: cleanup runs to its end. A second signal (make passes one on to its children; a second
  # Ctrl-C) is ignored here, or it would kill this shell half-way and leave a Worker holding its port.
  trap - EXIT
  trap '' INT TERM HUP
  local all=() pid
  for pid in "${pids[@]}"; do all+=("$pid" $(tree "$pid")); done
  [ ${#all[@]} -eq 0 ] && return 0
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  kill -TERM "${all[@]}" 2>/dev/null || true
  for _ in $(seq 1 100); do alive "${all[@]}" || break; sleep 0.1; done
  if alive "${all[@]}"; then
    echo "dev: a Worker did not stop within 10 s of SIGTERM; sending SIGKILL" >&2
    for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    kill -KILL "${all[@]}" 2>/dev/null || true
  fi
  wait 2>/dev/null || true
  echo "dev: stopped" >&2
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

echo "dev: building the Worker (first build: a few minutes) and starting it and the sandbox processor..."
set -m
"$WRANGLER" dev -c sandbox/wrangler.toml --ip 127.0.0.1 --port "$SANDBOX_PORT" --inspector-port "$SANDBOX_INSPECTOR_PORT" \
  --show-interactive-dev-session=false \
  --var "WEBHOOK_URL:http://127.0.0.1:$PORT/v1/webhooks/infinic" --var "WEBHOOK_MITGATE_KEY:sk_test_demo" \
  > .wrangler/logs/sandbox.log 2>&1 &
pids+=($!)
"$WRANGLER" dev --ip 127.0.0.1 --port "$PORT" --inspector-port "$INSPECTOR_PORT" --show-interactive-dev-session=false \
  > .wrangler/logs/mitgate.log 2>&1 &
pids+=($!)
set +m

wait_up() {
  local url=$1 name=$2 log=$3
  for _ in $(seq 1 600); do
    if curl -fsS --max-time 2 -o /dev/null "$url" 2>/dev/null; then return 0; fi
    for pid in "${pids[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then echo "dev: $name exited; see $log" >&2; tail -30 "$log" >&2; exit 1; fi
    done
    sleep 1
  done
  echo "dev: $name did not come up in 10 minutes; see $log" >&2
  exit 1
}
wait_up "http://127.0.0.1:$SANDBOX_PORT/" "the sandbox processor" .wrangler/logs/sandbox.log
wait_up "http://127.0.0.1:$PORT/" "mitgate" .wrangler/logs/mitgate.log

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

mitgate is running (local development; state in .wrangler/state, logs in .wrangler/logs/):
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
