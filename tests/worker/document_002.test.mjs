// Document 002 (SPG) end to end through the drop-in proxy, with each store: the document's own requests,
// its timestamps included, unchanged apart from merchantTransactionId, the processor's transactionID and the
// token. Section 1 (AUTH CIT), section 2 (MIT with originalTransaction), section 3 (advanced MIT attributes),
// section 4 (schedule), and the common pitfalls.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { start, STORES } from "./harness.mjs";
import { uid } from "./common.mjs";

// An SPG merchant's policy: no Coinflow-style reference window (the document's CIT is from April 2026).
const POLICY = { enabled: true, maxCount: 5, period: 86400, maxMultiple: 3, maxZeroAuthAmount: { cents: 2000 } };

/** Section 1's request; `mit` adds a merchantInitiatedTransaction block (sections 3 and 4) to the AUTH. */
function auth(mit) {
  const body = {
    merchant: { terminalId: "11111", channel: "web", merchantTransactionId: uid("CARD-CIT-") },
    transaction: {
      transactionTimestamp: "2026-04-16T10:15:30.000Z",
      description: "Initial recurring authorization",
      paymentType: "AUTH",
      paymentMethod: ["CARD"],
      amount: { value: 0.0, currency: "EUR" },
    },
  };
  if (mit) body.merchantInitiatedTransaction = mit;
  // JSON.stringify writes 0 for 0.00: send the document's literal.
  return JSON.stringify(body).replace('"value":0,', '"value":0.00,');
}

/** Section 2's request (section 3's with `extra`). */
function mit(original, value, extra = {}) {
  const body = {
    merchant: { terminalId: "11111", channel: "web", merchantTransactionId: uid("CARD-MIT-") },
    transaction: { transactionTimestamp: "2026-04-17T10:15:30.000Z", paymentType: "MIT", paymentMethod: ["CARD"], amount: { value: "__VALUE__", currency: "EUR" } },
    originalTransaction: { id: original.id, datetime: original.datetime ?? "2026-04-16T10:15:30.000Z" },
    ...extra,
  };
  return JSON.stringify(body).replace('"__VALUE__"', value);
}

const JSON_H = { "content-type": "application/json" };

for (const store of STORES) {
  describe(`document 002 through /spg (${store} store)`, () => {
    let h;
    before(async () => {
      h = await start({ store });
      assert.equal((await h.call("PUT", "/v1/policy", { body: POLICY })).status, 200);
    });
    after(async () => {
      if (h) await h.stop();
    });

    const forwarded = async () => (await h.sandboxCall("GET", "/__sandbox/requests")).requests.filter((q) => q.dialect === "spg").length;
    const post = (body) => h.call("POST", "/spg/api/v2/payments", { body, headers: JSON_H });

    async function cit(mitBlock) {
      const r = await post(auth(mitBlock));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.paymentStatus, "Success");
      assert.equal(r.headers.get("x-mitgate-agreement-id"), r.json.transactionID);
      return { id: r.json.transactionID, token: r.json.token.value };
    }

    test("sections 1 and 2: AUTH, then an MIT linked by originalTransaction is forwarded", async () => {
      const original = await cit();
      const rec = await h.call("GET", `/v1/agreements/${original.id}`);
      assert.equal(rec.json.agreement.established.at, "2026-04-16T10:15:30Z");
      assert.equal(rec.json.agreement.established.method, "zero_auth", "amount 0.00: a zero authorization");
      assert.equal(rec.json.agreement.credential.token, original.token);
      const r = await post(mit(original, "29.90"));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.paymentStatus, "Success");
      assert.deepEqual(r.json.amount, { value: 29.9, currency: "EUR" });
      const { requests } = await h.sandboxCall("GET", "/__sandbox/requests");
      assert.ok(requests.pop().body.includes('"value":29.90'), "the body reaches the processor as sent");
      // The zero authorization's ceiling: maxZeroAuthAmount 20.00 x 3.
      const over = await post(mit(original, "60.01"));
      assert.equal(over.status, 410, over.text);
      assert.equal(over.json.returnStatus.statusCode, "410");
      assert.equal(over.json.mitgate.violations[0].code, "amount_above_ceiling");
    });

    test("common pitfalls: datetime not exact, originalTransaction missing, another paymentType: refused, never forwarded", async () => {
      const original = await cit();
      const before = await forwarded();
      const off = await post(mit({ id: original.id, datetime: "2026-04-16T10:15:30.001Z" }, "29.90"));
      assert.equal(off.status, 422, off.text);
      assert.equal(off.json.mitgate.violations[0].code, "reference_datetime_mismatch");
      const unlinked = JSON.parse(mit(original, "29.90"));
      delete unlinked.originalTransaction;
      const missing = await post(JSON.stringify(unlinked));
      assert.equal(missing.status, 400, missing.text);
      assert.match(missing.text, /originalTransaction/);
      const sale = JSON.parse(mit(original, "29.90"));
      sale.transaction.paymentType = "SALE";
      delete sale.originalTransaction;
      const wrongType = await post(JSON.stringify(sale));
      assert.equal(wrongType.status, 400, wrongType.text);
      assert.equal(wrongType.json.mitgate.errors[0].path, "transaction.paymentType");
      const unknown = await post(mit({ id: "txCIT123456789" }, "29.90"));
      assert.equal(unknown.status, 404, unknown.text);
      assert.equal(await forwarded(), before, "no refused request reached the processor");
    });

    test("sections 3 and 4: an RCRR agreement with a schedule; the advanced MIT is forwarded, the next within the interval waits", async () => {
      // Section 4's block on the AUTH, with section 3's validityDate: the terms the customer agreed to.
      const terms = {
        type: "RCRR",
        amountQualifier: "ESTIMATED",
        validityDate: "2027-04-16T23:59:59.000Z",
        schedule: { initialDate: "2026-05-01T00:00:00.000Z", finalDate: "2027-05-01T00:00:00.000Z", interval: "MONTHLY" },
      };
      const original = await cit(terms);
      const rec = await h.call("GET", `/v1/agreements/${original.id}`);
      assert.equal(rec.json.agreement.type, "recurring");
      assert.equal(rec.json.agreement.terms.schedule.interval, "monthly");
      // Section 3's request as the document shows it.
      const advanced = { merchantInitiatedTransaction: { type: "RCRR", amountQualifier: "ACTUAL", validityDate: "2027-04-16T23:59:59.000Z" } };
      const r = await post(mit(original, "15.00", advanced));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.paymentStatus, "Success");
      const before = await forwarded();
      const soon = await post(mit(original, "15.00", advanced));
      assert.equal(soon.status, 429, soon.text);
      assert.equal(soon.json.mitgate.violations[0].code, "interval_too_short");
      assert.ok(Number(soon.headers.get("retry-after")) > 25 * 86400, "a month's wait");
      // A UCOF MIT on the recurring agreement contradicts its type.
      const ucof = await post(mit(original, "15.00", { merchantInitiatedTransaction: { type: "UCOF" } }));
      assert.equal(ucof.status, 422, ucof.text);
      assert.ok(ucof.json.mitgate.violations.some((v) => v.code === "mit_type_mismatch"), ucof.text);
      assert.equal(await forwarded(), before);
    });

    test("sections 1, 2 and 3 in the document's order: AUTH, MIT, then the advanced RCRR MIT on the same AUTH, all forwarded", async () => {
      const original = await cit();
      const rec = await h.call("GET", `/v1/agreements/${original.id}`);
      assert.equal(rec.json.agreement.type, "unscheduled");
      assert.equal(rec.json.agreement.typeDeclared, false, "the AUTH declared no MIT type");
      const before = await forwarded();
      const section2 = await post(mit(original, "29.90"));
      assert.equal(section2.status, 200, section2.text);
      // Section 3's request as the document shows it (its own timestamp, the same originalTransaction).
      const section3 = JSON.parse(mit(original, "15.00", { merchantInitiatedTransaction: { type: "RCRR", amountQualifier: "ACTUAL", validityDate: "2027-04-16T23:59:59.000Z" } }));
      section3.transaction.transactionTimestamp = "2026-04-18T10:15:30.000Z";
      const r = await post(JSON.stringify(section3).replace('"value":15,', '"value":15.00,'));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.paymentStatus, "Success");
      assert.equal(await forwarded(), before + 2, "both MITs reached the processor");
      const { requests } = await h.sandboxCall("GET", "/__sandbox/requests");
      assert.ok(requests.pop().body.includes('"type":"RCRR"'), "the advanced attributes reach the processor as sent");
      // The agreement still declares nothing: the document's MIT types are the merchant's to choose.
      assert.equal((await h.call("GET", `/v1/agreements/${original.id}`)).json.agreement.typeDeclared, false);
    });

    test("a resent MIT (same merchantTransactionId, no Idempotency-Key) is answered from the first, never forwarded twice", async () => {
      const original = await cit();
      const body = mit(original, "12.00");
      const before = await forwarded();
      // Ten concurrent sends of the same request: one is decided and forwarded, the rest get its answer or 409.
      const answers = await Promise.all(Array.from({ length: 10 }, () => post(body)));
      assert.ok(answers.every((a) => a.status === 200 || (a.status === 409 && a.json.error.code === "idempotency_in_progress")), answers.map((a) => a.status).join());
      assert.equal(await forwarded(), before + 1, "forwarded once");
      const again = await post(body);
      assert.equal(again.status, 200, again.text);
      assert.equal(again.headers.get("idempotent-replayed"), "true");
      assert.equal(again.json.transactionID, answers.find((a) => a.status === 200).json.transactionID);
      // The same merchantTransactionId on another amount is another request: 422, not forwarded.
      const other = JSON.parse(body);
      other.transaction.amount.value = "__V__";
      const reused = await post(JSON.stringify(other).replace('"__V__"', "13.00"));
      assert.equal(reused.status, 422, reused.text);
      assert.equal(reused.json.error.code, "idempotency_key_reused");
      // A bad request frees its id: corrected, the same merchantTransactionId is decided.
      const bad = JSON.parse(mit(original, "12.00"));
      delete bad.originalTransaction;
      const first = await post(JSON.stringify(bad));
      assert.equal(first.status, 400, first.text);
      bad.originalTransaction = { id: original.id, datetime: "2026-04-16T10:15:30.000Z" };
      const fixed = await post(JSON.stringify(bad).replace('"value":12,', '"value":12.00,'));
      assert.equal(fixed.status, 200, fixed.text);
      assert.equal(fixed.headers.get("idempotent-replayed"), null);
      assert.equal(await forwarded(), before + 2);
    });

    test("an AUTH that declared UCOF: section 3's RCRR MIT on it is refused as a type mismatch, never forwarded", async () => {
      const original = await cit({ type: "UCOF" });
      const before = await forwarded();
      const r = await post(mit(original, "15.00", { merchantInitiatedTransaction: { type: "RCRR", amountQualifier: "ACTUAL", validityDate: "2027-04-16T23:59:59.000Z" } }));
      assert.equal(r.status, 422, r.text);
      assert.deepEqual(r.json.mitgate.violations.map((v) => v.code), ["mit_type_mismatch"]);
      assert.equal(await forwarded(), before);
    });
  });
}
