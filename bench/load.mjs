// The Worker under load, and its storage cost per decision. bench/load.sh starts the servers (wrangler dev on
// 127.0.0.1: mitgate, the sandbox processor, the pass-through Worker) and runs this; it can also be run
// against servers you started: node bench/load.mjs [--json out.json], with MITGATE_URL, PASSTHROUGH_URL.
//
// 1. Setup: the merchant's policy, then AGREEMENTS agreements made through mitgate's Coinflow proxy (zero
//    authorizations, as scripts/dev.sh makes its demo agreement).
// 2. Storage: one request of each kind, reading mitgate's own `X-Mitgate-Storage` header
//    (`kv_reads=N; kv_writes=M; do_calls=K`): allowed and refused `POST /v1/charges`, allowed and refused
//    proxied MITs, `POST /v1/decisions`.
// 3. Load (autocannon, CONNECTIONS connections, DURATION seconds each, one after the other):
//    mitgate `POST /v1/decisions` | pass-through answering `{}` (a Worker's floor)
//    mitgate proxied Coinflow MIT (decide, reserve, forward, record) | pass-through forwarding the same MIT
//    to the sandbox without checking. Requests rotate over the agreements, so no history grows long.
import { writeFileSync } from "node:fs";
import autocannon from "autocannon";

const MITGATE = process.env.MITGATE_URL ?? "http://127.0.0.1:8797";
const PASSTHROUGH = process.env.PASSTHROUGH_URL ?? "http://127.0.0.1:8799";
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const AGREEMENTS = Number(process.env.AGREEMENTS ?? 100);
const KEY = "sk_test_demo";
const outPath = process.argv[2] === "--json" ? process.argv[3] : null;

async function call(method, url, body, headers = {}) {
  const res = await fetch(url, {
    method,
    headers: { "x-mitgate-key": KEY, "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

// 1. Setup. A large maxCount: the load is about cost, not about velocity refusals.
const policy = { enabled: true, maxCount: 1_000_000, period: 86_400, maxMultiple: 3, expiration: 2_592_000,
  maxZeroAuthAmount: { cents: 2000 }, maxAmountLookback: 2_592_000 };
const put = await call("PUT", `${MITGATE}/v1/policy`, policy);
if (put.status >= 300) throw new Error(`PUT /v1/policy: ${put.status} ${put.text}`);
const ids = [];
for (let i = 0; i < AGREEMENTS; i++) {
  const r = await call("POST", `${MITGATE}/coinflow/api/checkout/zero-authorization/demo`, { token: "4111114324324111_bt" },
    { "x-user-id": "customer-123" });
  if (r.status !== 200) throw new Error(`zero authorization: ${r.status} ${r.text}`);
  ids.push(JSON.parse(r.text).paymentId);
}
const mitBody = (id, cents = 1000) => ({ subtotal: { cents, currency: "USD" }, originalPaymentId: id, settlementType: "USDC" });
const MIT_PATH = "/coinflow/api/checkout/merchant-initiated-transaction";
const charge = (id, amount) => ({ reference: id, customerId: "customer-123", amount: { amount, currency: "USD" } });

// 2. Storage cost, from the Worker's own instrumentation.
const storage = {};
const probe = async (name, method, path, body, headers = {}) => {
  const r = await call(method, `${MITGATE}${path}`, body, headers);
  storage[name] = { status: r.status, header: r.headers.get("x-mitgate-storage") };
};
const [s0, s1, s2] = ids;
await probe("POST /v1/decisions (allowed)", "POST", "/v1/decisions", charge(s0, "10.00"));
await probe("POST /v1/decisions (refused: above ceiling)", "POST", "/v1/decisions", charge(s0, "70.00"));
await probe("POST /v1/charges allowed (forwarded, approved)", "POST", "/v1/charges", charge(s0, "10.00"), { "idempotency-key": `st-${Date.now()}-1` });
await probe("POST /v1/charges refused (above ceiling)", "POST", "/v1/charges", charge(s0, "70.00"), { "idempotency-key": `st-${Date.now()}-2` });
await probe("POST /v1/charges allowed, no Idempotency-Key", "POST", "/v1/charges", charge(s1, "10.00"));
await probe("POST /v1/charges refused, no Idempotency-Key", "POST", "/v1/charges", charge(s1, "70.00"));
await probe("proxied MIT allowed (forwarded, approved)", "POST", MIT_PATH, mitBody(s2), { "x-user-id": "customer-123" });
await probe("proxied MIT refused (above ceiling)", "POST", MIT_PATH, mitBody(s2, 7000), { "x-user-id": "customer-123" });

console.log(`storage per request (X-Mitgate-Storage)${process.env.MITGATE_STORE ? `, MITGATE_STORE=${process.env.MITGATE_STORE}` : ""}:`);
for (const [name, s] of Object.entries(storage)) console.log(`  ${name.padEnd(50)} HTTP ${s.status}  ${s.header ?? "(no X-Mitgate-Storage header)"}`);
if (process.env.STORAGE_ONLY === "1") {
  if (outPath) writeFileSync(outPath, JSON.stringify({ storage }, null, 2));
  process.exit(0);
}

// 3. Load.
function run(name, url, { method = "POST", headers = {}, bodies }) {
  let n = 0;
  return new Promise((resolve, reject) => {
    autocannon({
      url, method, connections: CONNECTIONS, duration: DURATION,
      headers: { "x-mitgate-key": KEY, "content-type": "application/json", "x-user-id": "customer-123", ...headers },
      requests: [{ setupRequest: (req) => ({ ...req, body: bodies(n++) }) }],
    }, (err, r) => err ? reject(err) : resolve({
      name, rps: r.requests.average, latency: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
      requests: r.requests.total, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts,
      statuses: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count])),
    }));
  });
}
const pick = (i) => ids[i % ids.length];
const decisionBodies = (i) => JSON.stringify(charge(pick(i), "10.00"));
const mitBodies = (i) => JSON.stringify(mitBody(pick(i)));
const load = [];
load.push(await run("mitgate POST /v1/decisions", `${MITGATE}/v1/decisions`, { bodies: decisionBodies }));
load.push(await run("pass-through, answers {} (floor)", `${PASSTHROUGH}/v1/decisions`, { bodies: decisionBodies }));
load.push(await run("mitgate proxied MIT (decide, reserve, forward, record)", `${MITGATE}${MIT_PATH}`, { bodies: mitBodies }));
load.push(await run("pass-through proxied MIT (forward only)", `${PASSTHROUGH}${MIT_PATH}`, { bodies: mitBodies }));

console.log(`load: ${CONNECTIONS} connections, ${DURATION} s each, wrangler dev on 127.0.0.1, ${AGREEMENTS} agreements`);
for (const r of load) {
  console.log(`  ${r.name.padEnd(56)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50} ms  p90 ${r.latency.p90} ms  p99 ${r.latency.p99} ms  max ${r.latency.max} ms  (${r.requests} requests, statuses ${JSON.stringify(r.statuses)}, ${r.errors} errors)`);
}
const [d, dp, m, mp] = load;
console.log(`ratios: /v1/decisions ${(d.rps / dp.rps).toFixed(2)}x the pass-through floor's throughput (p50 ${d.latency.p50} vs ${dp.latency.p50} ms); ` +
  `proxied MIT ${(m.rps / mp.rps).toFixed(2)}x the pass-through's throughput (p50 ${m.latency.p50} vs ${mp.latency.p50} ms)`);
if (outPath) writeFileSync(outPath, JSON.stringify({ storage, load, duration: DURATION, connections: CONNECTIONS }, null, 2));
