#!/usr/bin/env node
// A merchant backend checks an MIT charge with mitgate before sending it to its processor (Coinflow,
// document 001), so that a charge the processor would refuse never leaves the building.
//
//   node js-demo/validate-before-submit.mjs            (after `make wasm-pkg`; see js-demo/README.md)
//
// 1. At sign-up the customer paid 15.00 USD with CVV (`POST /api/checkout/card/{merchantId}`): the CIT
//    documents are captured into a canonical agreement once, with `parseCit`, and stored.
// 2. Before each MIT the backend builds the body it would POST to
//    `/api/checkout/merchant-initiated-transaction`, reads it with `parseMit`, and evaluates it.
// 3. The same check in canonical form (no dialect), with the JSON-string API.
import { evaluate, evaluateJson, parseCit, parseMit, renderRefusal } from "mitgate-wasm";

// Document 001's example settings, verbatim.
const policy = {
  enabled: true, maxCount: 5, period: 86400, maxMultiple: 3, expiration: 2592000,
  maxZeroAuthAmount: { cents: 2000 }, maxAmountLookback: 2592000,
};
const merchantId = "your-merchant-id";
const headers = { "x-user-id": "customer-123" };

// 1. Capture the agreement from the CIT (normally done once, when the checkout succeeded).
const cit = parseCit({
  dialect: "coinflow", merchantId, at: "2026-04-01T09:30:00Z", headers, endpoint: "card",
  tokenCvvVerified: true,
  request: { subtotal: { cents: 1500, currency: "USD" }, token: "4111114324324111_bt" },
  response: { paymentId: "550e8400-e29b-41d4-a716-446655440000" },
});
if (cit.type !== "success") throw new Error(`CIT capture failed: ${JSON.stringify(cit.errors)}`);
const { agreement, payment } = cit;
const history = { payments: [payment], attempts: [] };

function show(label, answer) {
  if (answer.type === "failure") {
    console.log(`${label}: bad input`);
    for (const e of answer.errors) console.log(`  ${e.path || "(root)"}: ${e.message}`);
    return;
  }
  const d = answer.decision;
  const ceiling = d.limits?.ceiling.amount;
  console.log(`${label}: ${d.outcome.toUpperCase()} (HTTP ${d.httpStatus})` +
    (ceiling ? `, ceiling ${ceiling.amount} ${ceiling.currency} (${d.limits.ceiling.source})` : ""));
  for (const v of d.violations) console.log(`  - ${v.code}: ${v.message}`);
}

// 2. Coinflow dialect: the exact body the backend is about to POST.
async function checkCoinflowCharge(cents, now) {
  const body = { subtotal: { cents, currency: "USD" }, originalPaymentId: agreement.id, settlementType: "USDC" };
  const parsed = parseMit({ dialect: "coinflow", merchantId, headers, body });
  if (parsed.type !== "success") return show(`coinflow ${cents} cents`, parsed);
  const evaluation = { now, policy, agreement, history, request: parsed.request };
  const answer = evaluate(evaluation);
  show(`coinflow ${cents} cents`, answer);
  if (answer.type === "success" && answer.decision.outcome === "refused") {
    const r = renderRefusal({ dialect: "coinflow", evaluation });
    if (r.type === "success" && r.response) {
      console.log(`  Coinflow would answer ${r.response.status}: ${r.response.body.message}`);
    }
    console.log("  => not submitted");
  } else if (answer.type === "success") {
    console.log("  => submit to POST /api/checkout/merchant-initiated-transaction");
  }
}

await checkCoinflowCharge(4500, "2026-04-10T12:00:00Z"); // 3 x 15.00: exactly at the ceiling
await checkCoinflowCharge(4501, "2026-04-10T12:00:00Z"); // one cent above
await checkCoinflowCharge(2500, "2026-05-02T12:00:00Z"); // after the 30-day reference window

// 3. Canonical form, JSON text in and out (what a non-JS service or a log replay would send).
const canonical = JSON.stringify({
  now: "2026-04-10T12:00:00Z", policy, agreement, history,
  request: { merchantId, customerId: "customer-123", reference: agreement.id,
    amount: { amount: "29.90", currency: "USD" }, idempotencyKey: "order-2026-04-10-001" },
});
show("canonical 29.90 USD", JSON.parse(evaluateJson(canonical)));
show("canonical 29.9 as a float", JSON.parse(evaluateJson(canonical.replace('"29.90"', "29.9"))));
