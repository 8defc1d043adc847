// A WSDL-driven client from PyPI (zeep, unmodified: tests/soap/zeep_client.py) against the Worker on a
// real port, pointed only at the proxy's base URL: Encrypt 01F, Decrypt, a 01N allowed, a 01N refused.
// Needs .venv (scripts/setup.sh installs tests/soap/requirements.txt into it).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { start } from "./harness.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const python = path.join(root, ".venv/bin/python");
let h;

before(async () => {
  h = await start({ timeoutMs: 5000 });
  const put = await h.call("PUT", "/v1/policy", {
    body: { enabled: true, maxCount: 5, period: 86400, maxMultiple: 3, maxZeroAuthAmount: { cents: 2000 } },
  });
  assert.equal(put.status, 200, put.text);
});

after(async () => {
  if (h) await h.stop();
});

test("zeep drives the Axerve proxy from its WSDL: 01F, 01N allowed, 01N refused", async () => {
  assert.ok(fs.existsSync(python), "no .venv: run scripts/setup.sh");
  const base = (await h.mf.ready).toString().replace(/\/$/, "");
  const { stdout } = await promisify(execFile)(python, [path.join(root, "tests/soap/zeep_client.py"), base, h.sandboxUrl], {
    timeout: 60_000,
  });
  const steps = stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(
    steps.map((s) => [s.step, s.TransactionResult]),
    [
      ["Encrypt 01F", "OK"],
      ["Decrypt", "OK"],
      ["callPagamS2S 01N allowed", "OK"],
      ["callPagamS2S 01N refused (frequency)", "KO"],
      ["callPagamS2S 01N refused (authenticationAmount)", "KO"],
    ],
  );
  // Every call went to the proxy; the processor saw the two WSDL reads, Encrypt, Decrypt and one 01N.
  const { requests } = await h.sandboxCall("GET", "/__sandbox/requests");
  const pagams = requests.filter((r) => r.dialect === "axerve" && r.method === "POST" && r.body.includes("callPagamS2S"));
  assert.equal(pagams.length, 1);
});
