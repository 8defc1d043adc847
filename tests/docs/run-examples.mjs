// Every code example in README.md and docs/*.md, extracted and run (scripts/test-contract.sh runs this
// against the Worker it started with `make dev`; MITGATE_URL and MITGATE_KEY say where).
//
// - `sh` blocks: each `curl` line runs as written against the running Worker (only the base URL and a
//   `<printed id>` placeholder are substituted) and must answer 2xx with JSON; `make <target>`,
//   `bash scripts/...`, `scripts/...` and `cargo bench --bench <name>` lines are not run inside `make test`
//   (they are `make test`, or start servers, or take minutes): their target, script (parsed with `bash -n`) or
//   bench must exist.
// - `json` blocks: an engine input is posted to `POST /v1/decisions/evaluate`; a decision shown after it must
//   match the real one member for member (`"...": "..."` stands for members left out).
// - `js` blocks run in Node against the built package (crates/wasm/pkg as `mitgate-wasm`); they must exit 0
//   and write nothing to stderr.
// - `html` blocks run in Chromium against the package's web build; no page error, and every `<output>`
//   element must have been filled.
// - a block without a language is a header line shown as an example; it must match openapi.yaml's pattern.
// Any other block fails: a new kind of example needs a way to run here.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BASE = (process.env.MITGATE_URL ?? "http://127.0.0.1:8787").replace(/\/$/, "");
const KEY = process.env.MITGATE_KEY ?? "sk_test_demo";
const out = join(root, "tests", "out", "docs");
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "node_modules"), { recursive: true });
if (!existsSync(join(root, "crates", "wasm", "pkg", "package.json"))) {
  execFileSync("bash", ["crates/wasm/build-pkg.sh"], { cwd: root, stdio: "inherit" });
}
symlinkSync(join(root, "crates", "wasm", "pkg"), join(out, "node_modules", "mitgate-wasm"));

const files = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const blocks = [];
for (const file of files) {
  const text = readFileSync(join(root, file), "utf8");
  for (const m of text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
    blocks.push({ file, line: text.slice(0, m.index).split("\n").length, lang: m[1], code: m[2] });
  }
}

async function api(method, path, body) {
  const r = await fetch(BASE + path, {
    method,
    headers: { "X-Mitgate-Key": KEY, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

/** Demo agreement made by `make dev` (it prints its id): what `<printed id>` stands for. */
async function demoAgreement() {
  const log = readFileSync(join(root, process.env.MITGATE_DEV_LOG ?? "tests/out/contract-dev.log"), "utf8");
  const m = /demo agreement\s+(\S+)/.exec(log);
  assert.ok(m, "make dev's output names no demo agreement");
  return m[1];
}

/** `expected` (an example, `"...": "..."` marking members left out) is found member for member in `actual`. */
function matches(expected, actual, path = "") {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: not an array`);
    assert.equal(actual.length, expected.length, `${path}: length`);
    expected.forEach((e, i) => matches(e, actual[i], `${path}[${i}]`));
  } else if (expected && typeof expected === "object") {
    assert.ok(actual && typeof actual === "object", `${path}: not an object`);
    const partial = expected["..."] === "...";
    for (const [k, v] of Object.entries(expected)) if (k !== "...") matches(v, actual[k], `${path}.${k}`);
    if (!partial) assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${path}: members`);
  } else {
    assert.equal(actual, expected, path || "(root)");
  }
}

function commands(code) {
  return code
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .map((l) => (l.trimStart().startsWith("curl ") ? l.trim() : l.replace(/\s+#.*$/, "").trim()))
    .filter((l) => l && !l.startsWith("#"));
}

const makefile = readFileSync(join(root, "Makefile"), "utf8");
let lastEvaluation = null;
let ran = 0;
let checked = 0;
const demo = await demoAgreement();

for (const b of blocks) {
  const where = `${b.file}:${b.line} (${b.lang || "text"})`;
  if (b.lang === "sh") {
    for (const cmd of commands(b.code)) {
      let m;
      if (cmd.startsWith("curl ")) {
        const line = cmd.replaceAll("http://127.0.0.1:8787", BASE).replaceAll("<printed id>", demo);
        const r = spawnSync("bash", ["-c", `${line} -w '\\n%{http_code}'`], { encoding: "utf8" });
        assert.equal(r.status, 0, `${where}: ${cmd}\n${r.stderr}`);
        const lines = r.stdout.trimEnd().split("\n");
        const status = Number(lines.pop());
        assert.ok(status >= 200 && status < 300, `${where}: ${cmd} answered ${status}: ${lines.join("\n")}`);
        JSON.parse(lines.join("\n"));
        console.log(`  ran     ${where}: ${cmd.slice(0, 90)} -> ${status}`);
        ran++;
      } else if ((m = /^make ([a-z-]+)$/.exec(cmd))) {
        assert.match(makefile, new RegExp(`^${m[1]}:`, "m"), `${where}: no make target ${m[1]}`);
        console.log(`  checked ${where}: ${cmd} (a make target)`);
        checked++;
      } else if ((m = /^(?:[A-Z_]+=\S+\s+)*(?:bash\s+)?(scripts\/[\w.-]+\.sh)$/.exec(cmd))) {
        assert.ok(existsSync(join(root, m[1])), `${where}: ${m[1]} is missing`);
        execFileSync("bash", ["-n", m[1]], { cwd: root });
        console.log(`  checked ${where}: ${cmd} (script exists and parses)`);
        checked++;
      } else if ((m = /^cargo bench -p ([\w-]+) --bench (\w+)$/.exec(cmd))) {
        const crate = m[1].replace(/^mitgate-/, "");
        assert.ok(existsSync(join(root, "crates", crate, "benches", `${m[2]}.rs`)), `${where}: no bench ${m[2]}`);
        console.log(`  checked ${where}: ${cmd} (bench exists)`);
        checked++;
      } else {
        assert.fail(`${where}: no way to run \`${cmd}\` here; teach tests/docs/run-examples.mjs`);
      }
    }
  } else if (b.lang === "json") {
    const value = JSON.parse(b.code);
    if (value.now && value.policy && value.request) {
      const r = await api("POST", "/v1/decisions/evaluate", value);
      assert.equal(r.status, 200, `${where}: ${JSON.stringify(r.body)}`);
      lastEvaluation = r.body;
      console.log(`  ran     ${where}: POST /v1/decisions/evaluate -> ${r.status} (${r.body.decision.outcome})`);
    } else if (value.outcome && value.violations) {
      assert.ok(lastEvaluation, `${where}: a decision shown with no input before it`);
      matches(value, lastEvaluation.decision);
      console.log(`  ran     ${where}: the decision shown is the Worker's, member for member`);
    } else {
      assert.fail(`${where}: a JSON example that is neither an engine input nor a decision`);
    }
    ran++;
  } else if (b.lang === "js") {
    const file = join(out, `example-${b.line}.mjs`);
    writeFileSync(file, b.code);
    const r = spawnSync(process.execPath, [file], { cwd: out, encoding: "utf8" });
    assert.equal(r.status, 0, `${where}: exit ${r.status}\n${r.stderr}`);
    assert.equal(r.stderr, "", `${where}: wrote to stderr: ${r.stderr}`);
    console.log(`  ran     ${where}: node -> ${r.stdout.trim().split("\n").join(" | ")}`);
    ran++;
  } else if (b.lang === "html") {
    writeFileSync(join(out, `example-${b.line}.html`), `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">\n${b.code}`);
    const texts = await inChromium(`example-${b.line}.html`);
    console.log(`  ran     ${where}: Chromium -> ${texts.join(" | ")}`);
    ran++;
  } else if (b.lang === "") {
    const openapi = readFileSync(join(root, "openapi.yaml"), "utf8");
    const m = /^X-Mitgate-Storage: (.*)$/.exec(b.code.trim());
    assert.ok(m, `${where}: a text example that is not a documented header`);
    const pattern = /Storage:\n\s+description: .*\n\s+schema: \{ type: string, pattern: "(.*)" \}/.exec(openapi);
    assert.ok(pattern, "openapi.yaml: no Storage header pattern");
    assert.match(m[1], new RegExp(pattern[1]), `${where}: not what openapi.yaml documents`);
    console.log(`  checked ${where}: X-Mitgate-Storage matches openapi.yaml's pattern`);
    checked++;
  } else {
    assert.fail(`${where}: no way to run a \`${b.lang}\` block here; teach tests/docs/run-examples.mjs`);
  }
}

async function inChromium(page) {
  const server = spawn("python3", ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", out], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const profile = mkdtempSync(join(tmpdir(), "mitgate-docs-"));
  let context;
  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("http.server did not start")), 10_000);
      server.stdout.on("data", (c) => {
        const m = /port (\d+)/.exec(String(c));
        if (m) {
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${m[1]}/${page}`);
        }
      });
    });
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const tab = await context.newPage();
    const errors = [];
    tab.on("pageerror", (e) => errors.push(String(e)));
    tab.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && errors.push(m.text()));
    tab.on("response", (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
    await tab.goto(url);
    await tab.waitForFunction(() => [...document.querySelectorAll("output")].every((o) => o.textContent.trim()), null, { timeout: 15_000 })
      .catch(() => {});
    const texts = await tab.$$eval("output", (os) => os.map((o) => `${o.id}: ${o.textContent.trim()}`));
    assert.deepEqual(errors, [], `${page}: page errors`);
    assert.ok(texts.length > 0 && texts.every((t) => !t.endsWith(": ")), `${page}: outputs not filled: ${texts}`);
    return texts;
  } finally {
    await context?.close().catch(() => {});
    server.kill("SIGTERM");
    rmSync(profile, { recursive: true, force: true });
  }
}

console.log(`docs: ${blocks.length} examples in ${files.length} files: ${ran} run, ${checked} checked`);
