// Starts the mitgate Worker (crates/worker/build-test: worker-build with the `test-hooks` feature) and the sandbox processor in
// Miniflare (workerd), each on an ephemeral 127.0.0.1 port; mitgate reaches the sandbox over real HTTP.
import { Miniflare } from "miniflare";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const COMPATIBILITY_DATE = "2026-04-20";
export const KEYS = { sk_test_demo: "demo", sk_test_other: "other", sk_test_alpha: "alpha" };
export const DIALECTS = ["infinic", "coinflow", "spg", "axerve"];
/** The origin `call` sends the Miniflare Worker's requests to (what the Worker sees as its own URL). */
const PUBLIC_URL = "http://mitgate.test";

// A running `make dev` instead (MITGATE_LIVE_URL, its sandbox at MITGATE_LIVE_SANDBOX_URL, its store in
// MITGATE_LIVE_STORE, default "kv"): the tests that need nothing but HTTP (the documents' flows) send the same
// requests through the product as a merchant runs it (scripts/test-contract.sh). There, only `live.store`
// runs, the Worker's own settings apply (`start`'s options are not), and there is no Miniflare handle.
export const live = process.env.MITGATE_LIVE_URL
  ? {
      url: process.env.MITGATE_LIVE_URL.replace(/\/$/, ""),
      sandboxUrl: (process.env.MITGATE_LIVE_SANDBOX_URL ?? "").replace(/\/$/, ""),
      store: process.env.MITGATE_LIVE_STORE ?? "kv",
    }
  : null;

/** The stores a test runs with: both under Miniflare, the running Worker's own against `make dev`. */
export const STORES = live ? [live.store] : ["kv", "durable_object"];

/** What a response gives a test: status, headers, text and (when it is JSON) the parsed body. */
async function answered(res) {
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Encodes `body` as `call` sends it: objects as JSON (with its content type), text and bytes as they are. */
function encoded(body, headers) {
  if (body !== undefined && typeof body !== "string" && !(body instanceof Uint8Array)) {
    headers["content-type"] = "application/json";
    return JSON.stringify(body);
  }
  return body;
}

/** `start`'s handle over a running `make dev` (`live`): calls and the sandbox, nothing else. */
function startLive() {
  if (!live.sandboxUrl) throw new Error("MITGATE_LIVE_URL needs MITGATE_LIVE_SANDBOX_URL");
  const call = async (method, p, { key = "sk_test_demo", body, headers = {} } = {}) => {
    const h = { ...headers };
    if (key) h["x-mitgate-key"] = key;
    const payload = encoded(body, h);
    return answered(await fetch(`${live.url}${p}`, { method, headers: h, body: payload, redirect: "manual" }));
  };
  const sandboxCall = async (method, p, body) => {
    const res = await fetch(`${live.sandboxUrl}${p}`, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    return res.json();
  };
  return {
    sandboxUrl: live.sandboxUrl,
    mitgateUrl: live.url,
    publicUrl: live.url,
    call,
    sandboxCall,
    // `make dev` is not restarted from a test: its state outlives the Worker anyway (local KV and objects on
    // disk); the restarts themselves are proven under Miniflare.
    async restart() {},
    async stop() {},
  };
}

// store: "kv" or "durable_object" (MITGATE_STORE). Test hooks (X-Mitgate-Test-Fault) are on, and the
// sandbox's x-sandbox-* headers are forwarded (MITGATE_SANDBOX_HEADERS). keys: the MITGATE_MERCHANT_KEYS
// secret (KEYS unless given).
export async function start({ timeoutMs = 1500, urls = {}, maxBodyBytes = 65536, store = "kv", keys = KEYS, vars = {} } = {}) {
  if (live) return startLive();
  const sandbox = new Miniflare({
    name: "sandbox",
    modules: true,
    scriptPath: path.join(root, "sandbox/worker.js"),
    compatibilityDate: COMPATIBILITY_DATE,
    host: "127.0.0.1",
    port: 0,
    bindings: { WEBHOOK_URL: "", WEBHOOK_MITGATE_KEY: "" },
    cf: false,
  });
  const logs = [];
  const sandboxUrl = (await sandbox.ready).toString().replace(/\/$/, "");
  const bindings = {
    MITGATE_MERCHANT_KEYS: JSON.stringify(keys),
    PROCESSOR_TIMEOUT_MS: String(timeoutMs),
    MAX_BODY_BYTES: String(maxBodyBytes),
    MITGATE_STORE: store,
    MITGATE_TEST_HOOKS: "1",
    MITGATE_SANDBOX_HEADERS: "1",
    ...vars,
  };
  for (const d of DIALECTS) bindings[`PROCESSOR_URL_${d.toUpperCase()}`] = urls[d] ?? `${sandboxUrl}/${d}`;
  const options = {
    name: "mitgate",
    modules: true,
    // MITGATE_WORKER_BUILD: another test build (bench/answers.mjs compares two).
    scriptPath: path.join(process.env.MITGATE_WORKER_BUILD ?? path.join(root, "crates/worker/build-test"), "index.js"),
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: COMPATIBILITY_DATE,
    kvNamespaces: ["AGREEMENTS", "POLICIES", "VELOCITY", "IDEMPOTENCY"],
    durableObjects: { OBJECTS: { className: "MitgateObject", useSQLite: true } },
    bindings,
    cf: false,
    // The Worker logs one line per request; keep test output readable (MITGATE_TEST_LOGS=1 shows them).
    // Every line is kept in `logs` (the card-data scan reads them).
    handleRuntimeStdio(stdout, stderr) {
      if (process.env.MITGATE_TEST_LOGS) stdout.pipe(process.stdout);
      stdout.on("data", (chunk) => logs.push(chunk.toString()));
      stderr.on("data", (chunk) => logs.push(chunk.toString()));
      stderr.pipe(process.stderr);
    },
  };
  const mf = new Miniflare(options);
  let mitgateUrl = (await mf.ready).toString().replace(/\/$/, "");
  const call = async (method, p, { key = "sk_test_demo", body, headers = {} } = {}) => {
    const h = { ...headers };
    if (key) h["x-mitgate-key"] = key;
    const payload = encoded(body, h);
    return answered(await mf.dispatchFetch(`${PUBLIC_URL}${p}`, { method, headers: h, body: payload }));
  };
  const sandboxCall = async (method, p, body) => {
    const res = await fetch(`${sandboxUrl}${p}`, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    return res.json();
  };
  // Everything a Durable Object stores (the Dump operation, sent by no Worker route: only this binding
  // reaches it), by object name.
  const objects = await mf.getDurableObjectNamespace("OBJECTS");
  const dumpObject = async (name) => {
    const res = await objects.get(objects.idFromName(name)).fetch("http://object.mitgate/op", {
      method: "POST",
      body: JSON.stringify({ op: "dump" }),
    });
    return res.json();
  };
  return {
    mf,
    sandbox,
    dumpObject,
    logs,
    sandboxUrl,
    /** The origin `call` sends to: what the Worker sees as its own URL. */
    publicUrl: PUBLIC_URL,
    get mitgateUrl() {
      return mitgateUrl;
    },
    /** Restarts the Worker's runtime with the same options; KV and Durable Object storage are kept. */
    async restart() {
      await mf.setOptions(options);
      mitgateUrl = (await mf.ready).toString().replace(/\/$/, "");
    },
    call,
    sandboxCall,
    async stop() {
      await mf.dispose();
      await sandbox.dispose();
    },
  };
}
