# The bench's two upstreams, started the same way by bench/load.sh and bench/ab.sh (sourced; scripts/lib.sh
# first): the sandbox processor on $SANDBOX_PORT and the pass-through Worker on $PASS_PORT (forwarding to the
# sandbox), their inspectors on $INSPECT + 1 and + 2, with wrangler $WRANGLER.
#   bench_start_upstreams STATE_DIR LOG_PREFIX   (state in STATE_DIR/{sandbox,passthrough}, logs LOG_PREFIX{sandbox,passthrough}.log)
bench_start_upstreams() {
  local state=$1 logs=$2
  lib_start "${logs}sandbox.log" \
    "$WRANGLER" dev -c sandbox/wrangler.toml --ip 127.0.0.1 --port "$SANDBOX_PORT" --inspector-port "$((INSPECT + 1))" \
    --show-interactive-dev-session=false --persist-to "$state/sandbox" \
    --var "WEBHOOK_URL:" --var "WEBHOOK_MITGATE_KEY:"
  lib_start "${logs}passthrough.log" \
    "$WRANGLER" dev -c bench/passthrough/wrangler.toml --ip 127.0.0.1 --port "$PASS_PORT" --inspector-port "$((INSPECT + 2))" \
    --show-interactive-dev-session=false --persist-to "$state/passthrough" \
    --var "UPSTREAM:http://127.0.0.1:$SANDBOX_PORT"
}
