#!/usr/bin/env bash
# Fuzzes every target in fuzz/ for a fixed number of executions each; exits non-zero on any crash, when
# `cargo fuzz list` fails or lists other targets than fuzz/fuzz_targets/*.rs, or when a target did not
# report at least FUZZ_RUNS executions.
#   FUZZ_RUNS=20000 scripts/fuzz.sh        # the short budget `make test` uses
#   FUZZ_RUNS=5000000 scripts/fuzz.sh      # a longer run
# Seeds come from tests/vectors; crashes are kept in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${FUZZ_RUNS:-20000}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
# cargo-fuzz needs nightly for the sanitizer flags; use the machine's nightly toolchain when there is one,
# otherwise (or with FUZZ_STABLE=1) let stable accept them (RUSTC_BOOTSTRAP) and fuzz without a sanitizer
# (the project forbids unsafe code, so the sanitizer adds little).
if [ "${FUZZ_STABLE:-0}" != 1 ] && rustup toolchain list | grep -q '^nightly'; then
  FUZZ=(cargo +nightly fuzz) ; SAN=()
else
  export RUSTC_BOOTSTRAP=1 ; FUZZ=(cargo fuzz) ; SAN=(--sanitizer none)
fi
python3 scripts/fuzz_seeds.py fuzz/corpus
# The targets expected: one per file in fuzz/fuzz_targets. `for t in $(cmd)` would not trip `set -e` on a
# failing cmd, so the list is captured and compared first.
expected=$(ls fuzz/fuzz_targets/*.rs | xargs -n1 basename | sed 's/\.rs$//' | sort)
if ! listed=$("${FUZZ[@]}" list --fuzz-dir fuzz); then
  echo "fuzz: cargo fuzz list failed" >&2; exit 1
fi
listed=$(echo "$listed" | sort)
if [ -z "$expected" ] || [ "$listed" != "$expected" ]; then
  echo "fuzz: cargo fuzz list gave [$(echo $listed)], expected [$(echo $expected)]" >&2; exit 1
fi
status=0
for target in $listed; do
  log=$(mktemp)
  if "${FUZZ[@]}" run "${SAN[@]}" --fuzz-dir fuzz "$target" "fuzz/corpus/$target" -- \
      -runs="$RUNS" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
    execs=$(grep -m1 -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
    if [ -z "$execs" ] || [ "$execs" -lt "$RUNS" ]; then
      echo "fuzz $target: ran ${execs:-an unknown number of} executions, expected at least $RUNS"; tail -20 "$log"; status=1
    else
      echo "fuzz $target: ok, $execs executions"
    fi
  else
    echo "fuzz $target: CRASH"; tail -40 "$log"; status=1
  fi
  rm -f "$log"
done
exit $status
