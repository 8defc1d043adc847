// A CPU profile of a Worker running under `wrangler dev`, through its inspector (Chrome DevTools protocol,
// `--inspector-port`), taken while `during()` runs: where the isolate's time went. bench/load.mjs uses it
// (PROFILE=1, the default) to say what a store's requests spend their time on: idle (the isolate waits on
// storage, the processor or the next request), the Worker's wasm, its JS glue, garbage collection.
// The release Worker's wasm keeps no function names (wasm-opt -Oz strips them), so wasm time is one figure.
import { readFileSync } from "node:fs";
import http from "node:http";
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
  // Every step is bounded: an inspector that stops answering (seen with wrangler's inspector proxy under
  // load) costs a missing profile, never a hung `make perf`.
  const list = await inspectorList(inspectorPort);
  // workerd's own inspector lists every worker of the process: the user Worker is `core:user:<name>` (its
  // Durable Objects run in its isolate), beside it the local KV simulator (`kv:ns`, a Worker in the same
  // runtime, on the same thread) and the runtime's own. wrangler's inspector proxy lists the user Worker only.
  const targets = list.filter((t) => t.webSocketDebuggerUrl);
  const main = targets.find((t) => /^core:user:/.test(t.id)) ?? targets[0];
  if (!main) return { error: `no inspector target on port ${inspectorPort}` };
  const sessions = [];
  try {
    sessions.push({ target: main, ...(await session(WebSocket, main.webSocketDebuggerUrl)) });
    // The other isolates of that runtime, profiled at the same time (each one's busy share of the run):
    // the ones that cannot be reached are left out.
    for (const t of targets) {
      if (t === main) continue;
      try {
        sessions.push({ target: t, ...(await session(WebSocket, t.webSocketDebuggerUrl)) });
      } catch {
        // not profiled
      }
    }
    for (const s of sessions) {
      await s.send("Profiler.setSamplingInterval", { interval: 200 });
      await s.send("Profiler.start");
    }
    const result = await during();
    const stopped = await Promise.all(sessions.map((s) => s.send("Profiler.stop").catch((e) => ({ error: e.message }))));
    const p = stopped[0].result?.profile;
    if (!p) return { error: `Profiler.stop: ${JSON.stringify(stopped[0].error ?? stopped[0]).slice(0, 200)}`, result };
    const others = [];
    stopped.slice(1).forEach((st, i) => {
      if (!st.result?.profile) return;
      const o = summarise(st.result.profile);
      const busy = o.shares.wasm.ms + o.shares.js.ms + o.shares.gc.ms;
      if (busy > 0) others.push({ id: sessions[i + 1].target.id, busyMs: Math.round(busy), top: o.top.slice(0, 3) });
    });
    others.sort((a, b) => b.busyMs - a.busyMs);
    return { ...summarise(p), target: main.id, others, result };
  } finally {
    // terminate, not close: an inspector that stopped answering never completes a closing handshake, and
    // an open socket kept `node bench/load.mjs` (and `make perf`) alive after its last line.
    for (const s of sessions) s.ws.terminate();
  }
}

// A session whose Profiler.enable was answered. workerd answers the Profiler commands itself (it reflects
// each one back as its reply), but never anything on the first connection made to an isolate's inspector
// (seen every time, with or without load, idle or not): a session that does not answer in 5 s is dropped
// and another one opened, which answers at once.
async function session(WebSocket, url) {
  let last;
  for (let attempt = 0; attempt < 3; attempt++) {
    const s = await connect(WebSocket, url);
    try {
      await s.send("Profiler.enable", {}, 5);
      return s;
    } catch (e) {
      last = e;
      s.ws.terminate();
    }
  }
  throw last;
}

// One DevTools-protocol session: `send` answers with the reply, or rejects after a time limit.
async function connect(WebSocket, url) {
  const ws = new WebSocket(url, { maxPayload: 1 << 30 });
  try {
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
      setTimeout(() => reject(new Error("the inspector's WebSocket did not open in 5 s")), 5000);
    });
  } catch (e) {
    ws.terminate();
    throw e;
  }
  let id = 0;
  const pending = new Map();
  ws.on("message", (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  });
  ws.on("error", () => {});
  // A closed session fails what waits on it at once. (The timers here are not unref'd: a session that
  // workerd closes must not leave node with nothing to wait for, which ends it mid-await with exit 13.)
  ws.on("close", () => {
    for (const [, settle] of pending) settle({ error: { message: "the inspector closed the session" } });
    pending.clear();
  });
  // Profiler.stop answers with the whole profile (tens of MB after a 10 s run): it gets longer.
  const send = (method, params = {}, seconds = method === "Profiler.stop" ? 90 : 15) =>
    new Promise((resolve, reject) => {
      id += 1;
      const timer = setTimeout(() => reject(new Error(`the inspector did not answer ${method} in ${seconds} s`)), seconds * 1000);
      pending.set(id, (msg) => {
        clearTimeout(timer);
        if (msg.error) reject(new Error(`${method}: ${msg.error.message ?? JSON.stringify(msg.error)}`));
        else resolve(msg);
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { ws, send };
}

// The inspector's target list (`/json`), with node:http: workerd's inspector answers in a way undici's
// `fetch` rejects ("fetch failed"), curl and node:http do not.
function inspectorList(port) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/json", timeout: 5000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => {
        try {
          resolve(JSON.parse(text));
        } catch (e) {
          reject(new Error(`the inspector's /json on port ${port} did not parse: ${e.message}`));
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error(`the inspector on port ${port} did not list its targets in 5 s`)));
    req.on("error", reject);
  });
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
  const wasmKeys = new Set();
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
      if (bucket === "wasm") wasmKeys.add(key);
    }
  }
  const ms = (us) => Math.round(us / 100) / 10;
  const share = (us) => (total ? Math.round((us / total) * 1000) / 10 : 0);
  return {
    sampledMs: ms(total),
    shares: Object.fromEntries(Object.entries(buckets).map(([k, v]) => [k, { ms: ms(v), percent: share(v) }])),
    top: [...functions.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => ({ fn: k, ms: ms(v), percent: share(v) })),
    // The wasm functions alone (named in a build that keeps its name section: CARGO_PROFILE_RELEASE_STRIP=false).
    wasmTop: [...functions.entries()].filter(([k]) => wasmKeys.has(k)).sort((a, b) => b[1] - a[1]).slice(0, 6)
      .map(([k, v]) => ({ fn: k.split(" ")[0].replace(/::h[0-9a-f]{16}$/, ""), ms: ms(v), percent: share(v) })),
  };
}
