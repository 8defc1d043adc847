# Shared by scripts/dev.sh and bench/load.sh (sourced, not run): starting Workers with `wrangler dev` in
# process groups of their own, waiting for them, and stopping every process they started.
# The caller sets LIB_NAME (the prefix of its messages) and calls lib_wrangler_env once.

LIB_NAME=${LIB_NAME:-dev}
# Process group ids of the Workers started with lib_start (each is its leader's pid).
LIB_GROUPS=()

# wrangler offline and quiet (TOOLCHAIN.md): no metrics, no error reports, no cf fetch, no banner.
lib_wrangler_env() {
  export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false \
    WRANGLER_HIDE_BANNER=true
}

# Which process listens on a port: ss names it, /proc tells its command line.
lib_port_holder() {
  local line pid
  line=$(ss -Hltnp "sport = :$1" 2>/dev/null | head -1)
  pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$line" | head -1)
  if [ -n "$pid" ]; then
    echo "pid $pid: $(tr '\0\n' '  ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-160)"
  else
    echo "a process this user cannot see"
  fi
}

# lib_free_ports N: N distinct free ports for a test's Workers, below the kernel's ephemeral range (where
# bind(0) and outgoing connections take theirs), so no socket opened meanwhile (workerd and Miniflare bind
# port 0 several times per start) can take one before wrangler binds it.
lib_free_ports() {
  python3 - "$1" <<'PY'
import random, socket, sys
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
found = []
while len(found) < int(sys.argv[1]):
    port = random.randrange(20000, low)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        if port not in found:
            found.append(port)
    except OSError:
        pass
    finally:
        s.close()
print(" ".join(map(str, found)))
PY
}

# Fails (exit 1) before anything starts if one of the ports is taken, naming the process holding it.
# The last line of the message says how to choose other ports ($LIB_PORT_HINT).
lib_require_free_ports() {
  local p
  for p in "$@"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
      echo "$LIB_NAME: port $p is already in use by $(lib_port_holder "$p")." >&2
      echo "$LIB_NAME: stop that process or choose other ports: ${LIB_PORT_HINT:-see the script header}." >&2
      exit 1
    fi
  done
}

# lib_start LOG COMMAND...: runs COMMAND in the background in a new process group (job control on), output
# to LOG, and records the group. Every process it starts stays in that group unless it leaves on purpose.
lib_start() {
  local log=$1
  shift
  set -m
  "$@" > "$log" 2>&1 &
  LIB_GROUPS+=($!)
  set +m
}

# lib_run LOG COMMAND...: as lib_start, then waits for COMMAND and returns its status. While it runs, a
# trapped signal interrupts the wait (the caller's trap runs at once) and lib_stop stops its group; once it
# has ended, its group is no longer one of LIB_GROUPS (lib_wait_up would report it as an exited Worker).
lib_run() {
  lib_start "$@"
  local pid=${LIB_GROUPS[-1]} status=0
  wait "$pid" || status=$?
  unset 'LIB_GROUPS[-1]'
  return "$status"
}

# Descendants of a pid (found before signalling: a child that outlives its parent is re-parented).
lib_tree() { local c; for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$c"; lib_tree "$c"; done; }
lib_alive() { local p; for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
lib_groups_alive() { local g; for g in "$@"; do pgrep -g "$g" > /dev/null && return 0; done; return 1; }

# Stops every started Worker: SIGTERM to each group and to every descendant, repeated until no process of the
# groups is left, SIGKILL after 10 s. INVARIANT: on return no process of LIB_GROUPS exists, so their ports are
# free. Repeating matters: wrangler restarts workerd after its build (and on every rebuild), and a workerd
# spawned while its group was being signalled gets nothing from the first signal. Being in the group, it is
# found by the next round even after its parent has exited.
lib_stop() {
  [ ${#LIB_GROUPS[@]} -eq 0 ] && return 0
  local sig=TERM start=$SECONDS g others=()
  for g in "${LIB_GROUPS[@]}"; do others+=($(lib_tree "$g")); done
  while lib_groups_alive "${LIB_GROUPS[@]}" || lib_alive "${others[@]}"; do
    if [ "$sig" = TERM ] && (( SECONDS - start >= 10 )); then
      echo "$LIB_NAME: a Worker did not stop within 10 s of SIGTERM; sending SIGKILL" >&2
      sig=KILL
    fi
    for g in "${LIB_GROUPS[@]}"; do
      kill -"$sig" -- "-$g" 2>/dev/null || true
      others+=($(lib_tree "$g"))
    done
    if [ ${#others[@]} -gt 0 ]; then kill -"$sig" "${others[@]}" 2>/dev/null || true; fi
    sleep 0.2
  done
  wait 2>/dev/null || true
}

# lib_wait_up URL NAME LOG SECONDS [any]: waits until URL answers with a success status (any status with
# `any`). Exits 1 with the log's tail if a started Worker exits meanwhile, or after SECONDS.
lib_wait_up() {
  local url=$1 name=$2 log=$3 limit=$4 fail=-f g
  [ "${5:-}" = any ] && fail=
  for _ in $(seq 1 "$limit"); do
    if curl $fail -sS --max-time 2 -o /dev/null "$url" 2>/dev/null; then return 0; fi
    for g in "${LIB_GROUPS[@]}"; do
      if ! kill -0 "$g" 2>/dev/null; then
        echo "$LIB_NAME: $name exited; see $log" >&2
        tail -30 "$log" >&2
        exit 1
      fi
    done
    sleep 1
  done
  echo "$LIB_NAME: $name did not come up in $limit s; see $log" >&2
  exit 1
}

# lib_runtime_inspector GROUP WORKER: the port of workerd's own inspector (the runtime that `wrangler dev`
# started in GROUP, not wrangler's inspector proxy) that lists the target `core:user:WORKER`; empty if none.
# bench/profile.mjs profiles through it: wrangler's proxy is a Worker in wrangler's other workerd, which also
# proxies every request, and under load it stopped answering the profiler (PERFORMANCE.md).
lib_runtime_inspector() {
  local pid port
  for pid in $(pgrep -g "$1" workerd); do
    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--inspector-addr" || continue
    for port in $(ss -Hltnp 2>/dev/null | grep "pid=$pid," | awk '{print $4}' | sed 's/.*://'); do
      if curl -s --max-time 3 "http://127.0.0.1:$port/json" | grep -q "\"core:user:$2\""; then
        echo "$port"
        return 0
      fi
    done
  done
}
