#!/usr/bin/env bash
# The npm package (crates/wasm): build it, check its generated TypeScript types with tsc --noEmit, run the
# Node tests (every conformance vector byte-identical to the native engine, dialect cases, bad input), the
# Node example, the dashboard in Chromium, and the size budget of the browser .wasm.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
mkdir -p tests/out

echo "== build the package (crates/wasm/pkg)"
bash crates/wasm/build-pkg.sh

# The tests and demos import the package by name, as a user would.
for dir in tests/node js-demo; do
  mkdir -p "$dir/node_modules"
  ln -sfn "$ROOT/crates/wasm/pkg" "$dir/node_modules/mitgate-wasm"
done
rm -rf js-demo/dashboard/pkg
cp -r crates/wasm/pkg/web js-demo/dashboard/pkg

echo "== tsc --noEmit: a consumer of the generated declarations"
node_modules/.bin/tsc -p tests/node/types/tsconfig.json

echo "== native answers for every vector and dialect case"
# The native runner writes the exact corpus count (tests/out/vector-count.json); the Node run compares.
rm -f tests/out/vector-count.json
cargo test -q -p mitgate-core --test vectors
cargo run --quiet -p mitgate-wasm --example vectors_out -- \
  tests/vectors tests/node/dialect-cases.json tests/out/native.json

echo "== Node tests (node:test) and the Node example"
MITGATE_NATIVE_OUT="$ROOT/tests/out/native.json" node --test tests/node/

echo "== the dashboard in Chromium"
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "Chromium is missing: apt-get install -y --no-install-recommends chromium (.ci/run does)" >&2
  exit 1
fi
timeout 300 node --test tests/browser/
echo "screenshot: tests/out/dashboard.png"

echo "== size of the browser .wasm against its budget"
bash bench/check-sizes.sh browser
