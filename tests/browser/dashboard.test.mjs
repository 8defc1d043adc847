// The dashboard in Debian's Chromium (playwright-core, no downloaded browser): it loads the wasm
// engine, simulates an allowed and a refused charge, runs a sequence that hits the velocity limit,
// parses a CIT payload, shows policy validation errors by field, and saves a screenshot.
//
// Serves js-demo/dashboard with `python3 -m http.server` on 127.0.0.1 (a free port), killed at the end.
// Needs js-demo/dashboard/pkg/ (scripts/test-wasm.sh copies the package's web build there).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const outDir = join(root, "tests", "out");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
let server;
let context;
let baseUrl;
const profile = mkdtempSync(join(tmpdir(), "mitgate-chromium-"));

function startServer() {
  return new Promise((resolve, reject) => {
    server = spawn("python3", ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", join(root, "js-demo", "dashboard")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const timer = setTimeout(() => reject(new Error("http.server did not start within 10 s")), 10_000);
    server.stdout.on("data", (chunk) => {
      const m = /port (\d+)/.exec(String(chunk));
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}/`);
      }
    });
    server.on("exit", (code) => reject(new Error(`http.server exited (${code})`)));
  });
}

before(async () => {
  mkdirSync(outDir, { recursive: true });
  baseUrl = await startServer();
  context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    timeout: 30_000,
    viewport: { width: 1440, height: 1000 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await context?.close().catch(() => {});
  server?.kill("SIGTERM");
  rmSync(profile, { recursive: true, force: true });
});

test("dashboard: allowed and refused charges, velocity, CIT parsing, policy validation", { timeout: 90_000 }, async () => {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });

  await page.goto(baseUrl);
  await page.waitForSelector("body[data-ready=true]");
  assert.match(await page.textContent("#engine-status"), /engine ready/);
  assert.match(await page.textContent("#ceiling-derivation"), /ceiling 45\.00 USD/);

  // An allowed charge: 30.00 USD under the 45.00 ceiling (3 x the 15.00 CVV-verified purchase).
  await page.fill("#charge-amount", "30.00");
  await page.click("#charge-now");
  const row1 = page.locator("#decisions tbody tr").nth(0);
  assert.match(await row1.textContent(), /allowed/);
  assert.match(await row1.textContent(), /recorded as sim-1/);
  assert.match(await page.textContent("#velocity-text"), /1 used, 4 left/);

  // A refused one: 99.00 USD is above the ceiling; the reason and its code are shown.
  await page.fill("#charge-amount", "99.00");
  await page.click("#charge-now");
  const row2 = page.locator("#decisions tbody tr").nth(1);
  assert.match(await row2.textContent(), /refused/);
  assert.match(await row2.textContent(), /amount_above_ceiling/);
  assert.match(await row2.textContent(), /HTTP 410/);
  assert.match(await row2.textContent(), /coinflow answers 410 \{"message":"Amount exceeds limit/, "the refusal as Coinflow words it");
  assert.match(await page.textContent("#velocity-text"), /1 used, 4 left/, "a refused charge takes no slot");

  // A sequence: every allowed charge is recorded, so the sixth charge within 24 h hits the velocity limit.
  await page.selectOption("#refusal-dialect", "spg");
  await page.click(".sequence summary");
  await page.click("#run-sequence");
  const rows = page.locator("#decisions tbody tr");
  assert.equal(await rows.count(), 8);
  const texts = await rows.allTextContents();
  const verdicts = await page.locator("#decisions tbody tr .badge").allTextContents();
  assert.deepEqual(verdicts, ["allowed", "allowed", "refused", "allowed", "allowed", "allowed", "refused", "allowed"]);
  assert.match(texts[2], /amount_above_ceiling/);
  assert.match(texts[6], /velocity_exceeded/);
  assert.match(texts[6], /retry at/);
  assert.match(texts[6], /spg answers 429/);
  assert.match(await page.textContent("#decision-count"), /6 allowed, 2 refused/);
  assert.equal(await page.locator("#viz-timeline svg .dot.refused:not(.key)").count(), 2);
  assert.match(await page.textContent("#viz-countdowns"), /Reference window.*expires in \d+ d/);
  await page.screenshot({ path: join(outDir, "dashboard.png"), fullPage: true });

  // Parse an SPG CIT payload into the agreement.
  await page.click("button[data-tab=cit]");
  await page.selectOption("#cit-dialect", "spg");
  await page.click("#cit-parse");
  assert.match(await page.textContent("#cit-messages"), /Parsed: agreement txCIT123456789/);
  assert.match(await page.inputValue("#agreement"), /"currency": "EUR"/);

  // Policy validation names the field.
  await page.fill("#policy", '{"enabled": true, "maxCount": 5, "expiration": 0}');
  await page.waitForFunction(() => document.querySelector("#policy-messages").textContent.includes("policy.period"));
  const messages = await page.textContent("#policy-messages");
  assert.match(messages, /policy\.period.*required when maxCount is set/);
  assert.match(messages, /policy\.expiration/);
  await page.fill("#policy", '{"enabled": true, "maxMultiple": 1.5}');
  await page.waitForFunction(() => document.querySelector("#policy-messages").textContent.includes("policy.maxMultiple"));

  assert.deepEqual(problems, []);
});
