// Storage operations per request, exactly: the Worker's own `X-Mitgate-Storage` header
// (`kv_reads=N; kv_writes=M; do_calls=K`, counted in crates/worker/src/store.rs) for each kind of request
// on the hot path, with both stores. The agreements are made as bench/load.mjs makes them (a Coinflow zero
// authorization through the proxy, with a customer), so these are the counts `make perf` reports.
// The figures are printed as `# storage ...` lines; PERFORMANCE.md ("Storage per request") quotes them.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { start } from "./harness.mjs";
import { uid } from "./common.mjs";

const POLICY = {
  enabled: true,
  maxCount: 1000,
  period: 86400,
  maxMultiple: 3,
  expiration: 2592000,
  maxZeroAuthAmount: { cents: 2000 },
  maxAmountLookback: 2592000,
};
const MIT_PATH = "/coinflow/api/checkout/merchant-initiated-transaction";
const CUSTOMER = { "x-user-id": "customer-123", authorization: "cf-key" };
const mitBody = (paymentId, cents = 1000) => ({ subtotal: { cents, currency: "USD" }, originalPaymentId: paymentId, settlementType: "USDC" });
const charge = (paymentId, amount) => ({ reference: paymentId, customerId: "customer-123", amount: { amount, currency: "USD" } });

// The exact counts, per store and request kind (docs/worker.md, "Storage cost"). The policy was just PUT
// through this isolate, and the customer's index merged by it (the CITs below), so no request here reads
// either (store.rs, `PolicyCache`: 5 s per isolate). With the Durable Object store an allowed charge is one
// call to its agreement's object before forwarding (claim the key, decide, reserve: `charge`) and one after
// (the outcome and the final answer: `settle`; without a key, `mergeAttempt`), a refused one is that one
// `charge` call (the refusal kept as the key's answer), and neither reads nor writes KV: the agreement is
// its object's (this isolate keeps the copy it last read or wrote, the object checks its revision), the
// token's list of agreements is kept 5 s per isolate, and the MIT's payment is marked in the object its
// id names once the answer is sent (not counted: after the header). Before issue 14's items 2 and 3 (DO):
// 5, 3, 4, 5, 4 and 2 calls; (KV): 3, 1, 3, 3, 3 and 1. Before the agreement moved into its object (DO):
// 2 KV reads and 1 KV write per allowed charge, 2 reads per refusal or decision.
// A cold isolate (test hook `cold-isolate`) also reads the policy (1 KV read) and the customer's index (1
// call), and with the Durable Object store the agreement from its object (1 call: a refusal is then 2 calls
// to the agreement's object, the charge 2 before forwarding) and the token's list (1 KV read).
// With the KV store an agreement's ledger is in its value (issue 14, item 3; docs/worker.md, "KV layout"): a
// charge reads it once (the agreement), writes it once before forwarding (the reservation), reads it back,
// and after forwarding reads it again to merge the outcome (and writes the payment's index). Before item 3
// (the ledger a separate VELOCITY value): 5 reads and 3 writes for an allowed MIT, 3 reads for a refused
// one or a decision.
const EXPECTED = {
  // With the KV store the key is claimed and answered in its own Durable Object (OBJECTS is bound in
  // wrangler.toml): the 2 calls of a keyed request.
  kv: {
    "proxied MIT allowed, Idempotency-Key": "kv_reads=4; kv_writes=3; do_calls=2",
    "proxied MIT allowed, no Idempotency-Key": "kv_reads=4; kv_writes=3; do_calls=0",
    "proxied MIT refused (above ceiling), Idempotency-Key": "kv_reads=2; kv_writes=0; do_calls=2",
    "POST /v1/charges allowed, Idempotency-Key": "kv_reads=4; kv_writes=3; do_calls=2",
    "POST /v1/charges refused (above ceiling), Idempotency-Key": "kv_reads=2; kv_writes=0; do_calls=2",
    // The processor answers 500: nothing is written after forwarding, so these are the operations before
    // it (and the read-back): the one write is the reservation.
    "POST /v1/charges pending (processor 500), before forwarding": "kv_reads=3; kv_writes=1; do_calls=0",
    "POST /v1/decisions allowed": "kv_reads=2; kv_writes=0; do_calls=0",
    "proxied MIT allowed, Idempotency-Key, cold isolate": "kv_reads=5; kv_writes=3; do_calls=3",
    "proxied MIT refused (above ceiling), cold isolate": "kv_reads=3; kv_writes=0; do_calls=3",
  },
  durable_object: {
    "proxied MIT allowed, Idempotency-Key": "kv_reads=0; kv_writes=0; do_calls=2",
    "proxied MIT allowed, no Idempotency-Key": "kv_reads=0; kv_writes=0; do_calls=2",
    "proxied MIT refused (above ceiling), Idempotency-Key": "kv_reads=0; kv_writes=0; do_calls=1",
    "POST /v1/charges allowed, Idempotency-Key": "kv_reads=0; kv_writes=0; do_calls=2",
    "POST /v1/charges refused (above ceiling), Idempotency-Key": "kv_reads=0; kv_writes=0; do_calls=1",
    "POST /v1/charges pending (processor 500), before forwarding": "kv_reads=0; kv_writes=0; do_calls=1",
    "POST /v1/decisions allowed": "kv_reads=0; kv_writes=0; do_calls=1",
    "proxied MIT allowed, Idempotency-Key, cold isolate": "kv_reads=2; kv_writes=0; do_calls=4",
    "proxied MIT refused (above ceiling), cold isolate": "kv_reads=2; kv_writes=0; do_calls=3",
  },
};

for (const store of ["kv", "durable_object"]) {
  describe(`storage operations per request, ${store} store`, () => {
    let h;
    const agreement = async () => {
      const r = await h.call("POST", "/coinflow/api/checkout/zero-authorization/demo", { body: { token: `${uid("4111114324324111_")}_bt` }, headers: CUSTOMER });
      assert.equal(r.status, 200, r.text);
      return r.json.paymentId;
    };
    const observed = {};
    const probe = async (name, status, method, path, body, headers) => {
      const r = await h.call(method, path, { body, headers });
      assert.equal(r.status, status, `${name}: ${r.text}`);
      observed[name] = r.headers.get("x-mitgate-storage");
      return r;
    };

    before(async () => {
      h = await start({ store, timeoutMs: 10000 });
      const put = await h.call("PUT", "/v1/policy", { body: POLICY });
      assert.equal(put.status, 200, put.text);
    });
    after(async () => {
      if (h) await h.stop();
    });

    test("each request kind costs exactly the documented operations", async () => {
      // A warm agreement: one allowed charge already in its ledger (the steady state of bench/load.mjs).
      const [a, b, c, d] = [await agreement(), await agreement(), await agreement(), await agreement()];
      for (const id of [a, b]) {
        const warm = await h.call("POST", MIT_PATH, { body: mitBody(id), headers: CUSTOMER });
        assert.equal(warm.status, 200, warm.text);
      }
      await probe("proxied MIT allowed, Idempotency-Key", 200, "POST", MIT_PATH, mitBody(a), { ...CUSTOMER, "idempotency-key": uid("idem_") });
      await probe("proxied MIT allowed, no Idempotency-Key", 200, "POST", MIT_PATH, mitBody(b), CUSTOMER);
      // A new isolate (test hook `cold-isolate`: an empty per-isolate cache) reads what a warm one keeps.
      const cold = { ...CUSTOMER, "x-mitgate-test-fault": "cold-isolate" };
      await probe("proxied MIT allowed, Idempotency-Key, cold isolate", 200, "POST", MIT_PATH, mitBody(a), { ...cold, "idempotency-key": uid("idem_") });
      await probe("proxied MIT refused (above ceiling), cold isolate", 410, "POST", MIT_PATH, mitBody(a, 7000), { ...cold, "idempotency-key": uid("idem_") });
      const refused = await probe("proxied MIT refused (above ceiling), Idempotency-Key", 410, "POST", MIT_PATH, mitBody(a, 7000), { ...CUSTOMER, "idempotency-key": uid("idem_") });
      assert.deepEqual(refused.json.mitgate.violations.map((v) => v.code), ["amount_above_ceiling"]);
      const allowed = await probe("POST /v1/charges allowed, Idempotency-Key", 200, "POST", "/v1/charges", charge(c, "10.00"), { "idempotency-key": uid("idem_") });
      assert.equal(allowed.json.outcome, "approved");
      const refusedCharge = await probe("POST /v1/charges refused (above ceiling), Idempotency-Key", 410, "POST", "/v1/charges", charge(c, "70.00"), { "idempotency-key": uid("idem_") });
      assert.deepEqual(refusedCharge.json.decision.violations.map((v) => v.code), ["amount_above_ceiling"]);
      await h.sandboxCall("POST", "/__sandbox/faults", { status: 500, count: 1 });
      const pending = await probe("POST /v1/charges pending (processor 500), before forwarding", 502, "POST", "/v1/charges", charge(c, "10.00"));
      assert.equal(pending.json.outcome, "pending", pending.text);
      const decision = await probe("POST /v1/decisions allowed", 200, "POST", "/v1/decisions", charge(d, "10.00"));
      assert.equal(decision.json.decision.outcome, "allowed");
      for (const [name, header] of Object.entries(observed)) console.log(`# storage (${store} store): ${name.padEnd(56)} ${header}`);
      assert.deepEqual(observed, EXPECTED[store]);
    });

    test("the policy: a PUT is seen at once; a change written by another isolate within POLICY_TTL_SECONDS (5 s)", async () => {
      const id = await agreement();
      const decide = async () => {
        const r = await h.call("POST", "/v1/decisions", { body: charge(id, "10.00") });
        assert.equal(r.status, 200, r.text);
        return r;
      };
      const tighter = { ...POLICY, maxCount: 0 };
      const put = await h.call("PUT", "/v1/policy", { body: tighter });
      assert.equal(put.status, 200, put.text);
      const seen = await decide();
      assert.deepEqual(seen.json.decision.violations.map((v) => v.code), ["velocity_exceeded"], "the PUT applies to the next decision");
      const cached = EXPECTED[store]["POST /v1/decisions allowed"];
      assert.equal(seen.headers.get("x-mitgate-storage"), cached, "from the cache: no KV read for the policy");
      // Another isolate's PUT: straight into POLICIES, this isolate's cached copy is kept for up to 5 s.
      const policies = await h.mf.getKVNamespace("POLICIES");
      const written = Date.now();
      await policies.put("policy/v1/demo", JSON.stringify(POLICY));
      const stale = await decide();
      if (Date.now() - written < 4000) assert.equal(stale.json.decision.outcome, "refused", "within the TTL: the cached policy");
      await new Promise((resolve) => setTimeout(resolve, 5200));
      const fresh = await decide();
      assert.equal(fresh.json.decision.outcome, "allowed", fresh.text);
      const reads = (header) => Number(/kv_reads=(\d+);/.exec(header)[1]);
      // The policy read again (and, with the Durable Object store, the token's list, also kept 5 s).
      const again = store === "kv" ? 1 : 2;
      assert.equal(reads(fresh.headers.get("x-mitgate-storage")), reads(cached) + again, "read again from KV after the TTL");
    });
  });
}
