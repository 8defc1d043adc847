// Issue 12 through the Worker: Mastercard counts declines per card, so a charge on one agreement sees the
// declines of the merchant's other agreements on the same credential token (the token's list of
// agreements), whichever of them is charged, in both stores; and the decision names its rule-set version.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { start } from "./harness.mjs";

const POLICY = { enabled: true, maxMultiple: 3, maxZeroAuthAmount: { cents: 2000 } };
let seq = 0;
const uid = (p) => `${p}${Date.now().toString(36)}${(seq += 1)}`;
const hoursAgo = (h) => new Date(Date.now() - h * 3600_000).toISOString();

function mastercard(id, token, attempts = []) {
  return {
    agreement: {
      id,
      merchantId: "demo",
      customerId: "customer-123",
      type: "unscheduled",
      established: { method: "cvv_purchase", at: hoursAgo(24 * 10) },
      currency: "USD",
      paymentMethod: { type: "card", brand: "mastercard" },
      credential: { token, cardExpiry: "2030-12" },
      consent: { storeCredential: true, merchantInitiated: true },
    },
    history: { payments: [], attempts },
    dialect: "coinflow",
  };
}

const declines = (n, prefix) =>
  Array.from({ length: n }, (_, i) => ({
    id: `${prefix}_${i}`,
    at: hoursAgo(n - i),
    amount: { amount: "10.00", currency: "USD" },
    status: "declined",
    decline: { code: "05" },
  }));

for (const store of ["kv", "durable_object"]) {
  describe(`network rules through the Worker (${store} store)`, () => {
    let h;
    before(async () => {
      h = await start({ store, timeoutMs: 1500 });
      assert.equal((await h.call("PUT", "/v1/policy", { body: POLICY })).status, 200);
    });
    after(async () => {
      if (h) await h.stop();
    });

    test("10 declines on another agreement sharing the token refuse a charge on this one", async () => {
      const token = uid("tok_shared_");
      const mine = uid("agr_b_");
      const other = uid("agr_a_");
      // This agreement first, then the other: the token index names the other (the latest stored).
      assert.equal((await h.call("PUT", `/v1/agreements/${mine}`, { body: mastercard(mine, token) })).status, 201);
      const put = await h.call("PUT", `/v1/agreements/${other}`, { body: mastercard(other, token, declines(10, other)) });
      assert.equal(put.status, 201, put.text);
      const charge = { reference: mine, amount: { amount: "10.00", currency: "USD" } };
      const d = await h.call("POST", "/v1/decisions", { body: charge });
      assert.equal(d.status, 200, d.text);
      assert.equal(d.json.decision.outcome, "refused");
      assert.deepEqual(d.json.decision.violations.map((v) => v.code), ["card_decline_limit_reached"]);
      const details = d.json.decision.violations[0].details;
      assert.equal(details.budget, "mastercard_declines_per_day");
      assert.equal(details.declinesUsed, 10);
      assert.equal(details.declinesAllowed, 10);
      // The oldest of the other agreement's declines (10 hours ago) leaves the window 24 hours after it.
      const frees = Date.parse(d.json.decision.violations[0].retryAt);
      const expected = Date.parse(put.json.history.attempts[0].at) + 86400_000;
      assert.equal(frees, expected);
      assert.match(d.json.decision.rulesVersion, /^\d{4}-\d{2}-\d{2}$/);
      // A charge is refused before it reaches the processor (the Durable Object path reserves nothing).
      const c = await h.call("POST", "/v1/charges", { body: charge });
      assert.equal(c.status, 429, c.text);
      assert.equal(c.json.decision.violations[0].code, "card_decline_limit_reached");
      assert.ok(Number(c.headers.get("retry-after")) > 0);
      // The limits answer counts them too.
      const limits = await h.call("GET", `/v1/agreements/${mine}/limits`);
      assert.equal(limits.status, 200);
      assert.equal(Date.parse(limits.json.limits.nextEligibleAt), expected);
    });

    test("declines count across every agreement on the card, whichever is charged (the newest included)", async () => {
      const token = uid("tok_three_");
      const [a, b, c] = [uid("agr_old_"), uid("agr_mid_"), uid("agr_new_")];
      // Declines in three agreements on one card: 4 + 3 + 3 = 10 within 24 hours.
      for (const [id, n] of [[a, 4], [b, 3], [c, 3]]) {
        const put = await h.call("PUT", `/v1/agreements/${id}`, { body: mastercard(id, token, declines(n, id)) });
        assert.equal(put.status, 201, put.text);
      }
      for (const id of [a, b, c]) {
        const d = await h.call("POST", "/v1/decisions", { body: { reference: id, amount: { amount: "10.00", currency: "USD" } } });
        assert.equal(d.status, 200, d.text);
        assert.deepEqual(d.json.decision.violations.map((v) => v.code), ["card_decline_limit_reached"], `charging ${id}: ${d.text}`);
        assert.equal(d.json.decision.violations[0].details.declinesUsed, 10);
      }
      // Nine across three agreements leave one attempt on each of them.
      const token9 = uid("tok_nine_");
      const ids = [uid("agr_x_"), uid("agr_y_"), uid("agr_z_")];
      for (const id of ids) {
        assert.equal((await h.call("PUT", `/v1/agreements/${id}`, { body: mastercard(id, token9, declines(3, id)) })).status, 201);
      }
      for (const id of ids) {
        const d = await h.call("POST", "/v1/decisions", { body: { reference: id, amount: { amount: "10.00", currency: "USD" } } });
        assert.equal(d.json.decision.outcome, "allowed", d.text);
      }
    });

    test("9 declines on the other agreement leave one attempt; another token is another card", async () => {
      const token = uid("tok_shared_");
      const mine = uid("agr_b_");
      const other = uid("agr_a_");
      assert.equal((await h.call("PUT", `/v1/agreements/${mine}`, { body: mastercard(mine, token) })).status, 201);
      assert.equal((await h.call("PUT", `/v1/agreements/${other}`, { body: mastercard(other, token, declines(9, other)) })).status, 201);
      const d = await h.call("POST", "/v1/decisions", { body: { reference: mine, amount: { amount: "10.00", currency: "USD" } } });
      assert.equal(d.json.decision.outcome, "allowed", d.text);
      const lone = uid("agr_c_");
      assert.equal((await h.call("PUT", `/v1/agreements/${lone}`, { body: mastercard(lone, uid("tok_lone_")) })).status, 201);
      const third = uid("agr_d_");
      assert.equal((await h.call("PUT", `/v1/agreements/${third}`, { body: mastercard(third, uid("tok_x_"), declines(10, third)) })).status, 201);
      const e = await h.call("POST", "/v1/decisions", { body: { reference: lone, amount: { amount: "10.00", currency: "USD" } } });
      assert.equal(e.json.decision.outcome, "allowed", e.text);
    });
  });
}
