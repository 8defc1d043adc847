// Document 000 (Infinic) end to end through the drop-in proxy, with each store: the document's own requests
// unchanged apart from ids and tokens. Step 1 (intent with allow_remember_credentials), step 2 (the
// PaymentCredential webhook, relayed by the merchant), step 3 (auto-attempt with the stored token), step 4
// (the StatusChange webhook), "Monitoring Payment Status", the three documented errors, the failure reasons
// of "Handling Failed Auto-Payments", and the ceiling across one purchaser's intents.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { start, STORES } from "./harness.mjs";
import { uid } from "./common.mjs";

const POLICY = {
  enabled: true,
  maxCount: 5,
  period: 86400,
  maxMultiple: 3,
  expiration: 2592000,
  maxZeroAuthAmount: { cents: 2000 },
  maxAmountLookback: 2592000,
};
const API_KEY = "inf_test_api_key";
// The test relays the processor's webhooks itself (step 2 and 4, some edited): under `make dev` the sandbox
// would also deliver them (WEBHOOK_URL), racing the test's own relay; this sandbox header holds them.
const HOLD = { "x-sandbox-webhook": "hold" };

for (const store of STORES) {
  describe(`document 000 through /infinic (${store} store)`, () => {
    let h;
    before(async () => {
      h = await start({ store });
      assert.equal((await h.call("PUT", "/v1/policy", { body: POLICY })).status, 200);
    });
    after(async () => {
      if (h) await h.stop();
    });

    const forwarded = async () => (await h.sandboxCall("GET", "/__sandbox/requests")).requests.filter((q) => q.dialect === "infinic").length;

    /** Step 1, exactly as the document's fetch; the test card (sandbox) rides in a header. */
    async function intent(customerId, { amount = 10000, card, consent = true } = {}) {
      const body = {
        amount,
        currency: "ZAR",
        reference_id: "subscription_init_" + customerId + uid("_"),
        purchaser_id: customerId,
        return_url: "https://yoursite.com/callback",
      };
      if (consent) Object.assign(body, { allow_remember_credentials: true, request_unscheduled_mit: true });
      const r = await h.call("POST", "/infinic/api/intents", {
        body,
        headers: { authorization: `Bearer ${API_KEY}`, ...HOLD, ...(card ? { "x-sandbox-card": card } : {}) },
      });
      assert.equal(r.status, 201, r.text);
      return { intentId: r.json.id, reference: body.reference_id };
    }

    /** Step 2: the PaymentCredential event the processor emitted, relayed by the merchant's webhook. */
    async function credential(reference, edit = (e) => e) {
      const { webhooks } = await h.sandboxCall("GET", "/__sandbox/webhooks");
      const event = webhooks.find((w) => w.type === "PaymentCredential" && w.content.reference_id === reference);
      assert.ok(event, "the processor emitted PaymentCredential");
      const r = await h.call("POST", "/v1/webhooks/infinic", { body: edit(structuredClone(event)) });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.warning ?? null, null, r.text);
      return { agreementId: r.json.agreementId, token: event.content.credential_token };
    }

    /** Step 3, exactly as the document's fetch. */
    function autoAttempt(customerId, token, amount = 10000, month = 2) {
      return h.call("POST", "/infinic/api/intents/auto-attempt", {
        body: { amount, currency: "ZAR", reference_id: `subscription_month_${month}_` + customerId + uid("_"), purchaser_id: customerId, credentials: [token] },
        headers: { authorization: `Bearer ${API_KEY}`, ...HOLD },
      });
    }

    test("steps 1 to 4: intent, PaymentCredential, auto-attempt, StatusChange; the status read", async () => {
      const customerId = uid("customer_");
      const { intentId, reference } = await intent(customerId);
      const { agreementId, token } = await credential(reference);
      assert.ok(agreementId);
      const rec = await h.call("GET", `/v1/agreements/${agreementId}`);
      assert.equal(rec.json.agreement.customerId, customerId, "purchaser_id is the customer");
      assert.equal(rec.json.agreement.credential.token, token);
      const r = await autoAttempt(customerId, token);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.intent_status, "success");
      const attemptId = r.headers.get("x-mitgate-attempt-id");
      assert.ok(attemptId);
      // Step 4: the StatusChange webhook of that auto-attempt.
      const { webhooks } = await h.sandboxCall("GET", "/__sandbox/webhooks");
      const sent = JSON.parse((await h.sandboxCall("GET", "/__sandbox/requests")).requests.filter((q) => q.dialect === "infinic").pop().body);
      const change = webhooks.find((w) => w.type === "StatusChange" && w.content.reference_id === sent.reference_id);
      const w = await h.call("POST", "/v1/webhooks/infinic", { body: change });
      assert.equal(w.status, 200, w.text);
      assert.equal(w.json.matched, true);
      assert.equal(w.json.attemptId, attemptId);
      assert.equal(w.json.attemptStatus, "approved");
      // "Monitoring Payment Status": GET /api/intents/{intent_id}?iauth={intent_token}, forwarded as is.
      const status = await h.call("GET", `/infinic/api/intents/${intentId}?iauth=intent_token_1`, { headers: { authorization: `Bearer ${API_KEY}` } });
      assert.equal(status.status, 200, status.text);
      assert.equal(status.json.status, "success");
    });

    test("a resent auto-attempt (same reference_id, no Idempotency-Key) is answered from the first, never forwarded twice", async () => {
      const customerId = uid("customer_");
      const { reference } = await intent(customerId);
      const { token } = await credential(reference);
      const body = { amount: 10000, currency: "ZAR", reference_id: "subscription_month_2_" + customerId, purchaser_id: customerId, credentials: [token] };
      const send = () => h.call("POST", "/infinic/api/intents/auto-attempt", { body, headers: { authorization: `Bearer ${API_KEY}` } });
      const before = await forwarded();
      const first = await send();
      assert.equal(first.status, 200, first.text);
      const again = await send();
      assert.equal(again.status, 200, again.text);
      assert.equal(again.headers.get("idempotent-replayed"), "true");
      assert.equal(again.text, first.text);
      assert.equal(await forwarded(), before + 1, "forwarded once");
    });

    test("errors: 404 Credential not found, 403 Not authorized to use this credential, 422 not MIT compatible; none forwarded", async () => {
      const customerId = uid("customer_");
      const before = await forwarded();
      const unknown = await autoAttempt(customerId, "cred_token_abc123xyz");
      assert.equal(unknown.status, 404, unknown.text);
      assert.equal(unknown.json.detail, "Credential not found");
      // Another customer's credential (the purchaser_id is not the one it was stored for).
      const { reference } = await intent(customerId);
      const { token } = await credential(reference);
      const foreign = await autoAttempt(uid("customer_"), token);
      assert.equal(foreign.status, 403, foreign.text);
      assert.equal(foreign.json.detail, "Not authorized to use this credential");
      // A credential the processor reported as not MIT-compatible.
      const second = await intent(customerId);
      const incompatible = await credential(second.reference, (e) => ({ ...e, content: { ...e.content, is_mit_compatible: false } }));
      const r422 = await autoAttempt(customerId, incompatible.token);
      assert.equal(r422.status, 422, r422.text);
      assert.equal(r422.json.detail, "Credential cannot be used for MIT transactions");
      // An intent without allow_remember_credentials / request_unscheduled_mit ("Prerequisites").
      const noConsent = await intent(customerId, { consent: false });
      const nc = await credential(noConsent.reference);
      const r = await autoAttempt(customerId, nc.token);
      assert.equal(r.status, 422, r.text);
      assert.equal(r.json.mitgate.violations[0].code, "consent_missing");
      assert.equal(await forwarded(), before + 3, "only the three intents reached the processor");
    });

    test("failure reasons: CardExpired needs a new card; InsufficientFunds may be retried", async () => {
      const customerId = uid("customer_");
      const expired = await intent(customerId, { card: "4000000000000051" });
      const e = await credential(expired.reference);
      const first = await autoAttempt(customerId, e.token);
      assert.equal(first.json.intent_status, "failed", first.text);
      assert.equal(first.json.failure_reason, "CardExpired");
      const again = await autoAttempt(customerId, e.token);
      assert.equal(again.status, 422, again.text);
      assert.equal(again.json.mitgate.violations[0].code, "reauthentication_required");
      const poor = await intent(customerId, { card: "4000000000000515" });
      const p = await credential(poor.reference);
      const declined = await autoAttempt(customerId, p.token);
      assert.equal(declined.json.failure_reason, "InsufficientFunds", declined.text);
      const before = await forwarded();
      const retry = await autoAttempt(customerId, p.token, 10000, 3);
      assert.ok(retry.headers.get("x-mitgate-attempt-id"), retry.text);
      assert.equal(await forwarded(), before + 1, "the retry was forwarded");
    });

    test("the ceiling counts every intent of the purchaser: 100.00 then 300.00 ZAR make 900.00 chargeable on the first credential", async () => {
      const customerId = uid("customer_");
      const a = await credential((await intent(customerId)).reference);
      assert.equal((await autoAttempt(customerId, a.token, 30001)).status, 422, "100.00 x 3 so far");
      await credential((await intent(customerId, { amount: 30000 })).reference);
      const over = await autoAttempt(customerId, a.token, 90001);
      assert.equal(over.status, 422, over.text);
      assert.deepEqual(over.json.mitgate.violations[0].details.ceiling.policy.base, { amount: "300.00", currency: "ZAR" });
      const ok = await autoAttempt(customerId, a.token, 90000);
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.intent_status, "success");
    });
  });
}
