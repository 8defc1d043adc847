// One decision in Node, side by side in one process: mitgate's npm package (JSON-string API, object API, and
// an agreement handle holding the parsed state: request JSON in, decision JSON out) against the hand-written JavaScript baseline (./baseline.mjs) and @cedar-policy/cedar-wasm evaluating an
// equivalent amount-ceiling, velocity and expiry policy.
//
// Usage: node bench/node/engine-node.mjs <input.json> [--json out.json] [--before <dir>]
//   <input.json>: the typical evaluation (bench/run-all.sh writes it with
//   `cargo run -p mitgate-core --example decision_loop -- input 20`). The package is imported by name
//   (`mitgate-wasm`, linked to crates/wasm/pkg by bench/run-all.sh).
//   --before <dir>: also times another build of the Node package (`<dir>/mitgate_wasm.js`, e.g. main's
//   crates/wasm/pkg/node) on the handle and one-shot calls, in the same interleaved rounds: before/after
//   ratios measured side by side. Its answers must be byte-identical to this build's.
//
// The input is the native benchmark's typical case (20 history entries, every rule runs, allowed) with a
// 30-day reference window (`expiration`) on an agreement established 15 days before `now`, so the reference
// expiry is checked by all three.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { check as baselineCheck, minorUnits } from "./baseline.mjs";

const require = createRequire(import.meta.url);
const mitgate = require("mitgate-wasm");

const [inputPath, ...rest] = process.argv.slice(2);
const option = (name) => (rest.includes(name) ? rest[rest.indexOf(name) + 1] : null);
const outPath = option("--json");
const beforeDir = option("--before");
const before = beforeDir ? require(`${beforeDir}/mitgate_wasm.js`) : null;
const input = JSON.parse(readFileSync(inputPath, "utf8"));
input.policy.expiration = 2_592_000;
input.agreement.established.at = "2026-04-01T09:30:00Z";
const text = JSON.stringify(input);

// --- Cedar: the policy a user of a generic engine would write, and the glue that feeds it. ---
const POLICY = `
permit (principal, action == Action::"charge", resource is Agreement)
when {
  principal == resource.merchant &&
  context.currency == resource.currency &&
  context.amountMinor <= resource.ceilingMinor &&
  context.velocityUsed < resource.maxCount &&
  context.now < resource.referenceExpiresAt &&
  context.now < resource.cardExpiresAt
};`;
const prepared = cedar.preparsePolicySet("mitgate", { staticPolicies: POLICY });
if (prepared.type !== "success") throw new Error(JSON.stringify(prepared));

function cedarCall(inp) {
  const { policy, agreement: a, history, request: r } = inp;
  const now = Date.parse(inp.now);
  const lookbackStart = now - policy.maxAmountLookback * 1000;
  let base = null;
  const consider = (at, amount) => {
    const t = Date.parse(at);
    if (t > lookbackStart && t <= now && amount.currency === a.currency) {
      const v = minorUnits(amount.amount, a.currency);
      if (base === null || v > base) base = v;
    }
  };
  for (const p of history.payments) if (p.cvvVerified) consider(p.at, p.amount);
  if (a.established.method === "cvv_purchase") consider(a.established.at, a.established.amount);
  let ceiling = (base ?? BigInt(policy.maxZeroAuthAmount.cents)) * BigInt(policy.maxMultiple);
  const max = minorUnits(a.terms.maxAmount.amount, a.currency);
  if (max < ceiling) ceiling = max;
  let used = 0;
  const windowStart = now - policy.period * 1000;
  for (const t of history.attempts) {
    const at = Date.parse(t.at);
    if (t.status !== "released" && at > windowStart && at <= now) used++;
  }
  const [y, m] = a.credential.cardExpiry.split("-").map(Number);
  return {
    principal: { type: "Merchant", id: r.merchantId },
    action: { type: "Action", id: "charge" },
    resource: { type: "Agreement", id: a.id },
    context: {
      currency: r.amount.currency,
      amountMinor: Number(minorUnits(r.amount.amount, a.currency)),
      velocityUsed: used,
      now: Math.floor(now / 1000),
    },
    preparsedPolicySetId: "mitgate",
    entities: [{
      uid: { type: "Agreement", id: a.id },
      attrs: {
        merchant: { __entity: { type: "Merchant", id: a.merchantId } },
        currency: a.currency,
        ceilingMinor: Number(ceiling),
        maxCount: policy.maxCount,
        referenceExpiresAt: Math.floor(Date.parse(a.established.at) / 1000) + policy.expiration,
        cardExpiresAt: Math.floor(Date.UTC(y, m, 1) / 1000),
      },
      parents: [],
    }],
  };
}

// --- The handle: the agreement's state parsed once; each decision is request JSON in, decision JSON out. ---
const { now: _now, request: _request, ...state } = input;
const handle = mitgate.openAgreementJson(JSON.stringify(state));
if (!(handle instanceof mitgate.AgreementHandle)) throw new Error(JSON.stringify(handle));
const requestText = JSON.stringify(input.request);
if (handle.evaluateJson(input.now, requestText) !== mitgate.evaluateJson(text)) throw new Error("the handle and evaluateJson disagree");

// --- The same calls on another build (--before), checked to answer the same bytes. ---
const beforeHandle = before?.openAgreementJson(JSON.stringify(state));
if (before) {
  if (beforeHandle.evaluateJson(input.now, requestText) !== handle.evaluateJson(input.now, requestText)) throw new Error("--before: the handles disagree");
  if (before.evaluateJson(text) !== mitgate.evaluateJson(text)) throw new Error("--before: evaluateJson disagrees");
}

// --- The contenders: each takes the input as a JS object (what a Node backend holds) and decides. ---
const contenders = {
  "baseline JS (hand-written)": () => baselineCheck(input).allowed,
  "cedar-wasm (glue + statefulIsAuthorized)": () => cedar.statefulIsAuthorized(cedarCall(input)).response.decision === "allow",
  "cedar-wasm (statefulIsAuthorized only)": ((call) => () => cedar.statefulIsAuthorized(call).response.decision === "allow")(cedarCall(input)),
  "mitgate object API: evaluate(obj)": () => mitgate.evaluate(input).decision.outcome === "allowed",
  "mitgate JSON API: JSON.parse(evaluateJson(JSON.stringify(obj)))": () =>
    JSON.parse(mitgate.evaluateJson(JSON.stringify(input))).decision.outcome === "allowed",
  "mitgate JSON API, string in and out: evaluateJson(text)": () => mitgate.evaluateJson(text).length > 0,
  "mitgate handle, string in and out: handle.evaluateJson(now, request)": () => handle.evaluateJson(input.now, requestText).length > 0,
  "mitgate handle on objects: JSON.parse(handle.evaluateJson(now, JSON.stringify(r)))": () =>
    JSON.parse(handle.evaluateJson(input.now, JSON.stringify(input.request))).decision.outcome === "allowed",
  ...(before && {
    "before: evaluateJson(text)": () => before.evaluateJson(text).length > 0,
    "before: handle.evaluateJson(now, request)": () => beforeHandle.evaluateJson(input.now, requestText).length > 0,
  }),
};

// Every contender must agree that the charge is allowed, and the baseline must compute mitgate's limits.
const decision = mitgate.evaluate(input).decision;
const base = baselineCheck(input);
for (const [name, run] of Object.entries(contenders)) if (!run()) throw new Error(`${name} refused the typical charge`);
const ceiling = decision.limits.ceiling.amount;
if (minorUnits(ceiling.amount, ceiling.currency) !== base.limits.ceiling) throw new Error(`ceiling ${ceiling.amount} vs ${base.limits.ceiling}`);
if (decision.limits.velocity.used !== base.limits.velocity.used) throw new Error("velocity disagrees");
if (Date.parse(decision.limits.referenceExpiresAt) !== base.limits.referenceExpiresAt) throw new Error("reference expiry disagrees");

// Rounds are interleaved (each round runs every contender for ROUND_MS), so a change in the machine's load
// touches all of them alike; the figure is the median round.
const ROUND_MS = Number(process.env.ROUND_MS ?? 200);
const ROUNDS = 7;
function round(run) {
  let n = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ROUND_MS * 1e6);
  let t = start;
  while (t < deadline) {
    for (let i = 0; i < 32; i++) run();
    n += 32;
    t = process.hrtime.bigint();
  }
  return Number(t - start) / n;
}
const samples = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
for (const run of Object.values(contenders)) for (let i = 0; i < 2_000; i++) run(); // warm up (JIT, wasm tiers)
for (let r = 0; r < ROUNDS; r++) for (const [name, run] of Object.entries(contenders)) samples[name].push(round(run));
const results = {};
for (const [name, xs] of Object.entries(samples)) {
  xs.sort((x, y) => x - y);
  results[name] = { nsPerOp: xs[ROUNDS >> 1], min: xs[0], max: xs[ROUNDS - 1] };
}
const baseNs = results["baseline JS (hand-written)"].nsPerOp;
console.log(`Node ${process.version}, ${input.history.payments.length + input.history.attempts.length} history entries; median of 7 rounds`);
for (const [name, r] of Object.entries(results)) {
  console.log(`${name.padEnd(66)} ${(r.nsPerOp / 1000).toFixed(2).padStart(8)} µs  (${(r.min / 1000).toFixed(2)}-${(r.max / 1000).toFixed(2)})  ${(r.nsPerOp / baseNs).toFixed(1).padStart(6)}x baseline`);
}
const cedarNs = results["cedar-wasm (glue + statefulIsAuthorized)"].nsPerOp;
const handleNs = results["mitgate handle, string in and out: handle.evaluateJson(now, request)"].nsPerOp;
const oneShotNs = results["mitgate JSON API, string in and out: evaluateJson(text)"].nsPerOp;
const goals = {
  handleMicros: handleNs / 1000, handleGoalMicros: 5,
  handleVsCedar: cedarNs / handleNs, handleVsCedarGoal: 20,
  evaluateJsonMicros: oneShotNs / 1000, evaluateJsonGoalMicros: 20,
  requestBytes: requestText.length, stateBytes: JSON.stringify(state).length, answerBytes: mitgate.evaluateJson(text).length,
};
if (before) {
  goals.handleBeforeOverAfter = results["before: handle.evaluateJson(now, request)"].nsPerOp / handleNs;
  goals.evaluateJsonBeforeOverAfter = results["before: evaluateJson(text)"].nsPerOp / oneShotNs;
  console.log(`against --before ${beforeDir}: handle ${goals.handleBeforeOverAfter.toFixed(2)}x faster, evaluateJson ${goals.evaluateJsonBeforeOverAfter.toFixed(2)}x faster`);
}
console.log(`handle: ${goals.handleMicros.toFixed(2)} µs per decision (goal ≤ 5), ${goals.handleVsCedar.toFixed(1)}x faster than cedar-wasm (goal ≥ 20x); evaluateJson: ${goals.evaluateJsonMicros.toFixed(2)} µs (goal ≤ 20)`);
console.log(`bytes: request ${goals.requestBytes} in (the state, ${goals.stateBytes}, is held), answer ${goals.answerBytes} out`);
if (outPath) writeFileSync(outPath, JSON.stringify({ node: process.version, results, goals }, null, 2));
