// Document 001 (Coinflow) end to end through the drop-in proxy, with each store: the document's own requests
// (paths, headers, bodies) unchanged apart from ids, tokens and the amounts its examples name.
// - Example 1: CVV-verified payments of 10.00, 6.00, 12.00 and 40.00 by one customer (x-user-id) make 40.00
//   the base of every one of the four references: 120.00 is allowed on each, 120.01 refused, and the
//   refusal names the 40.00 payment.
// - Example 2: a zero authorization only: maxZeroAuthAmount x maxMultiple.
// - The complete examples (Option 1 and Option 2) and the documented errors.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { start, STORES } from "./harness.mjs";
import { uid } from "./common.mjs";

// "Example Configuration", as the document shows it.
const POLICY = {
  enabled: true,
  maxCount: 5,
  period: 86400,
  maxMultiple: 3,
  expiration: 2592000,
  maxZeroAuthAmount: { cents: 2000 },
  maxAmountLookback: 2592000,
};

const MERCHANT_PATH = "your-merchant-id";

for (const store of STORES) {
  describe(`document 001 through /coinflow (${store} store)`, () => {
    let h;
    before(async () => {
      h = await start({ store });
      assert.equal((await h.call("PUT", "/v1/policy", { body: POLICY })).status, 200);
    });
    after(async () => {
      if (h) await h.stop();
    });

    const forwarded = async () => (await h.sandboxCall("GET", "/__sandbox/requests")).requests.filter((q) => q.dialect === "coinflow").length;

    /** "Using a Saved Token" (Step 1 alternative, and Option 2's curl) with the example's amount. */
    async function cardPayment(user, cents) {
      const r = await h.call("POST", `/coinflow/api/checkout/card/${MERCHANT_PATH}`, {
        body: { subtotal: { cents, currency: "USD" }, token: "4111114324324111_bt" },
        headers: { accept: "application/json", "x-user-id": user },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get("x-mitgate-agreement-id"), r.json.paymentId, "captured: the paymentId is the reference");
      assert.equal(r.headers.get("x-mitgate-warning"), null, r.headers.get("x-mitgate-warning"));
      return r.json.paymentId;
    }

    /** "Option 1": the zero authorization curl. */
    async function zeroAuth(user) {
      const r = await h.call("POST", `/coinflow/api/checkout/zero-authorization/${MERCHANT_PATH}`, {
        body: { token: "4111114324324111_bt" },
        headers: { accept: "application/json", "x-user-id": user },
      });
      assert.equal(r.status, 200, r.text);
      return r.json.paymentId;
    }

    /** The document's MIT curl. */
    function mit(user, originalPaymentId, cents) {
      return h.call("POST", "/coinflow/api/checkout/merchant-initiated-transaction", {
        body: { subtotal: { cents, currency: "USD" }, originalPaymentId, settlementType: "USDC" },
        headers: { accept: "application/json", authorization: "your-merchant-api-key", "x-user-id": user },
      });
    }

    test("example 1: 10 / 6 / 12 / 40 make 40.00 the base of all four references; 120.01 is refused naming it", async () => {
      const user = uid("customer-");
      const refs = [];
      for (const cents of [1000, 600, 1200]) refs.push(await cardPayment(user, cents));
      // So far the base is 12.00: 36.00 on the first reference, not 36.01.
      const early = await mit(user, refs[0], 3601);
      assert.equal(early.status, 410, early.text);
      assert.equal(early.json.mitgate.violations[0].details.ceiling.policy.basePaymentId, refs[2]);
      // The 40.00 payment raises every earlier reference's ceiling at once.
      refs.push(await cardPayment(user, 4000));
      const before = await forwarded();
      for (const ref of refs) {
        const over = await mit(user, ref, 12001);
        assert.equal(over.status, 410, over.text);
        assert.equal(
          over.json.message,
          "Amount exceeds limit: the total for a card-on-file transaction cannot exceed $120.00 (the allowed multiplier of 3) of the original payment amount ($40.00).",
        );
        const v = over.json.mitgate.violations;
        assert.deepEqual(v.map((x) => x.code), ["amount_above_ceiling"]);
        const p = v[0].details.ceiling.policy;
        assert.equal(p.basePaymentId, refs[3], "the refusal names the 40.00 payment");
        assert.deepEqual(p.base, { amount: "40.00", currency: "USD" });
        assert.match(p.basePaymentAt, /^\d{4}-\d\d-\d\dT/);
        assert.equal(v[0].details.ceiling.source, "cvv_verified_history");
      }
      assert.equal(await forwarded(), before, "refusals never reach the processor");
      for (const ref of refs) {
        const ok = await mit(user, ref, 12000);
        assert.equal(ok.status, 200, `${ref}: ${ok.text}`);
        assert.ok(ok.json.paymentId);
        assert.ok(ok.headers.get("x-mitgate-attempt-id"));
      }
      assert.equal(await forwarded(), before + 4, "each allowed MIT forwarded once");
      const limits = await h.call("GET", `/v1/agreements/${refs[1]}/limits`);
      assert.equal(limits.status, 200, limits.text);
      const c = limits.json.limits.ceiling;
      assert.deepEqual(c.amount, { amount: "120.00", currency: "USD" });
      assert.equal(c.policy.basePaymentId, refs[3]);
      assert.deepEqual(c.policy.base, { amount: "40.00", currency: "USD" });
      assert.ok(c.policy.basePaymentAt);
      // A restart of the Worker keeps the customer's index (it lives in the store, not in memory).
      await h.restart();
      const after = await mit(user, refs[0], 12001);
      assert.equal(after.status, 410, after.text);
      assert.equal(after.json.mitgate.violations[0].details.ceiling.policy.basePaymentId, refs[3]);
      assert.equal((await mit(user, refs[0], 12000)).status, 200);
    });

    test("example 2: a zero authorization only: maxZeroAuthAmount x maxMultiple = 60.00", async () => {
      const user = uid("customer-");
      const ref = await zeroAuth(user);
      const over = await mit(user, ref, 6001);
      assert.equal(over.status, 410, over.text);
      assert.equal(
        over.json.message,
        "Amount exceeds limit: the total for a card-on-file transaction cannot exceed $60.00 (the allowed multiplier of 3) of the original payment amount ($20.00).",
      );
      assert.equal(over.json.mitgate.violations[0].details.ceiling.source, "zero_auth_default");
      const ok = await mit(user, ref, 6000);
      assert.equal(ok.status, 200, ok.text);
      // Another customer's payments never raise this one's ceiling.
      await cardPayment(uid("customer-"), 10000);
      assert.equal((await mit(user, ref, 6001)).status, 410);
      // This customer's own later CVV-verified purchase does (the zero auth's reference included).
      await cardPayment(user, 3000);
      assert.equal((await mit(user, ref, 9000)).status, 200);
      assert.equal((await mit(user, ref, 9001)).status, 410);
    });

    test("concurrent CITs by one customer: the largest always becomes the base", async () => {
      const user = uid("customer-");
      const first = await cardPayment(user, 500);
      const cents = [1000, 2000, 3000, 4000, 5000];
      await Promise.all(cents.map((c) => cardPayment(user, c)));
      const limits = await h.call("GET", `/v1/agreements/${first}/limits`);
      assert.deepEqual(limits.json.limits.ceiling.policy.base, { amount: "50.00", currency: "USD" }, limits.text);
    });

    test("Option 1 and Option 2: the complete examples' MIT of 50.00 is forwarded", async () => {
      const user = uid("customer-");
      const zero = await zeroAuth(user);
      const r1 = await mit(user, zero, 5000);
      assert.equal(r1.status, 200, r1.text);
      const user2 = uid("customer-");
      const purchase = await cardPayment(user2, 2500);
      const r2 = await mit(user2, purchase, 5000);
      assert.equal(r2.status, 200, r2.text);
      const { requests } = await h.sandboxCall("GET", "/__sandbox/requests");
      const last = requests[requests.length - 1];
      assert.equal(last.path, "/api/checkout/merchant-initiated-transaction");
      assert.equal(last.authorization, "your-merchant-api-key");
      assert.equal(JSON.parse(last.body).originalPaymentId, purchase);
    });

    test("the documented errors: 403 not enabled, 403 chained reference, 429 velocity, 410 reference window, 410 amount", async () => {
      const user = uid("customer-");
      // "Maximum historical payment: $10.00, multiplier 3, maximum allowed MIT $30.00, your request $35.00".
      const ref = await cardPayment(user, 1000);
      const r35 = await mit(user, ref, 3500);
      assert.equal(r35.status, 410);
      assert.match(r35.json.message, /cannot exceed \$30\.00 \(the allowed multiplier of 3\) of the original payment amount \(\$10\.00\)/);
      // Chaining: an MIT's own paymentId as the originalPaymentId.
      const first = await mit(user, ref, 1000);
      assert.equal(first.status, 200, first.text);
      const chained = await mit(user, first.json.paymentId, 1000);
      assert.equal(chained.status, 403, chained.text);
      assert.equal(chained.json.message, "Cannot perform card on file operations for a originalPaymentId which is a card on file transaction, please pass the originalPaymentId which processed with the CVV Verification");
      // Velocity: maxCount 5 per originalPaymentId per period.
      for (let i = 0; i < 4; i++) assert.equal((await mit(user, ref, 1000)).status, 200);
      const sixth = await mit(user, ref, 1000);
      assert.equal(sixth.status, 429, sixth.text);
      assert.equal(sixth.json.message, "Max number of Card-on-File payments reached. (5 payments in 86400 seconds)");
      assert.ok(Number(sixth.headers.get("retry-after")) > 0);
      // Not enabled.
      assert.equal((await h.call("PUT", "/v1/policy", { body: { ...POLICY, enabled: false } })).status, 200);
      try {
        const off = await mit(user, ref, 100);
        assert.equal(off.status, 403, off.text);
        assert.equal(off.json.message, "Merchant Initiated Transaction not enabled. Please contact your integrations representative.");
        // Reference window: an expiration of 60 s against a payment made 0 s ago is still open; one of 1 s closes.
        assert.equal((await h.call("PUT", "/v1/policy", { body: { ...POLICY, expiration: 1 } })).status, 200);
        const fresh = await cardPayment(user, 1000);
        await new Promise((r) => setTimeout(r, 1200));
        const expired = await mit(user, fresh, 100);
        assert.equal(expired.status, 410, expired.text);
        assert.match(expired.json.message, /^This original payment can no longer be used as a card-on-file reference because it has exceeded the allowed 0-minute reference window\.$/);
      } finally {
        await h.call("PUT", "/v1/policy", { body: POLICY });
      }
    });
  });
}
