// The Worker under load, and its storage cost per request, for both stores in one run. bench/load.sh starts
// the servers (wrangler dev on 127.0.0.1: one mitgate per store, the sandbox processor, the pass-through
// Worker) and runs this; it can also be run against servers you started:
//   MITGATE_URLS="kv=http://127.0.0.1:8797 durable_object=http://127.0.0.1:8800" PASSTHROUGH_URL=... \
//     node bench/load.mjs [--json out.json]
// (MITGATE_URL with MITGATE_STORE names a single mitgate.)
//
// 1. Setup, on each mitgate: the merchant's policy, then AGREEMENTS agreements made through mitgate's Coinflow
//    proxy (zero authorizations, as scripts/dev.sh makes its demo agreement), **each with its own card token**,
//    as a merchant's agreements are; and (SHARED_CARD, default on) AGREEMENTS more that all share ONE token,
//    the shape of the earlier runs: there each decision also reads the token's other agreements' ledgers
//    (up to 8, the network rules across a card's agreements), so it is reported apart, labelled "shared card".
// 2. Storage: one request of each kind, reading mitgate's own `X-Mitgate-Storage` header
//    (`kv_reads=N; kv_writes=M; do_calls=K`), made exactly as tests/worker/storage_cost.test.mjs makes them
//    (same names; the policy just PUT, two agreements warmed with one allowed MIT), and compared with the
//    counts that test asserts (read from its source).
// 3. Load (autocannon, CONNECTIONS connections, DURATION seconds each, one run after the other), ROUNDS
//    rounds of: the pass-through answering `{}` (a Worker's floor), `POST /v1/decisions` on each store; the
//    pass-through forwarding the MIT to the sandbox unchecked, the proxied Coinflow MIT on each store
//    (decide, reserve, forward, record). Then once, the shared-card agreements on each store. Requests
//    rotate over the agreements. The ratios are of medians over the rounds, against the pass-through.
// 4. Profile (PROFILE=1, the default, when INSPECTORS="kv=<port> durable_object=<port>" names the Workers'
//    runtime inspector ports, as bench/load.sh finds them): one more run of each request kind per store under
//    a CPU profile of that mitgate's isolate (bench/profile.mjs): how much of its time is idle (waiting on
//    storage and the processor) against wasm, JS glue and garbage collection; and how busy the runtime's
//    other isolates were meanwhile (the local KV simulator runs on the same thread).
import { readFileSync, writeFileSync } from "node:fs";
import autocannon from "autocannon";
import { profile } from "./profile.mjs";

const PASSTHROUGH = process.env.PASSTHROUGH_URL ?? "http://127.0.0.1:8799";
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const AGREEMENTS = Number(process.env.AGREEMENTS ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const SHARED_CARD = process.env.SHARED_CARD !== "0";
const KEY = "sk_test_demo";
const CUSTOMER = "customer-123";
const outPath = process.argv[2] === "--json" ? process.argv[3] : null;

// name=url pairs; the store is the name.
const TARGETS = (process.env.MITGATE_URLS ?? `${process.env.MITGATE_STORE ?? "kv"}=${process.env.MITGATE_URL ?? "http://127.0.0.1:8797"}`)
  .split(/\s+/)
  .filter(Boolean)
  .map((pair) => {
    const [store, url] = pair.split("=");
    return { store, url };
  });

async function call(base, method, path, body, headers = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { "x-mitgate-key": KEY, "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

const tag = Date.now().toString(36);
let seq = 0;
const uid = (p) => `${p}${tag}${(seq += 1)}`;
// A large maxCount: the load is about cost, not about velocity refusals.
const POLICY = { enabled: true, maxCount: 1_000_000, period: 86_400, maxMultiple: 3, expiration: 2_592_000,
  maxZeroAuthAmount: { cents: 2000 }, maxAmountLookback: 2_592_000 };
const MIT_PATH = "/coinflow/api/checkout/merchant-initiated-transaction";
const CF_HEADERS = { "x-user-id": CUSTOMER, authorization: "cf-key" };
const mitBody = (id, cents = 1000) => ({ subtotal: { cents, currency: "USD" }, originalPaymentId: id, settlementType: "USDC" });
const charge = (id, amount) => ({ reference: id, customerId: CUSTOMER, amount: { amount, currency: "USD" } });
const SHARED_TOKEN = "4111114324324111_bt";
const ownToken = () => `${uid("4111114324324111_")}_bt`;

async function putPolicy(base) {
  const put = await call(base, "PUT", "/v1/policy", POLICY);
  if (put.status >= 300) throw new Error(`PUT /v1/policy: ${put.status} ${put.text}`);
}
async function agreement(base, token) {
  const r = await call(base, "POST", "/coinflow/api/checkout/zero-authorization/demo", { token }, CF_HEADERS);
  if (r.status !== 200) throw new Error(`zero authorization: ${r.status} ${r.text}`);
  return JSON.parse(r.text).paymentId;
}

// The counts tests/worker/storage_cost.test.mjs asserts, read from its `EXPECTED` table (null if its shape
// changed: then the comparison is left to the reader).
function assertedCounts() {
  try {
    const text = readFileSync(new URL("../tests/worker/storage_cost.test.mjs", import.meta.url), "utf8");
    const table = text.slice(text.indexOf("const EXPECTED = {"));
    const out = {};
    for (const store of ["kv", "durable_object"]) {
      const block = new RegExp(`\\n\\s*${store}: \\{([^}]*)\\}`).exec(table);
      if (block) out[store] = Object.fromEntries([...block[1].matchAll(/"([^"]+)":\s*"([^"]+)"/g)].map((m) => [m[1], m[2]]));
    }
    return Object.keys(out).length ? out : null;
  } catch {
    return null;
  }
}

// 1. Setup.
const agreements = {};
for (const { store, url } of TARGETS) {
  await putPolicy(url);
  const own = [];
  const shared = [];
  for (let i = 0; i < AGREEMENTS; i++) own.push(await agreement(url, ownToken()));
  if (SHARED_CARD) for (let i = 0; i < AGREEMENTS; i++) shared.push(await agreement(url, SHARED_TOKEN));
  agreements[store] = { own, shared };
}

// 2. Storage cost, from the Worker's own instrumentation, as storage_cost.test.mjs measures it.
const asserted = assertedCounts();
const storage = {};
for (const { store, url } of TARGETS) {
  const observed = {};
  const probe = async (name, method, path, body, headers = {}) => {
    const r = await call(url, method, path, body, headers);
    observed[name] = { status: r.status, header: r.headers.get("x-mitgate-storage") };
  };
  await putPolicy(url); // as in the test: the policy is in this isolate's cache
  const [a, b, c, d] = [await agreement(url, ownToken()), await agreement(url, ownToken()), await agreement(url, ownToken()), await agreement(url, ownToken())];
  for (const id of [a, b]) {
    const warm = await call(url, "POST", MIT_PATH, mitBody(id), CF_HEADERS);
    if (warm.status !== 200) throw new Error(`warm-up MIT: ${warm.status} ${warm.text}`);
  }
  await probe("proxied MIT allowed, Idempotency-Key", "POST", MIT_PATH, mitBody(a), { ...CF_HEADERS, "idempotency-key": uid("idem_") });
  await probe("proxied MIT allowed, no Idempotency-Key", "POST", MIT_PATH, mitBody(b), CF_HEADERS);
  await probe("proxied MIT refused (above ceiling), Idempotency-Key", "POST", MIT_PATH, mitBody(a, 7000), { ...CF_HEADERS, "idempotency-key": uid("idem_") });
  await probe("POST /v1/charges allowed, Idempotency-Key", "POST", "/v1/charges", charge(c, "10.00"), { "idempotency-key": uid("idem_") });
  await probe("POST /v1/charges refused (above ceiling), Idempotency-Key", "POST", "/v1/charges", charge(c, "70.00"), { "idempotency-key": uid("idem_") });
  await probe("POST /v1/decisions allowed", "POST", "/v1/decisions", charge(d, "10.00"));
  if (SHARED_CARD) {
    const [s0, s1] = agreements[store].shared;
    await probe("shared card: POST /v1/decisions allowed", "POST", "/v1/decisions", charge(s0, "10.00"));
    await probe("shared card: proxied MIT allowed, no Idempotency-Key", "POST", MIT_PATH, mitBody(s1), CF_HEADERS);
  }
  storage[store] = observed;
  console.log(`storage per request (X-Mitgate-Storage), ${store} store:`);
  for (const [name, s] of Object.entries(observed)) {
    const want = asserted?.[store]?.[name];
    const check = want === undefined ? "" : s.header === want ? "  = storage_cost.test.mjs" : `  DIFFERS from storage_cost.test.mjs (${want})`;
    console.log(`  ${name.padEnd(60)} HTTP ${s.status}  ${s.header ?? "(no X-Mitgate-Storage header)"}${check}`);
  }
}
if (process.env.STORAGE_ONLY === "1") {
  if (outPath) writeFileSync(outPath, JSON.stringify({ storage, asserted }, null, 2));
  process.exit(0);
}

// 3. Load.
function run(name, url, bodies) {
  let n = 0;
  return new Promise((resolve, reject) => {
    autocannon({
      url, method: "POST", connections: CONNECTIONS, duration: DURATION,
      headers: { "x-mitgate-key": KEY, "content-type": "application/json", ...CF_HEADERS },
      requests: [{ setupRequest: (req) => ({ ...req, body: bodies(n++) }) }],
    }, (err, r) => err ? reject(err) : resolve({
      name, rps: r.requests.average, latency: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
      requests: r.requests.total, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts,
      statuses: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count])),
    }));
  });
}
const rotate = (ids, f) => (i) => JSON.stringify(f(ids[i % ids.length]));
const decisions = (ids) => rotate(ids, (id) => charge(id, "10.00"));
const mits = (ids) => rotate(ids, (id) => mitBody(id));
const anyIds = agreements[TARGETS[0].store].own;
const load = [];
const show = (r) =>
  console.log(`  ${r.name.padEnd(62)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50} ms  p90 ${r.latency.p90} ms  p99 ${r.latency.p99} ms  max ${r.latency.max} ms  (${r.requests} requests, statuses ${JSON.stringify(r.statuses)}, ${r.errors} errors)`);
const go = async (round, name, url, bodies) => {
  const r = { round, ...(await run(name, url, bodies)) };
  load.push(r);
  show(r);
};
console.log(`load: ${CONNECTIONS} connections, ${DURATION} s each, wrangler dev on 127.0.0.1, ${AGREEMENTS} agreements per store, ${ROUNDS} rounds`);
for (let round = 1; round <= ROUNDS; round++) {
  console.log(`round ${round}`);
  await go(round, "pass-through POST /v1/decisions, answers {} (floor)", `${PASSTHROUGH}/v1/decisions`, decisions(anyIds));
  for (const { store, url } of TARGETS) await go(round, `mitgate ${store}: POST /v1/decisions`, `${url}/v1/decisions`, decisions(agreements[store].own));
  await go(round, "pass-through proxied MIT (forward only)", `${PASSTHROUGH}${MIT_PATH}`, mits(anyIds));
  for (const { store, url } of TARGETS) await go(round, `mitgate ${store}: proxied MIT (decide, reserve, forward, record)`, `${url}${MIT_PATH}`, mits(agreements[store].own));
}
if (SHARED_CARD) {
  console.log(`shared card (all ${AGREEMENTS} agreements on one token; after round ${ROUNDS})`);
  for (const { store, url } of TARGETS) {
    await go("shared", `mitgate ${store}, shared card: POST /v1/decisions`, `${url}/v1/decisions`, decisions(agreements[store].shared));
    await go("shared", `mitgate ${store}, shared card: proxied MIT`, `${url}${MIT_PATH}`, mits(agreements[store].shared));
  }
}

// 4. Profile.
const inspectors = Object.fromEntries((process.env.INSPECTORS ?? "").split(/\s+/).filter(Boolean).map((p) => p.split("=")));
const profiles = [];
if (process.env.PROFILE !== "0" && Object.keys(inspectors).length) {
  console.log("profiles (one more run each, under the CPU profiler; the profiler slows the isolate, so read the shares, not the req/s):");
  for (const { store, url } of TARGETS) {
    if (!inspectors[store]) continue;
    for (const [what, path, bodies] of [["POST /v1/decisions", "/v1/decisions", decisions(agreements[store].own)], ["proxied MIT", MIT_PATH, mits(agreements[store].own)]]) {
      try {
        // Bounded as a whole too: a profile that does not come back in its run's time and a minute costs
        // that profile, never the rest of `make perf`.
        const limit = (DURATION + 200) * 1000;
        let timer;
        const p = await Promise.race([
          profile(inspectors[store], () => run(`profiled ${store}: ${what}`, `${url}${path}`, bodies)),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${limit / 1000} s`)), limit))),
        ]).finally(() => clearTimeout(timer));
        if (p.error) {
          console.log(`  ${store} ${what}: no profile: ${p.error}`);
          continue;
        }
        const sh = p.shares;
        profiles.push({ store, what, rps: p.result.rps, ...p, result: undefined });
        console.log(`  ${store.padEnd(15)} ${what.padEnd(20)} ${p.result.rps.toFixed(0)} req/s; isolate time ${p.sampledMs} ms: idle ${sh.idle.percent} %, wasm ${sh.wasm.percent} %, JS ${sh.js.percent} %, GC ${sh.gc.percent} %, other ${sh.program.percent} %`);
        for (const t of p.top.slice(0, 8)) console.log(`      ${String(t.percent).padStart(5)} %  ${t.fn}`);
        if (p.wasmTop.length) console.log(`      wasm: ${p.wasmTop.map((t) => `${t.fn} ${t.percent} %`).join("; ")}`);
        // The other isolates of the same runtime: the local KV simulator's time is spent there.
        const busy = sh.wasm.ms + sh.js.ms + sh.gc.ms;
        console.log(`      busy (wasm + JS + GC) ${Math.round(busy)} ms; the runtime's other isolates, busy: ` +
          (p.others.length ? p.others.slice(0, 4).map((o) => `${o.id} ${o.busyMs} ms (${o.top.map((t) => `${t.fn.split(" ")[0]} ${t.ms}`).join(", ")})`).join("; ") : "none"));
      } catch (e) {
        console.log(`  ${store} ${what}: no profile: ${e.message}`);
      }
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const med = (name) => {
  const rs = load.filter((r) => r.name === name);
  return { rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.latency.p50)), runs: rs.length };
};
const summary = [];
const floorD = med("pass-through POST /v1/decisions, answers {} (floor)");
const floorM = med("pass-through proxied MIT (forward only)");
for (const { store } of TARGETS) {
  for (const [what, name, base] of [
    ["POST /v1/decisions", `mitgate ${store}: POST /v1/decisions`, floorD],
    ["proxied MIT", `mitgate ${store}: proxied MIT (decide, reserve, forward, record)`, floorM],
    ["POST /v1/decisions, shared card", `mitgate ${store}, shared card: POST /v1/decisions`, floorD],
    ["proxied MIT, shared card", `mitgate ${store}, shared card: proxied MIT`, floorM],
  ]) {
    const m = med(name);
    if (!m.runs) continue;
    summary.push({ store, what, rps: m.rps, p50: m.p50, baselineRps: base.rps, baselineP50: base.p50, ratio: m.rps / base.rps, goal: 0.7 });
  }
}
console.log(`ratios (median req/s over the runs, against the pass-through's median in this run; goal >= 0.7x):`);
for (const s of summary) {
  console.log(`  ${s.store.padEnd(15)} ${s.what.padEnd(32)} ${s.rps.toFixed(0).padStart(5)} vs ${s.baselineRps.toFixed(0).padStart(5)} req/s = ${s.ratio.toFixed(2)}x` +
    `  (p50 ${s.p50} vs ${s.baselineP50} ms)${s.ratio >= s.goal ? "" : `  below the goal by ${(s.goal / s.ratio).toFixed(1)}x`}`);
}
// bench/ab.sh names its targets VARIANT.STORE: each variant against the first one of its store, same run.
const ab = [];
for (const s of summary) {
  const [variant, store] = s.store.split(".");
  const first = store && summary.find((b) => b.store.endsWith(`.${store}`) && b.what === s.what);
  if (first && first !== s) ab.push({ store, what: s.what, variant, against: first.store.split(".")[0], ratio: s.rps / first.rps });
}
if (ab.length) {
  console.log("each variant against the first one of its store (median req/s, this run):");
  for (const a of ab) console.log(`  ${a.store.padEnd(15)} ${a.what.padEnd(32)} ${a.variant} / ${a.against} = ${a.ratio.toFixed(2)}x`);
}
if (outPath) writeFileSync(outPath, JSON.stringify({ storage, asserted, load, summary, ab, profiles, duration: DURATION, connections: CONNECTIONS, rounds: ROUNDS, agreements: AGREEMENTS }, null, 2));
// Done: a profile that timed out may still hold a socket or a timer; nothing else is left to wait for.
process.exit(0);
