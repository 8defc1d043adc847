// The Worker's answers, recorded byte for byte, so two builds can be compared (issue 13: "decisions
// byte-identical"). bench/answers-diff.sh builds a baseline commit and the current tree and runs both.
//
//   node bench/answers.mjs record <worker build dir> <out.json> [kv|durable_object]
//   node bench/answers.mjs compare <before.json> <after.json>
//
// `record` starts the given test build (worker-build with the `test-hooks` feature, as
// scripts/test-worker.sh makes crates/worker/build-test) and the sandbox processor under Miniflare
// (tests/worker/harness.mjs), then sends, in a fixed order:
//   - every conformance vector (tests/vectors/*.json) to POST /v1/decisions/evaluate;
//   - every dialect case (tests/node/dialect-cases.json) that has a Worker route: parseCitJson to the
//     dialect's CIT route, parseMitJson to its MIT route, evaluateJson to /v1/decisions/evaluate, an Infinic
//     readOutcomeJson to /v1/webhooks/infinic (the engine-only functions, renderRefusal/limits/recordAttempt/
//     applyOutcome and Axerve's readOutcome, have none: bench/engine.sh compares those natively);
//   - scenarios over state: agreements with a processorContext (strings, numbers as written, nested values),
//     canonical charges approved, declined, failed and timed out in each dialect (the processor's answer
//     quoted in ours), idempotent replays and a reused key, a webhook's every answer shape.
// Each answer is stored as {name, method, path, status, headers (the ones mitgate sets), body (exact text)}.
//
// `compare` masks what differs between any two runs (timestamps, ids the sandbox or the Worker generate:
// attempt ids, UUIDs, sandbox payment ids) the same way on both sides, then lists every answer whose status,
// headers or body differ. Exit status 1 when any differs.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { POLICY5, canonicalAgreement } from "../tests/worker/common.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [mode, a, b, storeArg] = process.argv.slice(2);

const KEPT_HEADERS = ["content-type", "idempotent-replayed", "retry-after", "x-mitgate-agreement-id", "x-mitgate-attempt-id", "x-mitgate-warning", "x-mitgate-decision"];

// Document 001's example policy, the one the reliability suites use.
const POLICY = POLICY5;

// A canonical agreement (tests/worker/common.mjs), with a processorContext when one is given.
function agreementBody(id, { processorContext, ...options } = {}) {
  const body = canonicalAgreement(id, "demo", options);
  if (processorContext !== undefined) body.processorContext = processorContext;
  return body;
}

const CIT_PATH = {
  coinflow: (endpoint, merchant) =>
    endpoint === "zero_authorization" ? `/coinflow/api/checkout/zero-authorization/${merchant}` : `/coinflow/api/checkout/card/${merchant}`,
  infinic: () => "/infinic/api/intents",
  spg: () => "/spg/api/v2/payments",
  axerve: () => "/axerve/api/v1/payment/submit",
};
const MIT_PATH = {
  coinflow: "/coinflow/api/checkout/merchant-initiated-transaction",
  infinic: "/infinic/api/intents/auto-attempt",
  spg: "/spg/api/v2/payments",
  axerve: "/axerve/api/v1/payment/submit",
};

async function record(buildDir, out, store) {
  process.env.MITGATE_WORKER_BUILD = path.resolve(buildDir);
  const { start } = await import("../tests/worker/harness.mjs");
  const h = await start({ store, timeoutMs: 1500 });
  const answers = [];
  const send = async (name, method, p, { body, headers = {}, key } = {}) => {
    const hs = { ...headers };
    if (body !== undefined && typeof body !== "string") hs["content-type"] ??= "application/json";
    const text = body === undefined || typeof body === "string" ? body : JSON.stringify(body);
    const r = await h.call(method, p, { body: text, headers: hs, ...(key === undefined ? {} : { key }) });
    const kept = {};
    for (const k of KEPT_HEADERS) if (r.headers.get(k) !== null) kept[k] = r.headers.get(k);
    answers.push({ name, method, path: p, status: r.status, headers: kept, body: r.text });
    return r;
  };
  try {
    await send("policy", "PUT", "/v1/policy", { body: POLICY });

    // Every conformance vector.
    const dir = path.join(root, "tests/vectors");
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
      const doc = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
      for (const c of doc.cases) {
        const input = c.inputText ?? JSON.stringify(c.input);
        await send(`vector ${file} ${c.name}`, "POST", "/v1/decisions/evaluate", { body: input, headers: { "content-type": "application/json" } });
      }
    }

    // Every dialect case with a Worker route.
    const cases = JSON.parse(fs.readFileSync(path.join(root, "tests/node/dialect-cases.json"), "utf8"));
    let skipped = 0;
    for (const c of cases) {
      const input = c.input ?? (() => {
        try {
          return JSON.parse(c.inputText);
        } catch {
          return undefined;
        }
      })();
      const name = `dialect ${c.function} ${c.name}`;
      const headers = { ...(input?.headers ?? {}) };
      if (c.function === "evaluateJson") {
        await send(name, "POST", "/v1/decisions/evaluate", { body: c.inputText ?? JSON.stringify(c.input), headers: { "content-type": "application/json" } });
      } else if (c.function === "parseCitJson" && CIT_PATH[input?.dialect]) {
        await send(name, "POST", CIT_PATH[input.dialect](input.endpoint, input.merchantId ?? "m_1"), { body: JSON.stringify(input.request), headers: { ...headers, "content-type": "application/json" } });
      } else if (c.function === "parseMitJson" && MIT_PATH[input?.dialect]) {
        await send(name, "POST", MIT_PATH[input.dialect], { body: JSON.stringify(input.body), headers: { ...headers, "content-type": "application/json" } });
      } else if (c.function === "parseMitJson" && input?.dialect) {
        await send(name, "POST", `/${input.dialect}/api/mit`, { body: JSON.stringify(input.body ?? {}) });
      } else if (c.function === "readOutcomeJson" && input?.dialect === "infinic") {
        await send(name, "POST", "/v1/webhooks/infinic", { body: input.body });
      } else {
        skipped += 1;
      }
    }

    // processorContext kept as given: strings, numbers as written, nested values; read back.
    const contexts = {
      ctx_plain: { terminalId: "11111", shopLogin: "GESPAY00001" },
      ctx_numbers: { a: 2.5, b: 100, c: -0, d: [1, 2.25, null, { y: true, x: "é\n" }] },
      ctx_empty: {},
    };
    for (const [id, processorContext] of Object.entries(contexts)) {
      await send(`put ${id}`, "PUT", `/v1/agreements/${id}`, { body: agreementBody(id, { processorContext }) });
      await send(`get ${id}`, "GET", `/v1/agreements/${id}`);
    }
    // The same with numbers written in other ways than JavaScript writes them (text, not a JS object).
    const written = JSON.stringify(agreementBody("ctx_written", { processorContext: "@" })).replace(
      '"@"',
      '{"z": 2.50, "y": 1e2, "x": -0.0, "w": 12345678901234567890123, "v": {"b": 1.0, "a": [0.1, 1E-7]}}',
    );
    await send("put ctx_written", "PUT", "/v1/agreements/ctx_written", { body: written, headers: { "content-type": "application/json" } });
    await send("get ctx_written", "GET", "/v1/agreements/ctx_written");
    await send("put ctx_card", "PUT", "/v1/agreements/ctx_card", { body: agreementBody("ctx_card", { processorContext: { n: 4111111111111111 } }) });
    await send("put ctx_dup", "PUT", "/v1/agreements/ctx_dup", {
      body: JSON.stringify(agreementBody("ctx_dup", { processorContext: "@" })).replace('"@"', '{"k": 1, "k": 2}'),
      headers: { "content-type": "application/json" },
    });

    // Canonical charges in each dialect: approved, declined, processor error, timed out.
    const cards = { approved: null, visa_cat2: "tok_test_visa_cat2", soft_8026: "tok_test_soft_8026" };
    for (const dialect of ["coinflow", "spg", "axerve", "infinic"]) {
      for (const [label, token] of Object.entries(cards)) {
        const id = `ch_${dialect}_${label}`;
        const processorContext = dialect === "spg" ? { terminalId: "11111" } : dialect === "axerve" ? { shopLogin: "GESPAY00001" } : undefined;
        await send(`put ${id}`, "PUT", `/v1/agreements/${id}`, { body: agreementBody(id, { dialect, token: token ?? `tok_${id}`, processorContext }) });
        await send(`charge ${id}`, "POST", "/v1/charges", { body: { reference: id, amount: { amount: "10.00", currency: "USD" } } });
      }
      const id = `ch_${dialect}_faults`;
      await send(`put ${id}`, "PUT", `/v1/agreements/${id}`, { body: agreementBody(id, { dialect }) });
      await h.sandboxCall("POST", "/__sandbox/faults", { status: 500, count: 1 });
      await send(`charge ${id} 500`, "POST", "/v1/charges", { body: { reference: id, amount: { amount: "10.00", currency: "USD" } } });
      await h.sandboxCall("POST", "/__sandbox/faults", { delayMs: 2500, count: 1 });
      await send(`charge ${id} timeout`, "POST", "/v1/charges", { body: { reference: id, amount: { amount: "10.00", currency: "USD" } } });
      await h.sandboxCall("DELETE", "/__sandbox/faults");
    }
    // Refused before anything is sent, and idempotency: a replay, the same key with another body (numbers
    // written differently are another body).
    await send("charge refused", "POST", "/v1/charges", { body: { reference: "ch_coinflow_approved", amount: { amount: "9999.00", currency: "USD" } } });
    const idem = { "idempotency-key": "answers-idem-1", "content-type": "application/json" };
    const charge = '{"reference": "ch_coinflow_approved", "amount": {"amount": "11.00", "currency": "USD"}}';
    await send("idempotent first", "POST", "/v1/charges", { body: charge, headers: idem });
    await send("idempotent replay (spacing and order differ)", "POST", "/v1/charges", {
      body: '{"amount":{"currency":"USD","amount":"11.00"},"reference":"ch_coinflow_approved"}',
      headers: idem,
    });
    await send("idempotent reused key", "POST", "/v1/charges", { body: charge.replace("11.00", "12.00"), headers: idem });
    const decide = '{"reference": "ch_coinflow_approved", "amount": {"amount": "1.00", "currency": "USD"}, "idempotencyKey": "answers-idem-2"}';
    const idem2 = { "content-type": "application/json" };
    await send("decision with a number", "POST", "/v1/decisions", { body: decide, headers: idem2 });
    await send("decision replayed", "POST", "/v1/decisions", { body: decide, headers: idem2 });

    // Document 000's webhook: every answer shape.
    await send("webhook unmatched", "POST", "/v1/webhooks/infinic", { body: { type: "StatusChange", content: { reference_id: "nobody", status: "success" } } });
    await send("webhook other", "POST", "/v1/webhooks/infinic", { body: { type: "Refund" } });
    await send("webhook credential without reference", "POST", "/v1/webhooks/infinic", { body: { type: "PaymentCredential", content: {} } });
    await send("webhook credential unknown intent", "POST", "/v1/webhooks/infinic", { body: { type: "PaymentCredential", content: { reference_id: "nope" } } });
    const inf = { authorization: "Bearer inf_test_api_key" };
    const reference = "answers_init_1";
    await send("infinic intent", "POST", "/infinic/api/intents", {
      body: { amount: 10000, currency: "ZAR", reference_id: reference, purchaser_id: "answers_customer", return_url: "https://yoursite.com/callback", allow_remember_credentials: true, request_unscheduled_mit: true },
      headers: inf,
    });
    const { webhooks } = await h.sandboxCall("GET", "/__sandbox/webhooks");
    const cred = webhooks.find((w) => w.type === "PaymentCredential" && w.content.reference_id === reference);
    if (cred) {
      await send("webhook credential", "POST", "/v1/webhooks/infinic", { body: cred });
      await send("infinic auto-attempt", "POST", "/infinic/api/intents/auto-attempt", {
        body: { amount: 10000, currency: "ZAR", reference_id: "answers_month_2", purchaser_id: "answers_customer", credentials: [cred.content.credential_token] },
        headers: inf,
      });
      const after = (await h.sandboxCall("GET", "/__sandbox/webhooks")).webhooks;
      const change = after.find((w) => w.type === "StatusChange" && w.content.reference_id === "answers_month_2");
      if (change) {
        await send("webhook status change", "POST", "/v1/webhooks/infinic", { body: change });
        await send("webhook status change again", "POST", "/v1/webhooks/infinic", { body: change });
      }
    }
    fs.writeFileSync(out, JSON.stringify({ store, skippedDialectCases: skipped, answers }, null, 1));
    console.log(`${answers.length} answers recorded (${store} store) to ${out}; ${skipped} dialect cases have no Worker route`);
  } finally {
    await h.stop();
  }
}

function mask(text) {
  return String(text)
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "<time>")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "<uuid>")
    .replace(/\batt_[A-Za-z0-9_-]+/g, "<attempt>")
    // The sandbox's ids: a random 8-hex-digit part and a counter (cf_mit_055db4bb0006, BTX-18324ad70004).
    .replace(/[0-9a-f]{8}\d{4}\b/g, "<sandbox-id>")
    .replace(/"(took|elapsedMs)":\d+/g, '"$1":<n>');
}

function compare(beforeFile, afterFile) {
  const before = JSON.parse(fs.readFileSync(beforeFile, "utf8")).answers;
  const after = JSON.parse(fs.readFileSync(afterFile, "utf8")).answers;
  let differ = 0;
  let exact = 0;
  if (before.length !== after.length) console.log(`answer counts differ: ${before.length} before, ${after.length} after`);
  const n = Math.min(before.length, after.length);
  for (let i = 0; i < n; i++) {
    const x = before[i];
    const y = after[i];
    if (x.body === y.body && x.status === y.status && JSON.stringify(x.headers) === JSON.stringify(y.headers)) exact += 1;
    const mx = { status: x.status, headers: mask(JSON.stringify(x.headers)), body: mask(x.body) };
    const my = { status: y.status, headers: mask(JSON.stringify(y.headers)), body: mask(y.body) };
    if (x.name !== y.name || JSON.stringify(mx) !== JSON.stringify(my)) {
      differ += 1;
      console.log(`DIFFERS #${i} ${x.name}${x.name === y.name ? "" : ` / ${y.name}`} (${x.method} ${x.path})`);
      if (mx.status !== my.status) console.log(`  status ${mx.status} -> ${my.status}`);
      if (mx.headers !== my.headers) console.log(`  headers ${mx.headers}\n       -> ${my.headers}`);
      if (mx.body !== my.body) {
        let at = 0;
        while (at < mx.body.length && mx.body[at] === my.body[at]) at += 1;
        const from = Math.max(0, at - 120);
        console.log(`  body (from character ${from}) …${mx.body.slice(from, at + 200)}\n    -> …${my.body.slice(from, at + 200)}`);
      }
    }
  }
  console.log(`${n} answers compared: ${differ} differ (${exact} byte-identical before masking timestamps and generated ids)`);
  return differ === 0 && before.length === after.length;
}

if (mode === "record" && a && b) {
  await record(a, b, storeArg ?? "kv");
} else if (mode === "compare" && a && b) {
  process.exitCode = compare(a, b) ? 0 : 1;
} else {
  console.error("usage: node bench/answers.mjs record <build dir> <out.json> [kv|durable_object] | compare <before.json> <after.json>");
  process.exitCode = 2;
}
