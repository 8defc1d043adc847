// End-to-end tests of the mitgate Worker under Miniflare (workerd), with the sandbox processor beside it.
// Run by scripts/test-worker.sh, which builds the Worker and writes the native engine's answers for every
// conformance vector to tests/out/native_decisions.jsonl first.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { start } from "./harness.mjs";
import { cardData } from "./common.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const POLICY = {
  enabled: true,
  maxCount: 2,
  period: 86400,
  maxMultiple: 3,
  expiration: 2592000,
  maxZeroAuthAmount: { cents: 2000 },
  maxAmountLookback: 2592000,
};
const OTHER_KEY = "sk_test_other";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let h;
let seq = 0;
const uid = (p) => `${p}${Date.now().toString(36)}${(seq += 1)}`;

before(async () => {
  h = await start({ timeoutMs: 1500 });
  const put = await h.call("PUT", "/v1/policy", { body: POLICY });
  assert.equal(put.status, 200, put.text);
  const other = await h.call("PUT", "/v1/policy", { key: OTHER_KEY, body: POLICY });
  assert.equal(other.status, 200, other.text);
});

after(async () => {
  if (h) await h.stop();
});

async function sandboxCount(dialect) {
  const { requests } = await h.sandboxCall("GET", "/__sandbox/requests");
  return requests.filter((r) => r.dialect === dialect).length;
}

// ------------------------------------------------------------------------------------------------
describe("conformance vectors through POST /v1/decisions/evaluate", () => {
  test("every vector gives the native engine's byte-identical answer", async () => {
    const file = path.join(root, "tests/out/native_decisions.jsonl");
    const lines = fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    // Exactly the corpus the native runner (crates/core/tests/vectors.rs) ran, file by file.
    const nativeCount = JSON.parse(fs.readFileSync(path.join(root, "tests/out/vector-count.json"), "utf8"));
    const perFile = {};
    for (const v of lines) perFile[v.file] = (perFile[v.file] ?? 0) + 1;
    assert.deepEqual(perFile, nativeCount.files, "cases per file: the Worker's run against the native runner's");
    assert.equal(lines.length, nativeCount.total);
    assert.equal(new Set(lines.map((v) => v.name)).size, lines.length, "duplicate case names");
    let checked = 0;
    for (const v of lines) {
      const r = await h.call("POST", "/v1/decisions/evaluate", { body: v.input, headers: { "content-type": "application/json" } });
      assert.equal(r.text, v.output, `${v.file} ${v.name}`);
      assert.equal(r.status, v.output.startsWith('{"type":"success"') ? 200 : 400, `${v.file} ${v.name}`);
      checked += 1;
    }
    assert.equal(checked, nativeCount.total);
    console.log(`# vectors checked: ${checked}`);
  });
});

// ------------------------------------------------------------------------------------------------
function canonicalAgreement(id, merchantId = "demo", extra = {}) {
  return {
    agreement: {
      id,
      merchantId,
      customerId: "customer-123",
      type: "unscheduled",
      established: { method: "cvv_purchase", at: new Date(Date.now() - 86400000).toISOString(), amount: { amount: "25.00", currency: "USD" } },
      currency: "USD",
      paymentMethod: { type: "card", brand: "visa" },
      credential: { token: `tok_${id}`, cardExpiry: "2030-12" },
      consent: { storeCredential: true, merchantInitiated: true },
      ...extra,
    },
    history: {
      payments: [{ id, at: new Date(Date.now() - 86400000).toISOString(), amount: { amount: "25.00", currency: "USD" }, cvvVerified: true }],
    },
    dialect: "coinflow",
  };
}

describe("canonical API", () => {
  test("every route needs a valid X-Mitgate-Key", async () => {
    for (const [m, p] of [["GET", "/v1/policy"], ["POST", "/v1/decisions"], ["POST", "/v1/charges"], ["GET", "/v1/agreements/x"], ["POST", "/coinflow/api/checkout/merchant-initiated-transaction"]]) {
      const missing = await h.call(m, p, { key: null, body: m === "POST" ? {} : undefined });
      assert.equal(missing.status, 401, `${m} ${p}`);
      assert.equal(missing.json.error.code, "missing_key");
      const wrong = await h.call(m, p, { key: "sk_test_wrong", body: m === "POST" ? {} : undefined });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.json.error.code, "invalid_key");
    }
  });

  test("policy: document 001's JSON shape round-trips; invalid fields are named", async () => {
    const got = await h.call("GET", "/v1/policy");
    assert.equal(got.status, 200);
    assert.deepEqual(got.json, POLICY);
    const bad = await h.call("PUT", "/v1/policy", { body: { enabled: true, maxCount: 5 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.fields[0].path, "period");
    const typo = await h.call("PUT", "/v1/policy", { body: { enabled: true, maxcount: 5 } });
    assert.equal(typo.status, 400);
    assert.match(typo.json.error.message, /maxcount/);
    const malformed = await h.call("PUT", "/v1/policy", { body: "{not json", headers: { "content-type": "application/json" } });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.json.error.code, "invalid_request");
  });

  test("bodies over the limit get 413", async () => {
    const big = "x".repeat(70000);
    const r = await h.call("POST", "/v1/charges", { body: JSON.stringify({ pad: big }), headers: { "content-type": "application/json" } });
    assert.equal(r.status, 413);
    assert.equal(r.json.error.code, "body_too_large");
  });

  test("agreements: put, get, limits, another merchant's id answers as an unknown one, revocation stops charges and keeps the record", async () => {
    const id = uid("agr_");
    const put = await h.call("PUT", `/v1/agreements/${id}`, { body: canonicalAgreement(id) });
    assert.equal(put.status, 201, put.text);
    const get = await h.call("GET", `/v1/agreements/${id}`);
    assert.equal(get.status, 200);
    assert.equal(get.json.agreement.status, "active");
    const limits = await h.call("GET", `/v1/agreements/${id}/limits`);
    assert.equal(limits.status, 200);
    assert.deepEqual(limits.json.limits.ceiling.amount, { amount: "75.00", currency: "USD" });
    assert.equal(limits.json.limits.velocity.remaining, 2);
    // Issue 15, item 10: agreement ids are scoped by merchant; another merchant's id answers exactly as an
    // id nobody uses (the id itself aside), so it reveals nothing.
    const unknownId = uid("agr_");
    const same = (r, u) => {
      assert.equal(r.status, u.status, r.text);
      assert.equal(r.text.replaceAll(id, "ID"), u.text.replaceAll(unknownId, "ID"));
    };
    for (const [m, p] of [["GET", ""], ["GET", "/limits"], ["DELETE", ""]]) {
      const r = await h.call(m, `/v1/agreements/${id}${p}`, { key: OTHER_KEY });
      assert.equal(r.status, 404, `${m} ${p}`);
      same(r, await h.call(m, `/v1/agreements/${unknownId}${p}`, { key: OTHER_KEY }));
    }
    // Nor can another merchant take the id: its PUT makes its own agreement; ours is untouched.
    const theirs = await h.call("PUT", `/v1/agreements/${id}`, { key: OTHER_KEY, body: canonicalAgreement(id, "other") });
    assert.equal(theirs.status, 201, theirs.text);
    assert.equal((await h.call("GET", `/v1/agreements/${id}`)).json.agreement.merchantId, "demo");
    assert.equal((await h.call("DELETE", `/v1/agreements/${id}`, { key: OTHER_KEY })).status, 200);
    assert.equal((await h.call("GET", `/v1/agreements/${id}`)).json.agreement.status, "active", "their revocation is theirs");
    const spoof = await h.call("PUT", `/v1/agreements/${uid("agr_")}`, { body: canonicalAgreement("zzz", "other") });
    assert.equal(spoof.status, 400, "path id and body id differ");
    const thirdId = uid("agr_");
    assert.equal((await h.call("PUT", `/v1/agreements/${thirdId}`, { body: canonicalAgreement(thirdId) })).status, 201);
    const asOther = await h.call("POST", "/v1/decisions", { key: OTHER_KEY, body: { reference: thirdId, amount: { amount: "10.00", currency: "USD" } } });
    const asOtherUnknown = await h.call("POST", "/v1/decisions", { key: OTHER_KEY, body: { reference: unknownId, amount: { amount: "10.00", currency: "USD" } } });
    assert.equal(asOther.json.decision.outcome, "refused");
    assert.deepEqual(asOther.json.decision.violations.map((v) => v.code), ["agreement_not_found"]);
    // The same decision (only the clock's `now` beside it differs).
    assert.deepEqual(JSON.parse(asOther.text.replaceAll(thirdId, "ID")).decision, JSON.parse(asOtherUnknown.text.replaceAll(unknownId, "ID")).decision);
    const otherCharge = await h.call("POST", "/v1/charges", { key: OTHER_KEY, body: { reference: thirdId, amount: { amount: "10.00", currency: "USD" } } });
    assert.equal(otherCharge.status, asOtherUnknown.json.decision.httpStatus);
    const del = await h.call("DELETE", `/v1/agreements/${id}`);
    assert.equal(del.status, 200);
    assert.equal(del.json.agreement.status, "revoked");
    const after = await h.call("GET", `/v1/agreements/${id}`);
    assert.equal(after.json.agreement.status, "revoked", "the record is kept, revoked");
    const refused = await h.call("POST", "/v1/charges", { body: { reference: id, amount: { amount: "10.00", currency: "USD" } } });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.decision.violations[0].code, "agreement_revoked");
  });

  test("decisions are a dry run; charges reserve, forward once, record; velocity 429 with Retry-After", async () => {
    const id = uid("agr_");
    assert.equal((await h.call("PUT", `/v1/agreements/${id}`, { body: canonicalAgreement(id) })).status, 201);
    const charge = { reference: id, amount: { amount: "20.00", currency: "USD" } };
    for (let i = 0; i < 3; i++) {
      const d = await h.call("POST", "/v1/decisions", { body: charge });
      assert.equal(d.status, 200);
      assert.equal(d.json.decision.outcome, "allowed");
    }
    const before = await sandboxCount("coinflow");
    const c1 = await h.call("POST", "/v1/charges", { body: charge, headers: { authorization: "coinflow-merchant-api-key" } });
    assert.equal(c1.status, 200, c1.text);
    // Storage cost per request (docs/worker.md; exact counts in storage_cost.test.mjs): KV store, a charge
    // reads and writes; the customer's index (a Durable Object: OBJECTS is bound) was read by this isolate
    // within 5 s (the decisions above), so no call.
    assert.match(c1.headers.get("x-mitgate-storage"), /^kv_reads=[1-9]\d*; kv_writes=[1-9]\d*; do_calls=0$/);
    const dry = await h.call("POST", "/v1/decisions", { body: charge });
    assert.match(dry.headers.get("x-mitgate-storage"), /^kv_reads=[1-9]\d*; kv_writes=0; do_calls=0$/);
    assert.equal(c1.json.outcome, "approved");
    assert.equal(c1.json.attemptStatus, "approved");
    assert.ok(c1.json.paymentId);
    const { requests } = await h.sandboxCall("GET", "/__sandbox/requests");
    const last = requests[requests.length - 1];
    assert.equal(last.path, "/api/checkout/merchant-initiated-transaction");
    assert.equal(last.authorization, "coinflow-merchant-api-key", "Authorization passes through");
    assert.equal(last.mitgateKeySeen, false, "the mitgate key never reaches the processor");
    const c2 = await h.call("POST", "/v1/charges", { body: charge });
    assert.equal(c2.status, 200);
    const c3 = await h.call("POST", "/v1/charges", { body: charge });
    assert.equal(c3.status, 429);
    assert.ok(Number(c3.headers.get("retry-after")) > 0);
    assert.equal(c3.json.decision.violations[0].code, "velocity_exceeded");
    assert.equal(await sandboxCount("coinflow"), before + 2, "the refused charge never reached the processor");
    const limits = await h.call("GET", `/v1/agreements/${id}/limits`);
    assert.equal(limits.json.limits.velocity.used, 2);
    // A chained reference (the MIT's own payment id) is refused.
    const chained = await h.call("POST", "/v1/decisions", { body: { reference: c1.json.paymentId, amount: { amount: "1.00", currency: "USD" } } });
    assert.equal(chained.json.decision.violations[0].code, "reference_is_mit");
  });

  test("concurrent charges on one agreement: KV velocity is advisory, the overshoot is measured", async () => {
    const id = uid("agr_");
    await h.call("PUT", `/v1/agreements/${id}`, { body: canonicalAgreement(id) });
    const n = 8;
    const results = await Promise.all(
      Array.from({ length: n }, () => h.call("POST", "/v1/charges", { body: { reference: id, amount: { amount: "1.00", currency: "USD" } } })),
    );
    const admitted = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 429).length;
    const raced = results.filter((r) => r.status === 409 && r.json.error.code === "concurrent_charge").length;
    const limits = await h.call("GET", `/v1/agreements/${id}/limits`);
    console.log(`# concurrent charges: ${n} at once, maxCount ${POLICY.maxCount}: ${admitted} admitted and forwarded, ${refused} refused (429), ${raced} lost the reservation race (409, not sent); the ledger holds ${limits.json.limits.velocity.used}`);
    assert.equal(admitted + refused + raced, n);
    assert.ok(admitted >= 1, "the race never blocks every charge");
    // Sequentially, the count is exact again against what the ledger holds.
    const used = limits.json.limits.velocity.used;
    const next = await h.call("POST", "/v1/charges", { body: { reference: id, amount: { amount: "1.00", currency: "USD" } } });
    assert.equal(next.status, used < POLICY.maxCount ? 200 : 429, next.text);
  });

  test("invalid charge fields get 400 naming the field", async () => {
    const r = await h.call("POST", "/v1/charges", { body: { reference: "x", amount: { amount: "10.001", currency: "USD" } } });
    assert.equal(r.status, 400);
    assert.match(r.json.error.fields[0].path, /^amount/);
    const r2 = await h.call("POST", "/v1/decisions", { body: { reference: "x", amount: { amount: "1.00", currency: "USD" }, credentialToken: "4111111111111111" } });
    assert.equal(r2.status, 400);
    assert.equal(r2.json.error.fields[0].path, "credentialToken");
  });

  test("idempotency: a replay returns the first answer and forwards once; another body gets 422", async () => {
    const id = uid("agr_");
    await h.call("PUT", `/v1/agreements/${id}`, { body: canonicalAgreement(id) });
    const key = uid("idem_");
    const charge = { reference: id, amount: { amount: "5.00", currency: "USD" } };
    const before = await sandboxCount("coinflow");
    const a = await h.call("POST", "/v1/charges", { body: charge, headers: { "idempotency-key": key } });
    const b = await h.call("POST", "/v1/charges", { body: charge, headers: { "idempotency-key": key } });
    assert.equal(a.status, 200);
    assert.equal(b.status, a.status);
    assert.equal(b.text, a.text);
    assert.equal(b.headers.get("idempotent-replayed"), "true");
    assert.equal(await sandboxCount("coinflow"), before + 1);
    const c = await h.call("POST", "/v1/charges", { body: { ...charge, amount: { amount: "6.00", currency: "USD" } }, headers: { "idempotency-key": key } });
    assert.equal(c.status, 422);
    assert.equal(c.json.error.code, "idempotency_key_reused");
  });

  test("a slow processor: 504, the attempt stays pending and keeps its slot", async () => {
    const id = uid("agr_");
    await h.call("PUT", `/v1/agreements/${id}`, { body: canonicalAgreement(id) });
    await h.sandboxCall("POST", "/__sandbox/faults", { delayMs: 3000, count: 1 });
    const r = await h.call("POST", "/v1/charges", { body: { reference: id, amount: { amount: "5.00", currency: "USD" } } });
    assert.equal(r.status, 504, r.text);
    assert.equal(r.json.outcome, "pending");
    assert.equal(r.json.attemptStatus, "pending");
    const limits = await h.call("GET", `/v1/agreements/${id}/limits`);
    assert.equal(limits.json.limits.velocity.used, 1, "the pending attempt holds its slot");
    await h.sandboxCall("DELETE", "/__sandbox/faults");
  });

  test("a processor 500: 502, the attempt stays pending", async () => {
    const id = uid("agr_");
    await h.call("PUT", `/v1/agreements/${id}`, { body: canonicalAgreement(id) });
    await h.sandboxCall("POST", "/__sandbox/faults", { status: 500, count: 1 });
    const r = await h.call("POST", "/v1/charges", { body: { reference: id, amount: { amount: "5.00", currency: "USD" } } });
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json.outcome, "pending");
  });
});

describe("an unreachable processor", () => {
  // workerd reports a refused connection exactly like one lost after the request was written
  // ("Network connection lost."), so the Worker cannot prove nothing was sent: the attempt stays pending
  // and keeps its slot (never under-counted), and the merchant settles it once the processor confirms.
  test("connection refused: 502, the attempt stays pending; settling it as not_sent releases the slot", async () => {
    const closed = "http://127.0.0.1:9";
    const dead = await start({ urls: { infinic: closed, coinflow: closed, spg: closed, axerve: closed } });
    try {
      await dead.call("PUT", "/v1/policy", { body: POLICY });
      const id = uid("agr_");
      await dead.call("PUT", `/v1/agreements/${id}`, { body: canonicalAgreement(id) });
      const charge = { reference: id, amount: { amount: "5.00", currency: "USD" } };
      const r = await dead.call("POST", "/v1/charges", { body: charge, headers: { "idempotency-key": "k1" } });
      assert.equal(r.status, 502, r.text);
      assert.equal(r.json.outcome, "pending");
      assert.match(r.json.processor.answer.error, /connection/i);
      let limits = await dead.call("GET", `/v1/agreements/${id}/limits`);
      assert.equal(limits.json.limits.velocity.used, 1, "a possibly-sent request keeps its slot");
      const replay = await dead.call("POST", "/v1/charges", { body: charge, headers: { "idempotency-key": "k1" } });
      assert.equal(replay.headers.get("idempotent-replayed"), "true", "never forwarded twice");
      const unknown = await dead.call("POST", `/v1/agreements/${id}/attempts/att_nope/outcome`, { body: { result: "not_sent" } });
      assert.equal(unknown.status, 404);
      const settled = await dead.call("POST", `/v1/agreements/${id}/attempts/${r.json.attemptId}/outcome`, { body: { result: "not_sent" } });
      assert.equal(settled.status, 200, settled.text);
      limits = await dead.call("GET", `/v1/agreements/${id}/limits`);
      assert.equal(limits.json.limits.velocity.used, 0, "a request never sent holds no slot");
      const twice = await dead.call("POST", `/v1/agreements/${id}/attempts/${r.json.attemptId}/outcome`, { body: { result: "approved" } });
      assert.equal(twice.status, 409);
    } finally {
      await dead.stop();
    }
  });
});

// ------------------------------------------------------------------------------------------------
// Dialect flows: each dialect's own documents through the drop-in proxy.
const nowIso = () => new Date().toISOString();

const FLOWS = {
  coinflow: {
    currency: "USD",
    async cit(card, key = "sk_test_demo") {
      const body = card.startsWith("tok")
        ? { subtotal: { cents: 2500, currency: "USD" }, token: card }
        : { subtotal: { cents: 2500, currency: "USD" }, card: { number: card, expiryMonth: "12", expiryYear: "2030", cvv: "123" } };
      const r = await h.call("POST", "/coinflow/api/checkout/card/merchant-demo", { key, body, headers: { "x-user-id": "customer-123", authorization: "cf-key" } });
      assert.equal(r.status, 200, r.text);
      return { id: r.headers.get("x-mitgate-agreement-id"), paymentId: r.json.paymentId };
    },
    mit(a, amountCents, headers = {}) {
      return { path: "/coinflow/api/checkout/merchant-initiated-transaction", body: { subtotal: { cents: amountCents, currency: "USD" }, originalPaymentId: a.paymentId, settlementType: "USDC" }, headers: { "x-user-id": "customer-123", authorization: "cf-key", ...headers } };
    },
    ok: 1000,
    ok2: 1100,
    canonical: "10.00",
    above: 8000,
  },
  infinic: {
    currency: "ZAR",
    async cit(card, key = "sk_test_demo") {
      const reference = uid("subscription_init_");
      const r = await h.call("POST", "/infinic/api/intents", {
        key,
        body: { amount: 10000, currency: "ZAR", reference_id: reference, purchaser_id: "customer_123", return_url: "https://yoursite.com/callback", allow_remember_credentials: true, request_unscheduled_mit: true },
        headers: { authorization: "Bearer inf-key", "x-sandbox-card": card },
      });
      assert.equal(r.status, 201, r.text);
      const { webhooks } = await h.sandboxCall("GET", "/__sandbox/webhooks");
      const event = webhooks.find((w) => w.content.reference_id === reference);
      const w = await h.call("POST", "/v1/webhooks/infinic", { key, body: event });
      assert.equal(w.status, 200, w.text);
      return { id: w.json.agreementId, token: event.content.credential_token };
    },
    mit(a, amount, headers = {}) {
      return { path: "/infinic/api/intents/auto-attempt", body: { amount, currency: "ZAR", reference_id: uid("subscription_month_"), purchaser_id: "customer_123", credentials: [a.token] }, headers: { authorization: "Bearer inf-key", ...headers } };
    },
    ok: 5000,
    ok2: 5100,
    canonical: "50.00",
    above: 40000,
  },
  spg: {
    currency: "EUR",
    async cit(card, key = "sk_test_demo") {
      const at = nowIso();
      const r = await h.call("POST", "/spg/api/v2/payments", {
        key,
        body: { merchant: { terminalId: "11111", channel: "web", merchantTransactionId: uid("CARD-CIT-") }, transaction: { transactionTimestamp: at, description: "Initial recurring authorization", paymentType: "AUTH", paymentMethod: ["CARD"], amount: { value: 0.0, currency: "EUR" } } },
        headers: { "x-sandbox-card": card },
      });
      assert.equal(r.status, 200, r.text);
      return { id: r.headers.get("x-mitgate-agreement-id"), tx: r.json.transactionID, at };
    },
    mit(a, amount, headers = {}) {
      return { path: "/spg/api/v2/payments", body: { merchant: { terminalId: "11111", channel: "web", merchantTransactionId: uid("CARD-MIT-") }, transaction: { transactionTimestamp: nowIso(), paymentType: "MIT", paymentMethod: ["CARD"], amount: { value: amount, currency: "EUR" } }, originalTransaction: { id: a.tx, datetime: a.at } }, headers };
    },
    ok: 29.9,
    ok2: 30.9,
    canonical: "29.90",
    above: 70,
  },
  axerve: {
    currency: "EUR",
    async cit(card, key = "sk_test_demo") {
      const r = await h.call("POST", "/axerve/api/v1/payment/submit", {
        key,
        body: { shopLogin: "GESPAY00001", uicCode: "242", amount: "25", shopTransactionId: uid("OrderID_03F_"), requestToken: "MASKEDPAN", transDetails: { type: "03F", recurringTransaction: { expiry: "20301225" } }, apikey: "" },
        headers: { "x-sandbox-card": card },
      });
      assert.equal(r.status, 200, r.text);
      return { id: r.headers.get("x-mitgate-agreement-id"), btx: r.json.bankTransactionID, token: r.json.token };
    },
    mit(a, amount, headers = {}) {
      return { path: "/axerve/api/v1/payment/submit", body: { shopLogin: "GESPAY00001", uicCode: "242", amount: String(amount), shopTransactionId: uid("OrderID_03N_"), tokenValue: a.token, transDetails: { type: "03N", previousTransDetails: { bankTransactionID: a.btx } }, apikey: "" }, headers };
    },
    ok: 10,
    ok2: 11,
    canonical: "10.00",
    above: 80,
  },
};

const code = (r) => (r.json && r.json.mitgate ? r.json.mitgate.violations.map((v) => v.code) : []);
/** The agreement's MIT attempts as stored (oldest first). */
async function attemptsOf(id) {
  const rec = await h.call("GET", `/v1/agreements/${id}`);
  assert.equal(rec.status, 200, rec.text);
  return rec.json.history.attempts;
}

for (const [dialect, f] of Object.entries(FLOWS)) {
  describe(`${dialect} drop-in proxy`, () => {
    test("CIT, MIT forwarded, idempotent replay forwarded once, ceiling, velocity 429, wrong merchant, revocation", async () => {
      const a = await f.cit("4111111111111111");
      assert.ok(a.id, "the agreement was captured from the CIT");
      const rec = await h.call("GET", `/v1/agreements/${a.id}`);
      assert.equal(rec.status, 200, rec.text);
      assert.ok(!rec.text.includes("4111111111111111"), "no card number in the stored agreement");

      const before = await sandboxCount(dialect);
      const m1 = f.mit(a, f.ok, { "idempotency-key": uid("idem_") });
      const r1 = await h.call("POST", m1.path, { body: m1.body, headers: m1.headers });
      assert.equal(r1.status, 200, r1.text);
      assert.ok(r1.headers.get("x-mitgate-attempt-id"));
      const seen = (await h.sandboxCall("GET", "/__sandbox/requests")).requests.filter((q) => q.dialect === dialect).pop();
      assert.equal(seen.authorization, m1.headers.authorization ?? null, "the processor's Authorization passes through untouched");
      assert.equal(seen.mitgateKeySeen, false);
      const replay = await h.call("POST", m1.path, { body: m1.body, headers: m1.headers });
      assert.equal(replay.text, r1.text);
      assert.equal(replay.headers.get("idempotent-replayed"), "true");
      assert.equal(await sandboxCount(dialect), before + 1, "the replay was not forwarded");
      const changed = await h.call("POST", m1.path, { body: f.mit(a, f.ok2).body, headers: m1.headers });
      assert.equal(changed.status, 422);

      const high = f.mit(a, f.above);
      const rh = await h.call("POST", high.path, { body: high.body, headers: high.headers });
      assert.ok(rh.status >= 400, rh.text);
      assert.deepEqual(code(rh), ["amount_above_ceiling"], rh.text);

      const m2 = f.mit(a, f.ok);
      assert.equal((await h.call("POST", m2.path, { body: m2.body, headers: m2.headers })).status, 200);
      const m3 = f.mit(a, f.ok);
      const r3 = await h.call("POST", m3.path, { body: m3.body, headers: m3.headers });
      assert.equal(r3.status, 429, r3.text);
      assert.ok(Number(r3.headers.get("retry-after")) > 0);
      assert.deepEqual(code(r3), ["velocity_exceeded"]);
      assert.equal(await sandboxCount(dialect), before + 2, "refusals never reach the processor");

      const wrong = f.mit(a, f.ok);
      const rw = await h.call("POST", wrong.path, { key: OTHER_KEY, body: wrong.body, headers: wrong.headers });
      assert.ok(rw.status >= 400, rw.text);
      assert.deepEqual(code(rw), ["agreement_not_found"], rw.text);

      assert.equal((await h.call("DELETE", `/v1/agreements/${a.id}`)).status, 200);
      const rv = f.mit(a, f.ok);
      const rr = await h.call("POST", rv.path, { body: rv.body, headers: rv.headers });
      assert.ok(rr.status >= 400, rr.text);
      assert.equal(code(rr)[0], "agreement_revoked");
      assert.equal(await sandboxCount(dialect), before + 2);
    });

    test("canonical POST /v1/charges on an agreement captured through the proxy renders this dialect's MIT", async () => {
      const a = await f.cit("4111111111111111");
      const before = await sandboxCount(dialect);
      const r = await h.call("POST", "/v1/charges", { body: { reference: a.id, amount: { amount: f.canonical, currency: f.currency } } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.outcome, "approved");
      assert.equal(r.json.processor.dialect, dialect);
      assert.equal(await sandboxCount(dialect), before + 1);
    });

    test("soft decline 8026, then refused until a new CIT", async () => {
      const a = await f.cit("4000000000008021");
      const m = f.mit(a, f.ok);
      const r = await h.call("POST", m.path, { body: m.body, headers: m.headers });
      const [declined] = await attemptsOf(a.id);
      assert.equal(declined.id, r.headers.get("x-mitgate-attempt-id"), r.text);
      assert.equal(declined.decline.code, "8026", r.text);
      const rec = await h.call("GET", `/v1/agreements/${a.id}`);
      assert.equal(rec.json.agreement.status, "reauthentication_required", rec.text);
      const before = await sandboxCount(dialect);
      const again = f.mit(a, f.ok);
      const ra = await h.call("POST", again.path, { body: again.body, headers: again.headers });
      assert.ok(ra.status >= 400, ra.text);
      assert.equal(code(ra)[0], "reauthentication_required");
      assert.equal(await sandboxCount(dialect), before);
      const b = await f.cit("4111111111111111");
      const mb = f.mit(b, f.ok);
      assert.equal((await h.call("POST", mb.path, { body: mb.body, headers: mb.headers })).status, 200);
    });

    test("Visa category 1 decline: never retried", async () => {
      const a = await f.cit("4000000000000119");
      const m = f.mit(a, f.ok);
      await h.call("POST", m.path, { body: m.body, headers: m.headers });
      const again = f.mit(a, f.ok);
      const r = await h.call("POST", again.path, { body: again.body, headers: again.headers });
      assert.ok(r.status >= 400, r.text);
      assert.deepEqual(code(r), ["retry_forbidden"], r.text);
    });

    test("Mastercard Merchant Advice Code 21: never retried", async () => {
      const a = await f.cit("5555555555550210");
      const m = f.mit(a, f.ok);
      const first = await h.call("POST", m.path, { body: m.body, headers: m.headers });
      const [declined] = await attemptsOf(a.id);
      assert.equal(declined.id, first.headers.get("x-mitgate-attempt-id"), first.text);
      assert.equal(declined.status, "declined", first.text);
      assert.equal(declined.decline.code, "05", first.text);
      assert.equal(declined.decline.adviceCode, "21", first.text);
      const before = await sandboxCount(dialect);
      const again = f.mit(a, f.ok);
      const r = await h.call("POST", again.path, { body: again.body, headers: again.headers });
      assert.deepEqual(code(r), ["retry_forbidden"], r.text);
      assert.equal(await sandboxCount(dialect), before, "the refused retry never reached the processor");
    });

    test("Visa category 2 decline: the retry is forwarded", async () => {
      const a = await f.cit("4000000000000515");
      const m = f.mit(a, f.ok);
      const first = await h.call("POST", m.path, { body: m.body, headers: m.headers });
      const [declined] = await attemptsOf(a.id);
      assert.equal(declined.id, first.headers.get("x-mitgate-attempt-id"), first.text);
      assert.equal(declined.status, "declined", first.text);
      assert.equal(declined.decline.code, "51", first.text);
      const before = await sandboxCount(dialect);
      const again = f.mit(a, f.ok);
      const r = await h.call("POST", again.path, { body: again.body, headers: again.headers });
      const retryId = r.headers.get("x-mitgate-attempt-id");
      assert.ok(retryId, r.text);
      assert.deepEqual(code(r), [], r.text);
      assert.equal(await sandboxCount(dialect), before + 1);
      const attempts = await attemptsOf(a.id);
      assert.deepEqual(attempts.map((x) => x.id), [declined.id, retryId]);
      assert.equal(attempts[1].decline.code, "51", "the sandbox declines this card again");
    });

    test("expired card decline: a new CIT is required", async () => {
      const a = await f.cit("4000000000000051");
      const m = f.mit(a, f.ok);
      await h.call("POST", m.path, { body: m.body, headers: m.headers });
      const rec = await h.call("GET", `/v1/agreements/${a.id}`);
      assert.equal(rec.json.agreement.status, "reauthentication_required", rec.text);
      assert.equal(rec.json.agreement.statusReason, "card_expired");
      const again = f.mit(a, f.ok);
      const r = await h.call("POST", again.path, { body: again.body, headers: again.headers });
      assert.equal(code(r)[0], "reauthentication_required", r.text);
    });

    test("expired reference", async () => {
      const a = await f.cit("4111111111111111");
      assert.equal((await h.call("PUT", "/v1/policy", { body: { ...POLICY, expiration: 1 } })).status, 200);
      try {
        await sleep(1200);
        const m = f.mit(a, f.ok);
        const r = await h.call("POST", m.path, { body: m.body, headers: m.headers });
        assert.ok(r.status >= 400, r.text);
        assert.deepEqual(code(r), ["reference_expired"], r.text);
      } finally {
        await h.call("PUT", "/v1/policy", { body: POLICY });
      }
    });
  });
}

describe("invalid MIT bodies on the proxies", () => {
  test("answer the dialect's 400 naming the field, and are not forwarded", async () => {
    const before = await sandboxCount("coinflow") + (await sandboxCount("spg"));
    const cf = await h.call("POST", "/coinflow/api/checkout/merchant-initiated-transaction", {
      body: { subtotal: { cents: "lots", currency: "USD" }, originalPaymentId: "x" },
      headers: { "x-user-id": "customer-123" },
    });
    assert.equal(cf.status, 400, cf.text);
    assert.ok(cf.text.includes("subtotal.cents"), cf.text);
    const spg = await h.call("POST", "/spg/api/v2/payments", {
      body: { merchant: { terminalId: "11111", channel: "web", merchantTransactionId: "m1" }, transaction: { transactionTimestamp: nowIso(), paymentType: "MIT", paymentMethod: ["CARD"], amount: { value: 1.234, currency: "EUR" } }, originalTransaction: { id: "tx", datetime: nowIso() } },
    });
    assert.equal(spg.status, 400, spg.text);
    assert.ok(spg.text.includes("transaction.amount.value"), spg.text);
    assert.equal(await sandboxCount("coinflow") + (await sandboxCount("spg")), before);
  });
});

describe("infinic StatusChange webhook", () => {
  test("settles an auto-attempt the timeout left pending", async () => {
    const a = await FLOWS.infinic.cit("4111111111111111");
    const m = FLOWS.infinic.mit(a, 5000, { "x-sandbox-delay-ms": "2500" });
    const r = await h.call("POST", m.path, { body: m.body, headers: m.headers });
    assert.equal(r.status, 504, r.text);
    const attemptId = r.headers.get("x-mitgate-attempt-id");
    let rec = await h.call("GET", `/v1/agreements/${a.id}`);
    assert.equal(rec.json.history.attempts.find((x) => x.id === attemptId).status, "pending");
    await sleep(1500);
    const { webhooks } = await h.sandboxCall("GET", "/__sandbox/webhooks");
    const event = webhooks.find((w) => w.type === "StatusChange" && w.content.reference_id === m.body.reference_id);
    assert.ok(event, "the sandbox emitted the StatusChange");
    const w = await h.call("POST", "/v1/webhooks/infinic", { body: event });
    assert.equal(w.status, 200, w.text);
    assert.equal(w.json.attemptId, attemptId);
    assert.equal(w.json.attemptStatus, "approved");
    rec = await h.call("GET", `/v1/agreements/${a.id}`);
    assert.equal(rec.json.history.attempts.find((x) => x.id === attemptId).status, "approved");
    const again = await h.call("POST", "/v1/webhooks/infinic", { body: event });
    assert.equal(again.json.attemptStatus, "approved", "webhooks are delivered at least once: a repeat is a no-op");
    const stranger = await h.call("POST", "/v1/webhooks/infinic", { key: OTHER_KEY, body: event });
    assert.equal(stranger.json.matched, false, "another merchant cannot settle it");
  });
});

describe("card data", () => {
  test("card numbers and CVVs never reach KV or the logs (the whole suite's)", async () => {
    const a = await FLOWS.coinflow.cit("4111111111111111");
    assert.ok(a.id);
    let values = 0;
    for (const ns of ["AGREEMENTS", "POLICIES", "VELOCITY", "IDEMPOTENCY"]) {
      const kv = await h.mf.getKVNamespace(ns);
      let cursor;
      do {
        const page = await kv.list({ cursor });
        for (const k of page.keys) {
          const v = (await kv.get(k.name)) ?? "";
          assert.deepEqual(cardData(k.name + " " + v), [], `${ns} ${k.name}`);
          values += 1;
        }
        cursor = page.list_complete ? undefined : page.cursor;
      } while (cursor);
    }
    const logs = h.logs.join("");
    assert.ok(logs.includes("/coinflow/api/checkout/card/"), "the log lines were captured");
    assert.deepEqual(cardData(logs), [], "logs");
    console.log(`# card-data scan (main suite, kv store): ${values} KV values, ${logs.split("\n").length} log lines: clean`);
  });
});
