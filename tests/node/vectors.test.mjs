// The wasm package against the native engine: every conformance vector in tests/vectors/ and every
// dialect case in dialect-cases.json gives byte-identical answer text through the package, the object
// API agrees with it, and bad input gives the tagged failure answer with field paths.
//
// Native answers come from `cargo run -p mitgate-wasm --example vectors_out` (scripts/test-wasm.sh writes
// them to $MITGATE_NATIVE_OUT, default tests/out/native.json).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as esm from "mitgate-wasm";

const require = createRequire(import.meta.url);
const cjs = require("mitgate-wasm");
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const native = JSON.parse(
  readFileSync(process.env.MITGATE_NATIVE_OUT ?? join(root, "tests", "out", "native.json"), "utf8"),
);
const vectorDir = join(root, "tests", "vectors");
const vectorFiles = readdirSync(vectorDir).filter((f) => f.endsWith(".json")).sort();
const cases = vectorFiles.flatMap((f) => {
  const { cases } = JSON.parse(readFileSync(join(vectorDir, f), "utf8"));
  // A file without cases, or with "cases": [], fails the run instead of passing with nothing checked.
  if (!Array.isArray(cases) || cases.length === 0) throw new Error(`${f}: no cases`);
  return cases.map((c) => ({ file: f, ...c }));
});
// The exact count the native runner (crates/core/tests/vectors.rs) ran; missing means it did not run.
const nativeCount = JSON.parse(
  readFileSync(process.env.MITGATE_VECTOR_COUNT ?? join(root, "tests", "out", "vector-count.json"), "utf8"),
);
const dialectCases = JSON.parse(readFileSync(join(here, "dialect-cases.json"), "utf8"));

/** README matching: objects partially, arrays element-wise with equal length, the rest by equality. */
function matches(expected, actual, path = "decision") {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array`);
    assert.equal(actual.length, expected.length, `${path}: length`);
    expected.forEach((e, i) => matches(e, actual[i], `${path}[${i}]`));
  } else if (expected !== null && typeof expected === "object") {
    assert.ok(actual !== null && typeof actual === "object", `${path}: expected an object`);
    for (const [k, v] of Object.entries(expected)) {
      assert.ok(k in actual, `${path}.${k}: missing`);
      matches(v, actual[k], `${path}.${k}`);
    }
  } else {
    assert.deepEqual(actual, expected, path);
  }
}

function checkExpect(c, answer) {
  assert.equal(answer.type, c.expect.type, `${c.name}: type (${JSON.stringify(answer).slice(0, 300)})`);
  if (c.expect.type === "failure") {
    assert.deepEqual(answer.errors.map((e) => e.path), c.expect.errorPaths, `${c.name}: errorPaths`);
    return;
  }
  const d = answer.decision;
  assert.equal(d.outcome, c.expect.outcome, `${c.name}: outcome`);
  if ("httpStatus" in c.expect) assert.equal(d.httpStatus, c.expect.httpStatus, `${c.name}: httpStatus`);
  assert.deepEqual(d.violations.map((v) => v.code), c.expect.codes, `${c.name}: codes`);
  if (c.expect.decision) matches(c.expect.decision, d);
}

test("the vector directory is complete and the native dump covers it", () => {
  assert.ok(vectorFiles.length > 0, "no vector files");
  const perFile = Object.fromEntries(vectorFiles.map((f) => [f, cases.filter((c) => c.file === f).length]));
  assert.deepEqual(perFile, nativeCount.files, "cases per file: Node against the native runner");
  assert.equal(cases.length, nativeCount.total, "the native runner's count");
  assert.equal(new Set(cases.map((c) => c.name)).size, cases.length, "duplicate case names");
  assert.equal(Object.keys(native.vectors).length, cases.length, "native answers, one per case");
  for (const c of cases) assert.ok(native.vectors[c.name], `no native answer for ${c.name}`);
  for (const c of cases) assert.ok("input" in c || "inputText" in c, `${c.name}: no input`);
});

test("every vector: byte-identical answer text to the native engine (ESM and CommonJS)", () => {
  for (const c of cases) {
    const { input, output } = native.vectors[c.name];
    assert.equal(esm.evaluateJson(input), output, `${c.file} ${c.name}`);
    assert.equal(cjs.evaluateJson(input), output, `${c.file} ${c.name} (require)`);
  }
});

test("every vector: the expectations of tests/vectors/README.md hold in Node", () => {
  for (const c of cases) {
    const text = c.inputText ?? JSON.stringify(c.input);
    checkExpect(c, JSON.parse(esm.evaluateJson(text)));
  }
});

// The object forms answer what the JSON forms answer, except that an error never quotes a position
// (` at line 1 column 744`) in the text JSON.stringify wrote, which the caller never saw.
const POSITION = / at line \d+ column \d+$/;
let positionsDropped = 0;
function withoutPositions(answer) {
  if (answer.type !== "failure") return answer;
  const errors = answer.errors.map((e) => {
    if (POSITION.test(e.message)) positionsDropped += 1;
    return { ...e, message: e.message.replace(POSITION, "") };
  });
  return { ...answer, errors };
}
function assertNoPosition(answer, name) {
  for (const e of answer.errors ?? []) assert.doesNotMatch(e.message, POSITION, `${name}: ${e.path}`);
}

test("every vector: the object API answers what the JSON API answers", () => {
  const before = positionsDropped;
  for (const c of cases.filter((c) => "input" in c)) {
    const fromObject = esm.evaluate(c.input);
    const fromText = JSON.parse(esm.evaluateJson(JSON.stringify(c.input)));
    assertNoPosition(fromObject, c.name);
    assert.deepEqual(fromObject, withoutPositions(fromText), c.name);
    checkExpect(c, fromObject);
  }
  assert.ok(positionsDropped > before, "some vector's JSON answer quotes a position the object form drops");
});

test("every dialect and state case: byte-identical answer text to native", () => {
  assert.equal(Object.keys(native.dialects).length, dialectCases.length, "one native answer per dialect case");
  for (const c of dialectCases) {
    const { input, output } = native.dialects[c.name];
    assert.equal(esm[c.function](input), output, `${c.name} (${c.function})`);
    if ("input" in c) {
      const objectFn = c.function.replace(/Json$/, "");
      const fromObject = esm[objectFn](c.input);
      const fromText = JSON.parse(esm[c.function](JSON.stringify(c.input)));
      assertNoPosition(fromObject, `${c.name} (${objectFn})`);
      assert.deepEqual(fromObject, withoutPositions(fromText), `${c.name} (${objectFn})`);
    }
  }
});

test("every dialect and state case: the answer its document gives (expect)", () => {
  for (const c of dialectCases) {
    assert.ok(c.expect && typeof c.expect.type === "string", `${c.name}: needs an expect`);
    const answer = JSON.parse(native.dialects[c.name].output);
    assert.equal(answer.type, c.expect.type, `${c.name}: type (${native.dialects[c.name].output.slice(0, 300)})`);
    if (c.expect.type === "failure") {
      assert.deepEqual(answer.errors.map((e) => e.path), c.expect.errorPaths, `${c.name}: errorPaths`);
      continue;
    }
    const { type, ...partial } = c.expect;
    assert.ok(Object.keys(partial).length > 0, `${c.name}: a success expect names what it checks`);
    matches(partial, answer, c.name);
  }
});

test("bad input: tagged failures naming the field, never an exception", () => {
  const paths = (answer) => (answer.type === "failure" ? answer.errors.map((e) => e.path) : answer);
  assert.deepEqual(paths(JSON.parse(esm.evaluateJson("not json"))), [""]);
  assert.deepEqual(paths(JSON.parse(esm.evaluateJson(""))), [""]);
  assert.deepEqual(paths(esm.evaluate(undefined)), [""]);
  assert.deepEqual(paths(esm.evaluate({ now: 1n })), [""]); // BigInt: JSON cannot hold it
  const cyclic = {};
  cyclic.self = cyclic;
  assert.deepEqual(paths(esm.limits(cyclic)), [""]);

  const ok = cases.find((c) => c.expect.type === "success" && c.expect.outcome === "allowed" && c.input);
  const withFloat = structuredClone(ok.input);
  withFloat.request.amount.amount = 29.9; // a JS number with a fraction is never money
  assert.deepEqual(paths(esm.evaluate(withFloat)), ["request.amount.amount"]);
  const withTypo = structuredClone(ok.input);
  withTypo.policy.maxcount = 5;
  assert.deepEqual(paths(esm.evaluate(withTypo)), ["policy.maxcount"]);
  const badPolicy = structuredClone(ok.input);
  Object.assign(badPolicy.policy, { maxCount: 5, period: undefined, expiration: 0 });
  delete badPolicy.policy.period;
  assert.deepEqual(paths(esm.evaluate(badPolicy)), ["policy.period", "policy.expiration"]);
  const { request, ...query } = ok.input;
  assert.equal(esm.limits(query).type, "success");
  assert.deepEqual(paths(esm.limits({ ...query, agreement: { ...query.agreement, currency: "usd" } })), [
    "agreement.currency",
  ]);
  assert.deepEqual(paths(esm.recordAttempt({ ...ok.input, attemptId: "" })), ["attemptId"]);
  assert.deepEqual(paths(esm.parseMit({ dialect: "coinflow", merchantId: "m", body: "{" })), ["body"]);
  assert.deepEqual(paths(esm.parseCit({ dialect: "infinic", merchantId: "m", at: "2026-01-01T00:00:00Z", request: {} })), [
    "credentialEvent",
  ]);
  assert.deepEqual(paths(esm.readOutcome({ dialect: "spg", attemptId: "a", at: "2026-01-01T00:00:00Z", body: {} })), [
    "status",
  ]);
  assert.equal(typeof esm.version(), "string");
});
