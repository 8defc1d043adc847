#!/usr/bin/env bash
# `make dev` starts and stops like a well-behaved dev server: it is started DEV_STOP_RUNS times (default 10)
# in a process group of its own, as a terminal runs it, and stopped alternately with Ctrl-C (SIGINT to the
# group) and SIGTERM (to the group), at three moments in turn: when it says it is running; as wrangler starts
# its second build (it rebuilds once its file watcher is ready); and as that build ends, when wrangler
# replaces workerd (a workerd spawned while the stop is under way is what once stayed listening). After each
# stop, no process of the group and no wrangler on its ports is left, and all four ports (both Workers and
# their inspectors) are free. Then one more start while a port is taken must fail with a message naming the
# process holding it. Uses free ports of its own, never 8787/8788.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${DEV_STOP_RUNS:-10}
mkdir -p tests/out
LOG=tests/out/dev-stop.log
: > "$LOG"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export MITGATE_PORT=$(free_port) MITGATE_SANDBOX_PORT=$(free_port) MITGATE_INSPECTOR_PORT=$(free_port) \
  MITGATE_SANDBOX_INSPECTOR_PORT=$(free_port)
PORTS=("$MITGATE_PORT" "$MITGATE_SANDBOX_PORT" "$MITGATE_INSPECTOR_PORT" "$MITGATE_SANDBOX_INSPECTOR_PORT")
listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# A new session and process group, with SIGINT at its default (a script's background jobs ignore it, and a
# shell cannot trap a signal ignored on entry): what a terminal gives `make dev`.
start() {
  python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' make -s dev > "$1" 2>&1 &
  echo $!
}

MITGATE_LOG=.wrangler/logs/mitgate.log
moments=(running rebuilding rebuilt)
for i in $(seq 1 "$RUNS"); do
  out=tests/out/dev-stop-run.log
  moment=${moments[$(( (i - 1) % 3 ))]}
  rm -f "$MITGATE_LOG"
  pgid=$(start "$out")
  until [ "$(ps -o pgid= -p "$pgid" 2>/dev/null | tr -d ' ')" = "$pgid" ]; do
    kill -0 "$pgid" 2>/dev/null || break
    sleep 0.05
  done
  reached=
  for _ in $(seq 1 6000); do
    case $moment in
      running) grep -q "mitgate is running" "$out" && reached=1 ;;
      rebuilding) grep -q "changed, restarting build" "$MITGATE_LOG" 2>/dev/null && reached=1 ;;
      rebuilt) n=$(grep -c "Done in" "$MITGATE_LOG" 2>/dev/null || true); [ "${n:-0}" -ge 4 ] && reached=1 ;;
    esac
    [ -n "$reached" ] && break
    if ! kill -0 "$pgid" 2>/dev/null; then echo "dev-stop: make dev exited before it was up:" >&2; tail -30 "$out" >&2; exit 1; fi
    sleep 0.1
  done
  [ -n "$reached" ] || { echo "dev-stop: make dev did not reach '$moment' in 10 minutes" >&2; tail -30 "$out" >&2; exit 1; }
  if [ "$moment" = running ]; then
    for p in "${PORTS[@]:0:2}"; do listening "$p" || { echo "dev-stop: port $p not listening while up" >&2; exit 1; }; done
  fi
  if (( i % 2 )); then sig=INT; else sig=TERM; fi
  t0=$(date +%s%N)
  kill -"$sig" -- "-$pgid"
  for _ in $(seq 1 300); do pgrep -g "$pgid" > /dev/null || break; sleep 0.1; done
  left=$(pgrep -g "$pgid" || true)
  # wrangler's own processes carry their port on the command line (workerd does not: its ports are checked).
  strays=$(pgrep -f -- "--port ($MITGATE_PORT|$MITGATE_SANDBOX_PORT) " || true)
  busy=()
  for p in "${PORTS[@]}"; do listening "$p" && busy+=("$p"); done
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  if [ -n "$left$strays" ] || [ ${#busy[@]} -gt 0 ]; then
    echo "dev-stop: stop $i/$RUNS ($moment, SIG$sig) left processes [${left//$'\n'/ } ${strays//$'\n'/ }] and busy ports [${busy[*]}]" | tee -a "$LOG" >&2
    ss -Hltnp | grep -E ":(${PORTS[0]}|${PORTS[1]}|${PORTS[2]}|${PORTS[3]})\b" >&2 || true
    pkill -KILL -g "$pgid" 2>/dev/null || true
    exit 1
  fi
  echo "stop $i/$RUNS ($moment, SIG$sig): all processes gone and ports ${PORTS[*]} free after $ms ms" | tee -a "$LOG"
done

# A port already in use: a clear message naming the process that holds it.
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(120)' "$MITGATE_PORT" &
squatter=$!
sleep 0.5
if MITGATE_PORT=$MITGATE_PORT make -s dev > tests/out/dev-busy.log 2>&1; then
  kill "$squatter"; echo "dev-stop: make dev started although port $MITGATE_PORT was taken" >&2; exit 1
fi
kill "$squatter" 2>/dev/null || true
wait "$squatter" 2>/dev/null || true
if ! grep -q "port $MITGATE_PORT is already in use by pid $squatter: .*python3" tests/out/dev-busy.log; then
  echo "dev-stop: the busy-port message does not name the process:" >&2; cat tests/out/dev-busy.log >&2; exit 1
fi
echo "busy port: $(grep 'already in use' tests/out/dev-busy.log)" | tee -a "$LOG"
echo "dev-stop: $RUNS of $RUNS stops freed every port"
