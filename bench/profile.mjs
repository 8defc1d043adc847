// A CPU profile of a Worker running under `wrangler dev`, through its inspector (Chrome DevTools protocol,
// `--inspector-port`), taken while `during()` runs: where the isolate's time went. bench/load.mjs uses it
// (PROFILE=1, the default) to say what a store's requests spend their time on: idle (the isolate waits on
// storage, the processor or the next request), the Worker's wasm, its JS glue, garbage collection.
// The release Worker's wasm keeps no function names (wasm-opt -Oz strips them), so wasm time is one figure.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

export async function profile(inspectorPort, during) {
  let WebSocket;
  try {
    WebSocket = require("ws"); // miniflare's dependency (Node 20 has no WebSocket client without a flag)
  } catch {
    return { error: "no WebSocket client (the ws package) to reach the inspector" };
  }
  // Every step is bounded: an inspector that stops answering (seen once with the Durable Object store's
  // Worker) costs a missing profile, never a hung `make perf`.
  const list = await (await fetch(`http://127.0.0.1:${inspectorPort}/json`, { signal: AbortSignal.timeout(5000) })).json();
  const target = list.find((t) => t.webSocketDebuggerUrl);
  if (!target) return { error: `no inspector target on port ${inspectorPort}` };
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
    setTimeout(() => reject(new Error("the inspector's WebSocket did not open in 5 s")), 5000).unref();
  });
  let id = 0;
  const pending = new Map();
  ws.on("message", (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      id += 1;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
      setTimeout(() => reject(new Error(`the inspector did not answer ${method} in 15 s`)), 15000).unref();
    });
  try {
    await send("Profiler.enable");
    await send("Profiler.setSamplingInterval", { interval: 200 });
    await send("Profiler.start");
    const result = await during();
    const stopped = await send("Profiler.stop");
    const p = stopped.result?.profile;
    if (!p) return { error: `Profiler.stop: ${JSON.stringify(stopped.error ?? stopped).slice(0, 200)}`, result };
    return { ...summarise(p), result };
  } finally {
    ws.close();
  }
}

// The source at a JS frame (wrangler's bundle names few of the wasm-bindgen glue's functions): 60 characters.
const sources = new Map();
function snippet(f) {
  if (!f.url?.startsWith("file://") || f.lineNumber < 0) return "";
  try {
    if (!sources.has(f.url)) sources.set(f.url, readFileSync(fileURLToPath(f.url), "utf8").split("\n"));
    const line = sources.get(f.url)[f.lineNumber] ?? "";
    return ` \`${line.slice(f.columnNumber, f.columnNumber + 60).trim()}\``;
  } catch {
    return "";
  }
}

function summarise(p) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  p.samples.forEach((s, i) => self.set(s, (self.get(s) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const buckets = { idle: 0, program: 0, gc: 0, wasm: 0, js: 0 };
  const functions = new Map();
  let total = 0;
  for (const [nodeId, us] of self) {
    const f = byId.get(nodeId).callFrame;
    total += us;
    const name = f.functionName || "(anonymous)";
    let bucket;
    if (name === "(idle)") bucket = "idle";
    else if (name === "(program)" || name === "(root)") bucket = "program";
    else if (name === "(garbage collector)") bucket = "gc";
    else if (/wasm/.test(f.url) || /^\$|^wasm-function/.test(name)) bucket = "wasm";
    else bucket = "js";
    buckets[bucket] += us;
    if (bucket === "js" || bucket === "wasm") {
      const key = `${name} ${f.url ? f.url.split("/").pop() : ""}:${f.lineNumber}:${f.columnNumber}${snippet(f)}`;
      functions.set(key, (functions.get(key) ?? 0) + us);
    }
  }
  const ms = (us) => Math.round(us / 100) / 10;
  const share = (us) => (total ? Math.round((us / total) * 1000) / 10 : 0);
  return {
    sampledMs: ms(total),
    shares: Object.fromEntries(Object.entries(buckets).map(([k, v]) => [k, { ms: ms(v), percent: share(v) }])),
    top: [...functions.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => ({ fn: k, ms: ms(v), percent: share(v) })),
  };
}
