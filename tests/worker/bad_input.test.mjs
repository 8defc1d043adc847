// The bad-input catalogue: every entry is sent to the Worker (Durable Object store) and must get a 4xx whose
// body names the field, never a 5xx, and leave every KV namespace and Durable Object exactly as it was.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { start } from "./harness.mjs";
import { POLICY5, uid, canonicalAgreement, snapshot, cardData } from "./common.mjs";

const CARD = "4111111111111111";
let h;
let agr; // a canonical agreement (coinflow)
let coinflowPayment; // a coinflow CIT's payment id (the MIT reference)

before(async () => {
  h = await start({ store: "durable_object", timeoutMs: 1500, maxBodyBytes: 65536 });
  assert.equal((await h.call("PUT", "/v1/policy", { body: POLICY5 })).status, 200);
  agr = uid("agr_");
  assert.equal((await h.call("PUT", `/v1/agreements/${agr}`, { body: canonicalAgreement(agr) })).status, 201);
  const cit = await h.call("POST", "/coinflow/api/checkout/card/merchant-demo", {
    body: { subtotal: { cents: 2500, currency: "USD" }, token: "tok_saved_1" },
    headers: { "x-user-id": "customer-123", authorization: "cf-key" },
  });
  assert.equal(cit.status, 200, cit.text);
  coinflowPayment = cit.json.paymentId;
  // One charge so the agreement's object has a ledger to compare.
  assert.equal((await h.call("POST", "/v1/charges", { body: { reference: agr, amount: { amount: "1.00", currency: "USD" } } })).status, 200);
});

after(async () => {
  if (h) await h.stop();
});

const amount = (a, c = "USD") => ({ amount: a, currency: c });
const ch = (extra) => JSON.stringify({ reference: agr, amount: amount("1.00"), ...extra });
const cfMit = (extra) => ({ subtotal: { cents: 1000, currency: "USD" }, originalPaymentId: coinflowPayment, settlementType: "USDC", ...extra });
const CF_MIT = "/coinflow/api/checkout/merchant-initiated-transaction";
const CF_HEADERS = { "x-user-id": "customer-123", authorization: "cf-key", "content-type": "application/json" };
const JSON_H = { "content-type": "application/json" };
const future = "9999-12-31T00:00:00Z";

// [name, method, path (a function: ids are known only after `before`), body (string, object or function),
//  headers, field named in the answer (a regex over the body), options]
const CATALOGUE = () => [
  // Malformed and truncated JSON, wrong shapes.
  ["truncated JSON", "POST", "/v1/charges", '{"reference": "x", "amount": {"amount": "1.0', JSON_H, /JSON|EOF/i],
  ["not JSON", "POST", "/v1/charges", "reference=x&amount=1", JSON_H, /JSON|expected/i],
  ["empty body", "POST", "/v1/charges", "", JSON_H, /JSON|EOF/i],
  ["JSON array", "POST", "/v1/charges", "[1, 2]", JSON_H, /object/i],
  ["JSON string", "POST", "/v1/decisions", '"charge"', JSON_H, /object/i],
  ["trailing garbage", "POST", "/v1/charges", ch({}) + "}", JSON_H, /trailing|JSON/i],
  ["not UTF-8", "POST", "/v1/charges", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), JSON_H, /UTF-8|body/i],
  ["duplicate key (top level)", "POST", "/v1/charges", `{"reference": "${"AGR"}", "reference": "other", "amount": {"amount": "1.00", "currency": "USD"}}`, JSON_H, /"reference"/],
  ["duplicate key (nested)", "POST", "/v1/decisions", `{"reference": "AGR", "amount": {"amount": "1.00", "amount": "900.00", "currency": "USD"}}`, JSON_H, /amount\.amount/],
  ["duplicate key in a policy", "PUT", "/v1/policy", '{"enabled": true, "maxCount": 5, "maxCount": 500, "period": 86400, "maxMultiple": 3}', JSON_H, /maxCount/],
  // Wrong types.
  ["amount as a number", "POST", "/v1/charges", ch({ amount: { amount: 1, currency: "USD" } }), JSON_H, /amount/],
  ["amount as an object", "POST", "/v1/charges", ch({ amount: "1.00" }), JSON_H, /amount/],
  ["reference as a number", "POST", "/v1/charges", JSON.stringify({ reference: 12345, amount: amount("1.00") }), JSON_H, /reference/],
  ["reference missing", "POST", "/v1/charges", JSON.stringify({ amount: amount("1.00") }), JSON_H, /reference/],
  ["amount missing", "POST", "/v1/charges", JSON.stringify({ reference: "AGR" }), JSON_H, /amount/],
  ["merchantId as a number", "POST", "/v1/charges", ch({ merchantId: 7 }), JSON_H, /merchantId/],
  ["unknown field", "POST", "/v1/charges", ch({ amountCents: 100 }), JSON_H, /amountCents/],
  ["mitType unknown", "POST", "/v1/charges", ch({ mitType: "whenever" }), JSON_H, /mitType/],
  // Numbers.
  ["huge amount", "POST", "/v1/charges", ch({ amount: amount("99999999999999999999999999999999999.00") }), JSON_H, /amount/],
  ["exponent amount", "POST", "/v1/charges", ch({ amount: amount("1e400") }), JSON_H, /amount/],
  ["more decimals than USD allows", "POST", "/v1/charges", ch({ amount: amount("1.001") }), JSON_H, /amount/],
  ["decimals on JPY", "POST", "/v1/decisions", ch({ amount: amount("100.5", "JPY") }), JSON_H, /amount/],
  ["more decimals than KWD allows", "POST", "/v1/charges", ch({ amount: amount("1.0001", "KWD") }), JSON_H, /amount/],
  ["negative amount", "POST", "/v1/charges", ch({ amount: amount("-5.00") }), JSON_H, /amount/],
  ["zero amount", "POST", "/v1/charges", ch({ amount: amount("0.00") }), JSON_H, /amount/],
  ["amount with spaces", "POST", "/v1/charges", ch({ amount: amount(" 1.00") }), JSON_H, /amount/],
  ["unknown currency", "POST", "/v1/charges", ch({ amount: amount("1.00", "XYZ") }), JSON_H, /currency/],
  ["lower-case currency", "POST", "/v1/charges", ch({ amount: amount("1.00", "usd") }), JSON_H, /currency/],
  ["numeric currency", "POST", "/v1/charges", ch({ amount: { amount: "1.00", currency: 840 } }), JSON_H, /currency/],
  // Dates.
  ["referenceAt in a wrong format", "POST", "/v1/charges", ch({ referenceAt: "31/12/2026 10:00" }), JSON_H, /referenceAt/],
  ["referenceAt far in the future", "POST", "/v1/charges", ch({ referenceAt: future }), JSON_H, /referenceAt/],
  ["noticeSentAt as a number", "POST", "/v1/charges", ch({ noticeSentAt: 1767225600 }), JSON_H, /noticeSentAt/],
  ["noticeSentAt far in the future", "POST", "/v1/charges", ch({ noticeSentAt: future }), JSON_H, /noticeSentAt/],
  ["agreement established far in the future", "PUT", "/v1/agreements/NEW", () => { const b = canonicalAgreement("NEW"); b.agreement.established.at = future; return b; }, JSON_H, /established\.at/],
  ["agreement card expiry in a wrong format", "PUT", "/v1/agreements/NEW", () => { const b = canonicalAgreement("NEW"); b.agreement.credential.cardExpiry = "12/30"; return b; }, JSON_H, /cardExpiry/],
  ["agreement date that does not exist", "PUT", "/v1/agreements/NEW", () => { const b = canonicalAgreement("NEW"); b.agreement.established.at = "2026-02-30T00:00:00Z"; return b; }, JSON_H, /established\.at/],
  // Sizes, control characters, long ids.
  ["oversized body", "POST", "/v1/charges", ch({ customerId: "x".repeat(70000) }), JSON_H, /body/, { status: 413 }],
  ["oversized body on a proxy", "POST", CF_MIT, () => cfMit({ pad: "x".repeat(70000) }), CF_HEADERS, /body/, { status: 413 }],
  ["control characters in the reference", "POST", "/v1/charges", ch({ reference: "agr\u0000\u0007\u001b[2J" }), JSON_H, /reference/],
  ["very long reference", "POST", "/v1/charges", ch({ reference: "r".repeat(5000) }), JSON_H, /reference/],
  ["very long Idempotency-Key", "POST", "/v1/charges", ch({}), { ...JSON_H, "idempotency-key": "k".repeat(300) }, /Idempotency-Key/],
  ["very long agreement id", "PUT", "/v1/agreements/LONG", () => canonicalAgreement("L".repeat(3000)), JSON_H, /"path":"id"/], // the path parameter is refused first, by name
  ["a lone % ending an agreement id", "GET", "/v1/agreements/abc%", undefined, {}, /"path":"id"/, { status: 400 }],
  ["a % not followed by two hex digits", "GET", "/v1/agreements/%zz/limits", undefined, {}, /"path":"id"/, { status: 400 }],
  ["a lone % in an attempt id", "POST", "/v1/agreements/AGR/attempts/att%/outcome", { result: "approved" }, JSON_H, /"path":"attemptId"/, { status: 400 }],
  ["control characters in a customer id", "POST", "/v1/charges", ch({ customerId: "c\u0001\u0002" }), JSON_H, /customerId/],
  // Keys and merchants.
  ["no merchant key", "POST", "/v1/charges", ch({}), JSON_H, /X-Mitgate-Key/, { key: null, status: 401 }],
  ["unknown merchant key", "POST", "/v1/charges", ch({}), JSON_H, /X-Mitgate-Key/, { key: "sk_test_nobody", status: 401 }],
  ["no merchant key on a proxy", "POST", CF_MIT, () => cfMit({}), CF_HEADERS, /X-Mitgate-Key/, { key: null, status: 401 }],
  ["another merchant's id in the body", "POST", "/v1/charges", ch({ merchantId: "other" }), JSON_H, /merchantId/, { status: 403 }],
  ["an agreement for another merchant", "PUT", "/v1/agreements/NEW", () => canonicalAgreement("NEW", "other"), JSON_H, /merchantId/, { status: 403 }],
  // Card data in an MIT.
  ["a card number as the credential token", "POST", "/v1/charges", ch({ credentialToken: CARD }), JSON_H, /credentialToken/],
  ["a card object in a canonical MIT", "POST", "/v1/charges", ch({ card: { number: CARD, cvv: "123" } }), JSON_H, /card/],
  ["a card number as the reference", "POST", "/v1/charges", ch({ reference: CARD }), JSON_H, /reference/],
  ["a card in a Coinflow MIT", "POST", CF_MIT, () => cfMit({ card: { number: CARD, cvv: "123" } }), CF_HEADERS, /card/],
  ["a card number in processorContext", "PUT", "/v1/agreements/NEW", () => ({ ...canonicalAgreement("NEW"), processorContext: { terminalId: CARD } }), JSON_H, /processorContext/],
  // Dialect proxies.
  ["Coinflow MIT: negative cents", "POST", CF_MIT, () => cfMit({ subtotal: { cents: -100, currency: "USD" } }), CF_HEADERS, /cents|subtotal/],
  ["Coinflow MIT: cents as a string", "POST", CF_MIT, () => cfMit({ subtotal: { cents: "1000", currency: "USD" } }), CF_HEADERS, /cents|subtotal/],
  ["Coinflow MIT: fractional cents", "POST", CF_MIT, () => cfMit({ subtotal: { cents: 10.5, currency: "USD" } }), CF_HEADERS, /cents|subtotal/],
  ["Coinflow MIT: no originalPaymentId", "POST", CF_MIT, () => { const b = cfMit({}); delete b.originalPaymentId; return b; }, CF_HEADERS, /originalPaymentId/],
  ["Coinflow MIT: truncated JSON", "POST", CF_MIT, () => JSON.stringify(cfMit({})).slice(0, 40), CF_HEADERS, /JSON|EOF|body/i],
  ["Coinflow MIT: duplicate key", "POST", CF_MIT, () => `{"subtotal": {"cents": 1000, "currency": "USD"}, "subtotal": {"cents": 99999, "currency": "USD"}, "originalPaymentId": "${coinflowPayment}"}`, CF_HEADERS, /subtotal/],
  ["Coinflow MIT: unknown currency", "POST", CF_MIT, () => cfMit({ subtotal: { cents: 1000, currency: "ABC" } }), CF_HEADERS, /currency/],
  ["Infinic auto-attempt: fractional minor units", "POST", "/infinic/api/intents/auto-attempt", { amount: 100.5, currency: "ZAR", reference_id: "r1", purchaser_id: "p", credentials: ["tok_x"] }, JSON_H, /amount/],
  ["Infinic auto-attempt: no credentials", "POST", "/infinic/api/intents/auto-attempt", { amount: 1000, currency: "ZAR", reference_id: "r2", purchaser_id: "p" }, JSON_H, /credentials/],
  ["SPG MIT: three decimals in EUR", "POST", "/spg/api/v2/payments", { merchant: { terminalId: "11111", channel: "web", merchantTransactionId: "m1" }, transaction: { transactionTimestamp: new Date().toISOString(), paymentType: "MIT", paymentMethod: ["CARD"], amount: { value: 10.001, currency: "EUR" } }, originalTransaction: { id: "tx", datetime: new Date().toISOString() } }, JSON_H, /amount|value/],
  ["SPG MIT: datetime in a wrong format", "POST", "/spg/api/v2/payments", { merchant: { terminalId: "11111", channel: "web", merchantTransactionId: "m2" }, transaction: { transactionTimestamp: new Date().toISOString(), paymentType: "MIT", paymentMethod: ["CARD"], amount: { value: 10, currency: "EUR" } }, originalTransaction: { id: "tx", datetime: "yesterday" } }, JSON_H, /datetime/],
  ["Axerve 03N: negative amount", "POST", "/axerve/api/v1/payment/submit", { shopLogin: "GESPAY00001", uicCode: "242", amount: "-10", shopTransactionId: "o1", tokenValue: "tok_x", transDetails: { type: "03N", previousTransDetails: { bankTransactionID: "1" } }, apikey: "" }, JSON_H, /amount/],
  ["Axerve 03N: three decimals in EUR", "POST", "/axerve/api/v1/payment/submit", { shopLogin: "GESPAY00001", uicCode: "242", amount: "10.123", shopTransactionId: "o2", tokenValue: "tok_x", transDetails: { type: "03N", previousTransDetails: { bankTransactionID: "1" } }, apikey: "" }, JSON_H, /amount/],
  ["Axerve 03N: a card number as the token", "POST", "/axerve/api/v1/payment/submit", { shopLogin: "GESPAY00001", uicCode: "242", amount: "10", shopTransactionId: "o3", tokenValue: CARD, transDetails: { type: "03N", previousTransDetails: { bankTransactionID: "1" } }, apikey: "" }, JSON_H, /tokenValue/],
  ["Coinflow MIT: a CVV beside the reference", "POST", CF_MIT, () => cfMit({ cvv: "123" }), CF_HEADERS, /cvv/],
  // Other canonical routes.
  ["policy: negative maxCount", "PUT", "/v1/policy", { ...POLICY5, maxCount: -1 }, JSON_H, /maxCount/],
  ["policy: maxCount as a string", "PUT", "/v1/policy", { ...POLICY5, maxCount: "5" }, JSON_H, /maxCount/],
  ["policy: fractional cents", "PUT", "/v1/policy", { ...POLICY5, maxZeroAuthAmount: { cents: 1.5 } }, JSON_H, /maxZeroAuthAmount/],
  ["outcome: unknown result", "POST", "/v1/agreements/AGR/attempts/att_x/outcome", { result: "maybe" }, JSON_H, /result/],
  ["revocation: a reason with control characters", "DELETE", "/v1/agreements/AGR?reason=%00%1b", undefined, {}, /reason/],
  ["evaluate: malformed input", "POST", "/v1/decisions/evaluate", '{"now": "2026-01-01T00:00:00Z", "policy": ', JSON_H, /JSON|EOF|line/i],
];

describe("bad-input catalogue (Durable Object store)", () => {
  test("every entry: 4xx naming the field, never 5xx, no stored state changed", async () => {
    const entries = CATALOGUE();
    assert.ok(entries.length >= 50, `${entries.length} entries`);
    assert.equal(new Set(entries.map((e) => e[0])).size, entries.length, "names are distinct");
    const keys = ["k".repeat(300)];
    const failures = [];
    const statuses = {};
    for (const [name, method, rawPath, rawBody, headers, field, opts = {}] of entries) {
      const path = rawPath.replaceAll("AGR", agr).replace("/NEW", `/${"NEW"}`).replace("/LONG", `/${"L".repeat(3000)}`);
      let body = typeof rawBody === "function" ? rawBody() : rawBody;
      if (typeof body === "string") body = body.replaceAll('"AGR"', `"${agr}"`);
      if (body !== undefined && typeof body === "object" && !Buffer.isBuffer(body)) body = JSON.stringify(body);
      const before = await snapshot(h, keys);
      const r = await h.call(method, path, { key: opts.key === undefined ? "sk_test_demo" : opts.key, body, headers });
      const after = await snapshot(h, keys);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      const problems = [];
      if (r.status < 400 || r.status >= 500) problems.push(`status ${r.status}`);
      if (opts.status && r.status !== opts.status) problems.push(`status ${r.status}, expected ${opts.status}`);
      if (!field.test(r.text)) problems.push(`the answer does not name ${field}`);
      try {
        assert.deepEqual(after, before);
      } catch {
        problems.push("stored state changed");
      }
      if (problems.length) failures.push(`${name}: ${problems.join(", ")}: ${r.text.slice(0, 300)}`);
    }
    console.log(`# bad-input catalogue: ${entries.length} requests, answers by status ${JSON.stringify(statuses)}`);
    assert.deepEqual(failures, []);
  });

  test("the card numbers and CVVs in the catalogue reached no store and no log", async () => {
    const snap = await snapshot(h, ["k".repeat(300)]);
    for (const [name, value] of [...Object.entries(snap.kv), ...Object.entries(snap.objects).map(([n, v]) => [n, JSON.stringify(v)])]) {
      assert.deepEqual(cardData(name + " " + value), [], name);
    }
    const logs = h.logs.join("");
    assert.ok(logs.includes("POST /v1/charges"), "the log lines were captured");
    assert.deepEqual(cardData(logs), [], "logs");
  });
});
