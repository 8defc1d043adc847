// Cold start: how long each .wasm takes to become usable, in fresh processes.
//   browser/Node .wasm (crates/wasm/pkg): WebAssembly.compile + instantiate through the package's own glue
//     (`initSync` of the web build, `require` of the Node build), then the first decision, in Node.
//   Worker .wasm (crates/worker/build): Node 20 cannot compile it (worker-build's panic recovery uses wasm
//     features its V8 lacks), so workerd does: Miniflare start to the first answer of GET /, against the
//     pass-through JS Worker (bench/passthrough) started the same way; the difference is mitgate's module.
// Usage: node bench/coldstart.mjs [--json out.json]   (run from the repository root, after the builds)
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Miniflare } from "miniflare";

const root = process.cwd();
const RUNS = Number(process.env.COLDSTART_RUNS ?? 7);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const input = readFileSync(join(root, "bench/out/typical-20.json"), "utf8");

// One fresh node process per sample: compile, instantiate, first decision.
const child = (kind) => `
  const { performance } = require("node:perf_hooks");
  const fs = require("node:fs");
  const input = fs.readFileSync(${JSON.stringify(join(root, "bench/out/typical-20.json"))}, "utf8");
  const t0 = performance.now();
  let evaluateJson;
  if (${JSON.stringify(kind)} === "web") {
    const bytes = fs.readFileSync(${JSON.stringify(join(root, "crates/wasm/pkg/web/mitgate_wasm_bg.wasm"))});
    const t = performance.now();
    const module = new WebAssembly.Module(bytes);
    const compiled = performance.now();
    import(${JSON.stringify("file://" + join(root, "crates/wasm/pkg/web/mitgate_wasm.js"))}).then((m) => {
      const t1 = performance.now();
      m.initSync({ module });
      const t2 = performance.now();
      m.evaluateJson(input);
      const t3 = performance.now();
      console.log(JSON.stringify({ compile: compiled - t, instantiate: t2 - t1, firstDecision: t3 - t2, total: t3 - t0 - (t1 - compiled) }));
    });
  } else {
    const m = require(${JSON.stringify(join(root, "crates/wasm/pkg/node/mitgate_wasm.js"))});
    const t2 = performance.now();
    m.evaluateJson(input);
    const t3 = performance.now();
    console.log(JSON.stringify({ require: t2 - t0, firstDecision: t3 - t2, total: t3 - t0 }));
  }
`;
const results = {};
for (const kind of ["web", "node"]) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const r = spawnSync(process.execPath, ["-e", child(kind)], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    samples.push(JSON.parse(r.stdout));
  }
  const keys = Object.keys(samples[0]);
  results[kind] = Object.fromEntries(keys.map((k) => [k, median(samples.map((s) => s[k]))]));
}

async function startToFirstAnswer(options, path) {
  const t0 = performance.now();
  const mf = new Miniflare({ ...options, cf: false, handleRuntimeStdio(o, e) { o.resume(); e.resume(); } });
  await mf.ready;
  const t1 = performance.now();
  const res = await mf.dispatchFetch(`http://localhost${path}`);
  await res.arrayBuffer();
  const t2 = performance.now();
  await mf.dispose();
  return { ready: t1 - t0, firstAnswer: t2 - t1, total: t2 - t0 };
}
const workers = {
  mitgate: {
    name: "mitgate", modules: true, scriptPath: join(root, "crates/worker/build/index.js"),
    modulesRules: [{ type: "ESModule", include: ["**/*.js", "**/*.mjs"] }, { type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: "2026-04-20", kvNamespaces: ["AGREEMENTS", "POLICIES", "VELOCITY", "IDEMPOTENCY"],
    bindings: { MITGATE_MERCHANT_KEYS: JSON.stringify({ sk_test_demo: "demo" }) },
  },
  passthrough: {
    name: "passthrough", modules: true, scriptPath: join(root, "bench/passthrough/worker.js"),
    compatibilityDate: "2026-04-20", bindings: { UPSTREAM: "http://127.0.0.1:9" },
  },
};
for (const [name, options] of Object.entries(workers)) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) samples.push(await startToFirstAnswer(options, "/"));
  results[`worker:${name}`] = Object.fromEntries(Object.keys(samples[0]).map((k) => [k, median(samples.map((s) => s[k]))]));
}

const fmt = (r) => Object.entries(r).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(", ");
console.log(`cold start, median of ${RUNS} fresh starts each (Node ${process.version})`);
console.log(`browser .wasm (web build, initSync in Node): ${fmt(results.web)}`);
console.log(`Node package (require of pkg/node):           ${fmt(results.node)}`);
console.log(`Worker in workerd (Miniflare), mitgate:       ${fmt(results["worker:mitgate"])}`);
console.log(`Worker in workerd (Miniflare), pass-through:  ${fmt(results["worker:passthrough"])}`);
const m = results["worker:mitgate"], p = results["worker:passthrough"];
console.log(`mitgate Worker start to first answer: ${(m.total / p.total).toFixed(2)}x the pass-through (+${(m.total - p.total).toFixed(1)} ms)`);
const out = process.argv[2] === "--json" ? process.argv[3] : null;
if (out) writeFileSync(out, JSON.stringify(results, null, 2));
