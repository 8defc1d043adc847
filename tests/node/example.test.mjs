// Runs the merchant-backend example in js-demo/ so it cannot rot: it must print the decisions below.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

test("js-demo/validate-before-submit.mjs prints each decision", () => {
  const run = spawnSync(process.execPath, [join(root, "js-demo", "validate-before-submit.mjs")], {
    encoding: "utf8", timeout: 30_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const out = run.stdout;
  assert.match(out, /^coinflow 4500 cents: ALLOWED \(HTTP 200\), ceiling 45\.00 USD \(cvv_verified_history\)$/m);
  assert.match(out, /=> submit to POST \/api\/checkout\/merchant-initiated-transaction/);
  assert.match(out, /^coinflow 4501 cents: REFUSED \(HTTP 410\)/m);
  assert.match(out, /- amount_above_ceiling: Amount exceeds limit/);
  assert.match(out, /Coinflow would answer 410: Amount exceeds limit: .*\$45\.00/);
  assert.match(out, /^coinflow 2500 cents: REFUSED \(HTTP 410\)/m);
  assert.match(out, /- reference_expired: /);
  assert.match(out, /^canonical 29\.90 USD: ALLOWED \(HTTP 200\)/m);
  assert.match(out, /^canonical 29\.9 as a float: bad input\n {2}request\.amount\.amount: invalid type: floating point/m);
});
