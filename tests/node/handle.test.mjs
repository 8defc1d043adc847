// The agreement handle (openAgreementJson): the state parsed once, then each decision reads only the
// instant and the request. Checked against the one-shot evaluateJson on every conformance vector whose
// state can be opened, and on a decide-record-outcome sequence against recordAttemptJson / applyOutcomeJson
// (the Node build has the stateless transitions; the browser build leaves them out).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { AgreementHandle, applyOutcomeJson, evaluateJson, openAgreementJson, recordAttemptJson } from "mitgate-wasm";

const here = dirname(fileURLToPath(import.meta.url));
const vectorDir = join(here, "..", "vectors");
const cases = readdirSync(vectorDir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .flatMap((f) => JSON.parse(readFileSync(join(vectorDir, f), "utf8")).cases.map((c) => ({ file: f, ...c })));
const paths = (answer) => answer.errors.map((e) => e.path);

test("every vector: a handle answers byte for byte what evaluateJson answers", () => {
  const tally = { identical: 0, stateRefused: 0, requestRefused: 0, noAgreement: 0, noRequest: 0, notAnObject: 0 };
  for (const c of cases) {
    if (!("input" in c) || c.input === null || typeof c.input !== "object") {
      tally.notAnObject += 1; // raw text vectors (broken JSON): there is no state to open
      continue;
    }
    const { now, policy, agreement, history, request, ...rest } = c.input;
    const oneShot = JSON.parse(evaluateJson(JSON.stringify(c.input)));
    if (agreement === null || agreement === undefined) {
      // No agreement was found for the reference: a handle holds one, so there is nothing to open.
      assert.ok(oneShot.type === "failure" || oneShot.decision.outcome === "refused", c.name);
      tally.noAgreement += 1;
      continue;
    }
    const handle = openAgreementJson(JSON.stringify({ policy, agreement, history, ...rest }));
    if (!(handle instanceof AgreementHandle)) {
      // A state the handle refuses, evaluateJson refuses too, naming the same fields first.
      assert.equal(oneShot.type, "failure", `${c.name}: the handle refused a state evaluateJson accepted`);
      assert.deepEqual(paths(oneShot).slice(0, handle.errors.length), paths(handle), c.name);
      tally.stateRefused += 1;
      continue;
    }
    if (request === undefined || typeof now !== "string") {
      // Nothing (or no instant as text) to decide: evaluateJson refuses the input.
      assert.equal(oneShot.type, "failure", c.name);
      handle.free();
      tally.noRequest += 1;
      continue;
    }
    try {
      const answer = handle.evaluateJson(now, JSON.stringify(request));
      if (oneShot.type === "success") {
        assert.equal(answer, evaluateJson(JSON.stringify(c.input)), `${c.file} ${c.name}`);
        tally.identical += 1;
      } else {
        // A bad request (or now): the same fields; a position in the text names the handle's own input.
        assert.deepEqual(paths(JSON.parse(answer)), paths(oneShot), c.name);
        tally.requestRefused += 1;
      }
    } finally {
      handle.free();
    }
  }
  console.log(`handle vs evaluateJson: ${JSON.stringify(tally)} of ${cases.length} vectors`);
  assert.ok(tally.identical > 300, `only ${tally.identical} vectors compared byte for byte`);
});

test("decide, record, outcome: the same answers as the one-shot calls on the equivalent history", () => {
  const base = cases.find((c) => c.name === "velocity_under_limit_reports_remaining").input;
  const { now, request, ...state } = base;
  const handle = openAgreementJson(JSON.stringify(state));
  assert.ok(handle instanceof AgreementHandle);
  // The one-shot side: the state as recordAttemptJson / applyOutcomeJson hand it back.
  let { agreement, history } = state;
  const start = Date.parse(now);
  let allowed = 0;
  let refused = 0;
  for (let i = 0; i < 12; i++) {
    const at = new Date(start + i * 2 * 3600 * 1000).toISOString().replace(".000Z", "Z");
    const req = { ...request, amount: { amount: i === 5 ? "999.00" : "12.00", currency: "USD" } };
    const whole = { now: at, policy: state.policy, agreement, history, request: req };
    const expected = evaluateJson(JSON.stringify(whole));
    assert.equal(handle.evaluateJson(at, JSON.stringify(req)), expected, `step ${i}: decide`);
    const attemptId = `seq_${i}`;
    // Deciding with an attempt id answers the same decision and records an allowed charge.
    assert.equal(handle.evaluateJson(at, JSON.stringify(req), attemptId), expected, `step ${i}: decide and record`);
    const oneShot = JSON.parse(recordAttemptJson(JSON.stringify({ ...whole, attemptId })));
    if (JSON.parse(expected).decision.outcome === "refused") {
      assert.equal(oneShot.type, "failure", `step ${i}`);
      refused += 1;
    } else {
      assert.equal(oneShot.type, "success", `step ${i}`);
      allowed += 1;
      history = oneShot.history;
      // Every third approved, every third declined (soft decline 8026 at step 10), the rest left pending.
      if (i % 3 !== 2) {
        const outcome = i % 3 === 0
          ? { attemptId, at, result: "approved", paymentId: `pay_${i}` }
          : { attemptId, at, result: "declined", decline: { code: i === 10 ? "8026" : "51" } };
        assert.equal(handle.applyOutcomeJson(JSON.stringify(outcome)), '{"type":"success"}');
        const applied = JSON.parse(applyOutcomeJson(JSON.stringify({ agreement, history, outcome })));
        assert.equal(applied.type, "success");
        ({ agreement, history } = applied);
      }
    }
    assert.equal(handle.stateJson(), JSON.stringify({ type: "success", agreement, history }), `step ${i}: state`);
  }
  assert.ok(allowed >= 3 && refused >= 2, `a sequence with both outcomes (${allowed} allowed, ${refused} refused)`);
  assert.equal(agreement.status, "reauthentication_required", "the 8026 decline reached both");
  handle.free();
});

test("bad input: failures naming the field, the held state unchanged; a freed handle throws", () => {
  const ok = cases.find((c) => c.expect.type === "success" && c.expect.outcome === "allowed" && c.input?.agreement);
  const { now, request, ...state } = ok.input;
  assert.deepEqual(paths(openAgreementJson("{")), [""]);
  assert.deepEqual(paths(openAgreementJson(JSON.stringify({ ...state, policy: { ...state.policy, maxCount: "5" } }))), [
    "policy.maxCount",
  ]);
  const missing = openAgreementJson(JSON.stringify({ policy: state.policy, history: state.history }));
  assert.equal(missing.type, "failure");
  assert.match(missing.errors[0].message, /agreement/);
  const handle = openAgreementJson(JSON.stringify(state));
  assert.ok(handle instanceof AgreementHandle);
  const before = handle.stateJson();
  const float = JSON.stringify({ ...request, amount: { amount: 29.9, currency: "USD" } });
  assert.deepEqual(paths(JSON.parse(handle.evaluateJson(now, float, "a1"))), ["request.amount.amount"]);
  assert.deepEqual(paths(JSON.parse(handle.evaluateJson("yesterday", "{"))), ["now", "request"]);
  assert.deepEqual(paths(JSON.parse(handle.evaluateJson(now, JSON.stringify({ ...request, policy: {} })))), ["request.policy"]);
  assert.deepEqual(paths(JSON.parse(handle.evaluateJson(now, JSON.stringify(request), ""))), ["attemptId"]);
  const unknown = JSON.parse(handle.applyOutcomeJson(JSON.stringify({ attemptId: "nope", at: now, result: "approved" })));
  assert.deepEqual(paths(unknown), ["outcome"]);
  assert.equal(handle.stateJson(), before, "no failed call changed the state");
  // The same attempt id twice: the second is refused and records nothing.
  assert.equal(JSON.parse(handle.evaluateJson(now, JSON.stringify(request), "once")).type, "success");
  const twice = JSON.parse(handle.evaluateJson(now, JSON.stringify(request), "once"));
  assert.deepEqual(paths(twice), ["attemptId"]);
  assert.equal(JSON.parse(handle.stateJson()).history.attempts.filter((a) => a.id === "once").length, 1);
  handle.free();
  assert.throws(() => handle.evaluateJson(now, JSON.stringify(request)));
});
