// The dashboard on live state, in Chromium, against a running Worker (scripts/test-contract.sh starts
// `make dev` with this page's origin in DASHBOARD_ORIGINS, and sets MITGATE_URL, MITGATE_KEY,
// DASHBOARD_PORT). It connects with the merchant key, reads an agreement by id and by customer, shows
// its live limits, attempts and the Worker's dry-run decision, then simulates a charge from that state;
// a page served from another origin is refused by the Worker's CORS preflight. Screenshot:
// tests/out/dashboard-live.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, rmSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const outDir = join(root, "tests", "out");
const BASE = process.env.MITGATE_URL;
const KEY = process.env.MITGATE_KEY ?? "sk_test_demo";
const PORT = process.env.DASHBOARD_PORT;
const profile = mkdtempSync(join(tmpdir(), "mitgate-live-"));
const servers = [];
let context;

function serve(port) {
  return new Promise((resolve, reject) => {
    const s = spawn("python3", ["-u", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", join(root, "js-demo", "dashboard")], { stdio: ["ignore", "pipe", "pipe"] });
    servers.push(s);
    const timer = setTimeout(() => reject(new Error("http.server did not start")), 10_000);
    s.stdout.on("data", (c) => {
      const m = /port (\d+)/.exec(String(c));
      if (m) { clearTimeout(timer); resolve(`http://127.0.0.1:${m[1]}/`); }
    });
  });
}

async function api(method, path, body) {
  const r = await fetch(BASE + path, { method, headers: { "X-Mitgate-Key": KEY, "content-type": "application/json" }, body: body && JSON.stringify(body) });
  return { status: r.status, json: await r.json() };
}

before(async () => {
  assert.ok(BASE && PORT, "MITGATE_URL and DASHBOARD_PORT are set by scripts/test-contract.sh");
  mkdirSync(outDir, { recursive: true });
  const pkg = join(root, "js-demo", "dashboard", "pkg");
  if (!existsSync(join(pkg, "mitgate_wasm.js"))) cpSync(join(root, "crates", "wasm", "pkg", "web"), pkg, { recursive: true });
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1440, height: 1300 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await context?.close().catch(() => {});
  for (const s of servers) s.kill("SIGTERM");
  rmSync(profile, { recursive: true, force: true });
});

test("the dashboard reads a live agreement from the Worker and simulates from it", { timeout: 120_000 }, async () => {
  // Live state: a policy and an agreement with a CVV-verified 20.00 USD purchase and one approved charge.
  const run = Date.now().toString(36);
  const id = `pay_live_${run}`;
  const customer = `customer-live-${run}`;
  assert.equal((await api("PUT", "/v1/policy", { enabled: true, maxCount: 2, period: 86400, maxMultiple: 3, expiration: 31536000, maxZeroAuthAmount: { cents: 2000 }, maxAmountLookback: 31536000 })).status, 200);
  const put = await api("PUT", `/v1/agreements/${id}`, {
    agreement: { id, merchantId: "demo", customerId: customer, type: "unscheduled", currency: "USD",
      established: { method: "cvv_purchase", at: "2026-01-05T10:00:00Z", amount: { amount: "20.00", currency: "USD" } },
      paymentMethod: { type: "card", brand: "visa" }, credential: { token: `tok_${id}` },
      consent: { storeCredential: true, merchantInitiated: true } },
    history: { payments: [{ id, at: "2026-01-05T10:00:00Z", amount: { amount: "20.00", currency: "USD" }, cvvVerified: true }] },
    dialect: "coinflow",
  });
  assert.equal(put.status, 201, JSON.stringify(put.json));
  for (let i = 0; i < 2; i++) {
    const c = await api("POST", "/v1/charges", { reference: id, amount: { amount: "10.00", currency: "USD" } });
    assert.equal(c.status, 200, JSON.stringify(c.json));
  }

  const url = await serve(PORT);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]");

  await page.fill("#live-url", BASE);
  await page.fill("#live-key", KEY);
  await page.click("#live-connect");
  await page.waitForFunction(() => document.querySelector("#live-status").textContent.startsWith("connected"));
  assert.match(await page.textContent("#live-status"), /as merchant demo/);
  assert.equal(await page.inputValue("#live-key"), "", "the key is not left in the form");
  assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]), [0, 0, ""]);

  // By customer: the one agreement is found and read.
  await page.fill("#live-customer", customer);
  await page.click("#live-find");
  await page.waitForFunction(() => document.querySelector("#live-status").textContent.includes("read at"));
  assert.match(await page.textContent("#live-list"), new RegExp(id));
  const limits = await page.textContent("#live-limits");
  assert.match(limits, /60\.00 USD \(cvv_verified_history\)/, "the live ceiling: 3 x 20.00");
  assert.match(limits, /2 used of 2 per 24 h, next slot/, "the live velocity");
  assert.equal(await page.locator("#live-attempts tbody tr").count(), 2);
  assert.match(await page.textContent("#live-attempts"), /approved/);

  // Why would 45.00 be refused now, and when can it be charged again? The Worker's own dry run.
  await page.fill("#live-amount", "45.00");
  await page.click("#live-why");
  await page.waitForFunction(() => document.querySelector("#live-decision").textContent.includes("velocity_exceeded"));
  const why = await page.textContent("#live-decision");
  assert.match(why, /would be refused \(HTTP 429\)/);
  assert.match(why, /can be charged again at \d{4}-\d\d-\d\d/);

  // By id, then "what if I charge 45.00 tomorrow at 09:00?" from that real state, in the browser's engine.
  await page.fill("#live-agreement-id", id);
  await page.click("#live-read");
  await page.waitForFunction((x) => document.querySelector("#live-status").textContent.includes(`agreement ${x} read`), id);
  // Two days ahead at 09:00 UTC: past the velocity window of today's charges, whatever the hour now.
  const day = new Date(Date.now() + 2 * 86400_000).toISOString().slice(0, 10);
  await page.fill("#live-when", `${day}T09:00`);
  await page.click("#live-simulate");
  const row = page.locator("#decisions tbody tr").first();
  await row.waitFor();
  assert.match(await row.textContent(), /allowed/, "45.00 at 09:00 in two days: under the 60.00 ceiling, the velocity window has moved");
  assert.match(await page.inputValue("#agreement"), new RegExp(`"id": "${id}"`));
  await page.waitForFunction(() => document.querySelector("#live-status").textContent.startsWith("simulated"));
  assert.match(await page.textContent("#live-status"), new RegExp(`simulated 45\\.00 USD at ${day} 09:00:00 UTC`));
  await page.screenshot({ path: join(outDir, "dashboard-live.png"), fullPage: true });
  assert.deepEqual(problems, []);

  // Another origin: the Worker refuses its preflight, so the browser never sends the key there.
  const other = await serve(0);
  const page2 = await context.newPage();
  await page2.goto(other);
  await page2.waitForSelector("body[data-ready=true]");
  await page2.fill("#live-url", BASE);
  await page2.fill("#live-key", KEY);
  await page2.click("#live-connect");
  await page2.waitForFunction(() => document.querySelector("#live-status").dataset.state === "error");
  assert.match(await page2.textContent("#live-status"), /cannot reach/);
});
