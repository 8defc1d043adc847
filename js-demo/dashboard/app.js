// The mitgate dashboard: plain ES modules over the web build of the wasm package. Every decision and
// limit shown here comes from the engine; this file only gathers inputs and draws.
import init, { AgreementHandle, limits, openAgreementJson, parseCit, renderRefusal, version } from "mitgate-wasm";
import { setUpLive } from "./live.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

// ---------------------------------------------------------------------------------------------------
// Defaults: document 001's example settings, a Coinflow card-checkout agreement, a day of charges.
const DEFAULT_POLICY = {
  enabled: true, maxCount: 5, period: 86400, maxMultiple: 3, expiration: 2592000,
  maxZeroAuthAmount: { cents: 2000 }, maxAmountLookback: 2592000,
};
const DEFAULT_AGREEMENT = {
  id: "550e8400-e29b-41d4-a716-446655440000", merchantId: "your-merchant-id", customerId: "customer-123",
  type: "unscheduled",
  established: { method: "cvv_purchase", at: "2026-04-01T09:30:00Z", amount: { amount: "15.00", currency: "USD" } },
  currency: "USD", paymentMethod: { type: "card", brand: "visa" },
  credential: { token: "4111114324324111_bt", cardExpiry: "2026-08", last4: "1111" },
  consent: { storeCredential: true, merchantInitiated: true },
  terms: { validUntil: "2026-06-30" },
};
const DEFAULT_HISTORY = {
  payments: [{ id: "550e8400-e29b-41d4-a716-446655440000", at: "2026-04-01T09:30:00Z",
    amount: { amount: "15.00", currency: "USD" }, cvvVerified: true }],
  attempts: [],
};
const DEFAULT_SEQUENCE = `2026-04-10T12:00:00Z 30.00
+2h 45.00
+2h 45.01
+2h 20.00
+2h 20.00
+2h 20.00
+2h 20.00
+1d 20.00`;

const CIT_EXAMPLES = {
  coinflow: {
    requestLabel: "Checkout request body (POST /api/checkout/card/{merchantId})", responseLabel: "Response",
    request: { subtotal: { cents: 1500, currency: "USD" }, token: "4111114324324111_bt" },
    response: { paymentId: "550e8400-e29b-41d4-a716-446655440000" },
  },
  infinic: {
    requestLabel: "Payment intent (POST /api/intents)", responseLabel: "PaymentCredential webhook event",
    request: { amount: 10000, currency: "ZAR", reference_id: "subscription_init_customer_123", purchaser_id: "customer_123",
      return_url: "https://yoursite.com/callback", allow_remember_credentials: true, request_unscheduled_mit: true },
    response: { type: "PaymentCredential", created: "2026-04-01T09:30:00Z", content: {
      intent_id: "550e8400-e29b-41d4-a716-446655440000", reference_id: "subscription_init_customer_123",
      purchaser_id: "customer_123", credential_token: "cred_token_abc123xyz", display_name: "Visa ****1234",
      is_mit_compatible: true, method: "card", brand: "visa", card_last4: "1234", card_expiry: "2027-12" } },
  },
  spg: {
    requestLabel: "AUTH request (POST /api/v2/payments)", responseLabel: "Response",
    request: `{
  "merchant": { "terminalId": "11111", "channel": "web", "merchantTransactionId": "CARD-CIT-0001" },
  "transaction": { "transactionTimestamp": "2026-04-01T09:30:00.000Z", "description": "Initial recurring authorization",
    "paymentType": "AUTH", "paymentMethod": ["CARD"], "amount": { "value": 0.00, "currency": "EUR" } }
}`,
    response: { returnStatus: { statusCode: "000", statusMsg: "Success" }, paymentStatus: "Success",
      transactionID: "txCIT123456789", token: { tokenType: "Card", value: "TKN123456789" } },
  },
  axerve: {
    requestLabel: "First transaction (01F / 03F)", responseLabel: "Result",
    request: { shopLogin: "GESPAY00001", uicCode: "242", amount: "0", shopTransactionId: "OrderID_01F_001",
      requestToken: "MASKEDPAN", transDetails: { type: "01F", authenticationAmount: "40",
        recurringTransaction: { expiry: "20301225", frequency: "14" } }, apikey: "" },
    response: { transactionResult: "OK", shopTransactionId: "OrderID_01F_001", bankTransactionID: "BTX-01F-0001",
      authorizationCode: "A12345", errorCode: "0", errorDescription: "Transaction correctly processed",
      token: "TOK-01F-0001", tokenExpiryMonth: "12", tokenExpiryYear: "30" },
  },
};

// ---------------------------------------------------------------------------------------------------
// State: the inputs are the text areas; the simulation adds attempts on top of the base history. It holds
// the agreement's state parsed once, in an agreement handle (openAgreementJson): each charge then reads
// only {"now","request"}, with the answers evaluateJson gives on the whole state.
const sim = { history: null, rows: [], seq: 0, handle: null };

/** Ends the simulation: its attempts are dropped and its handle freed. */
function forgetSimulation() {
  sim.handle?.free();
  Object.assign(sim, { history: null, rows: [], seq: 0, handle: null });
}

const pretty = (v) => (typeof v === "string" ? v : JSON.stringify(v, null, 2));
const iso = (ms) => new Date(ms).toISOString().replace(".000Z", "Z");
const fmtTime = (t) => (t ? t.replace("T", " ").replace(/(\.\d+)?Z$/, "") : "—");
const money = (m) => (m ? `${m.amount} ${m.currency}` : "—");
const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function readJson(id, label, messages) {
  try {
    return JSON.parse($(id).value);
  } catch (e) {
    messages.push({ path: label, message: `is not valid JSON: ${e.message}` });
    return undefined;
  }
}

function showMessages(id, errors, okText) {
  const ul = $(id);
  ul.innerHTML = "";
  if (!errors.length) {
    if (okText) ul.innerHTML = `<li class="ok">${esc(okText)}</li>`;
    return;
  }
  for (const e of errors) {
    const li = document.createElement("li");
    li.className = "error";
    li.innerHTML = `<code>${esc(e.path || "(document)")}</code> ${esc(e.message)}`;
    ul.append(li);
  }
}

/** Reads policy, agreement and base history; shows every field error next to its input. */
function inputs() {
  const policyErrors = [];
  const agreementErrors = [];
  const policy = readJson("policy", "policy", policyErrors);
  const agreement = readJson("agreement", "agreement", agreementErrors);
  const baseHistory = readJson("history", "history", agreementErrors);
  const now = $("now").value.trim();
  if (policy && agreement && baseHistory) {
    const answer = limits({ now, policy, agreement, history: baseHistory });
    if (answer.type === "failure") {
      for (const e of answer.errors) {
        (e.path.startsWith("policy") ? policyErrors : agreementErrors).push(e);
      }
    }
  }
  showMessages("policy-messages", policyErrors, "Policy is valid.");
  showMessages("agreement-messages", agreementErrors, "Agreement and history are valid.");
  const ok = !policyErrors.length && !agreementErrors.length;
  return { ok, policy, agreement, baseHistory, now };
}

function history(base) {
  return sim.history ?? base;
}

// ---------------------------------------------------------------------------------------------------
// Charging: decide, and feed each allowed charge back through recordAttempt (and applyOutcome).
function charge(at, amountText) {
  const inp = inputs();
  if (!inp.ok) return { error: "Fix the policy and agreement first." };
  if (!sim.handle) {
    const state = { policy: inp.policy, agreement: inp.agreement, history: history(inp.baseHistory) };
    const opened = openAgreementJson(JSON.stringify(state));
    if (!(opened instanceof AgreementHandle)) return { error: opened.errors.map((e) => `${e.path}: ${e.message}`).join("; ") };
    sim.handle = opened;
  }
  const handle = sim.handle;
  const request = {
    merchantId: inp.agreement.merchantId, reference: inp.agreement.id,
    amount: { amount: amountText, currency: inp.agreement.currency },
    ...(inp.agreement.customerId ? { customerId: inp.agreement.customerId } : {}),
  };
  // Decide; an allowed charge is recorded on the handle as a pending attempt (attemptId).
  const attemptId = `sim-${sim.seq + 1}`;
  const answer = JSON.parse(handle.evaluateJson(at, JSON.stringify(request), attemptId));
  const row = { n: sim.rows.length + 1, at, amount: request.amount, answer };
  if (answer.type === "success" && answer.decision.outcome === "refused") {
    const dialect = $("refusal-dialect").value;
    const { agreement, history: hist } = JSON.parse(handle.stateJson());
    const rendered = renderRefusal({ dialect, evaluation: { now: at, policy: inp.policy, agreement, history: hist, request } });
    if (rendered.type === "success" && rendered.response) {
      const { mitgate, ...own } = rendered.response.body ?? {};
      row.processor = { dialect, status: rendered.response.status, body: own };
    }
  }
  if (answer.type === "success" && answer.decision.outcome === "allowed") {
    sim.seq += 1;
    const mode = $("outcome-mode").value;
    if (mode !== "pending") {
      const declined = mode.startsWith("declined");
      const code = mode === "declined_8026" ? "8026" : "51";
      const outcome = declined
        ? { attemptId, at, result: "declined",
            decline: { code, reason: code === "8026" ? "authentication_required" : "insufficient_funds" } }
        : { attemptId, at, result: "approved", paymentId: `pay-${attemptId}` };
      handle.applyOutcomeJson(JSON.stringify(outcome));
    }
    const state = JSON.parse(handle.stateJson());
    if (state.agreement.status !== inp.agreement.status) $("agreement").value = pretty(state.agreement);
    sim.history = state.history;
    row.attemptId = attemptId;
  }
  sim.rows.push(row);
  return { row };
}

function parseSequence(text, start) {
  const out = [];
  const errors = [];
  let t = Date.parse(start);
  text.split("\n").forEach((line, i) => {
    const s = line.trim();
    if (!s || s.startsWith("#")) return;
    const [when, amount, extra] = s.split(/\s+/);
    const rel = /^\+(\d+)([smhd])$/.exec(when);
    if (rel) {
      t += Number(rel[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[rel[2]];
    } else if (!Number.isNaN(Date.parse(when)) && /Z|[+-]\d\d:\d\d$/.test(when)) {
      t = Date.parse(when);
    } else {
      errors.push({ path: `line ${i + 1}`, message: `\`${when}\` is neither an instant with a zone nor +N(s|m|h|d)` });
      return;
    }
    if (!amount || extra) {
      errors.push({ path: `line ${i + 1}`, message: "expected: <time> <amount>" });
      return;
    }
    out.push({ at: iso(t), amount });
  });
  return { charges: out, errors };
}

// ---------------------------------------------------------------------------------------------------
// Drawing.
function el(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function svg(width, height) {
  return el("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", preserveAspectRatio: "xMinYMin meet" });
}

function drawCeiling(lim, lastAmount) {
  const box = $("viz-ceiling");
  box.innerHTML = "";
  const c = lim.ceiling;
  const W = 420, H = 150, x0 = 118, x1 = W - 16;
  const values = [c.amount, c.policy?.amount, c.policy?.base, c.agreementMaximum, lastAmount]
    .filter(Boolean).map((m) => Number(m.amount));
  const max = Math.max(1, ...values) * 1.08;
  const sx = (v) => x0 + (x1 - x0) * (v / max);
  const s = svg(W, H);
  const bars = [
    ["base", c.policy?.base, "bar-base", c.policy ? `${c.policy.baseSource.replaceAll("_", " ")}` : ""],
    [`× ${c.policy?.multiple ?? "—"}`, c.policy?.amount, "bar-policy", "policy ceiling"],
    ["agreement max", c.agreementMaximum, "bar-agreement", "terms.maxAmount"],
    ["ceiling", c.amount, "bar-ceiling", c.source.replaceAll("_", " ")],
  ];
  bars.forEach(([label, m, cls, note], i) => {
    const y = 10 + i * 30;
    s.append(el("text", { x: x0 - 8, y: y + 14, class: "axis-label", "text-anchor": "end" }, label));
    s.append(el("rect", { x: x0, y, width: x1 - x0, height: 20, class: "track", rx: 3 }));
    if (m) {
      s.append(el("rect", { x: x0, y, width: Math.max(2, sx(Number(m.amount)) - x0), height: 20, class: cls, rx: 3 }));
      s.append(el("text", { x: x0 + 6, y: y + 14, class: "bar-text" }, `${m.amount} ${m.currency}`));
    } else {
      s.append(el("text", { x: x0 + 6, y: y + 14, class: "bar-text dim" }, c.source === "none" && label === "ceiling" ? "no ceiling" : "—"));
    }
  });
  if (lastAmount) {
    const x = sx(Number(lastAmount.amount));
    const over = c.amount && Number(lastAmount.amount) > Number(c.amount.amount);
    s.append(el("line", { x1: x, x2: x, y1: 4, y2: 128, class: over ? "marker over" : "marker" }));
    s.append(el("text", { x: Math.min(x, W - 60), y: 144, class: over ? "marker-text over" : "marker-text", "text-anchor": "middle" },
      `last request ${lastAmount.amount}`));
  }
  box.append(s);
  const p = c.policy;
  const parts = [];
  if (p) {
    const basis = p.baseSource === "cvv_verified_history"
      ? `largest CVV-verified payment ${money(p.base)} (${esc(p.basePaymentId ?? "")}, ${fmtTime(p.basePaymentAt)}) of ${p.paymentsConsidered} considered`
      : p.baseSource === "zero_auth_default" ? `maxZeroAuthAmount ${money(p.base)} (no CVV-verified payment in the lookback)`
      : "no basis: nothing to multiply";
    parts.push(`${basis} × maxMultiple ${esc(p.multiple)} = <b>${money(p.amount)}</b>`);
    if (p.lookbackStart) parts.push(`lookback from ${fmtTime(p.lookbackStart)}`);
  }
  if (c.agreementMaximum) parts.push(`agreement maximum ${money(c.agreementMaximum)}`);
  parts.push(`binding: <b>${esc(c.source.replaceAll("_", " "))}</b> → ceiling <b>${money(c.amount)}</b>`);
  $("ceiling-derivation").innerHTML = parts.join(" · ");
}

function duration(ms) {
  const neg = ms < 0;
  let s = Math.abs(Math.round(ms / 1000));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60);
  const text = d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min`;
  return neg ? `${text} ago` : `in ${text}`;
}

function drawCountdowns(lim, agreement, now) {
  const box = $("viz-countdowns");
  box.innerHTML = "";
  const nowMs = Date.parse(now);
  const from = Date.parse(agreement.established.at);
  const items = [
    ["Reference window", lim.referenceExpiresAt, from],
    ["Agreement validity", lim.agreementExpiresAt, from],
    ["Card", lim.cardExpiresAt, from],
  ];
  const W = 420, H = 150, x0 = 8, x1 = W - 8;
  const s = svg(W, H);
  items.forEach(([label, end, start], i) => {
    const y = 6 + i * 46;
    s.append(el("text", { x: x0, y: y + 12, class: "axis-label" }, label));
    s.append(el("rect", { x: x0, y: y + 18, width: x1 - x0, height: 12, class: "track", rx: 6 }));
    if (!end) {
      s.append(el("text", { x: x1, y: y + 12, class: "count", "text-anchor": "end" }, "does not expire"));
      return;
    }
    const endMs = Date.parse(end);
    const frac = Math.min(1, Math.max(0, (nowMs - start) / Math.max(1, endMs - start)));
    const left = endMs - nowMs;
    const cls = left <= 0 ? "expired" : left < 7 * 86400e3 ? "soon" : "fine";
    s.append(el("rect", { x: x0, y: y + 18, width: Math.max(6, (x1 - x0) * frac), height: 12, class: `elapsed ${cls}`, rx: 6 }));
    s.append(el("text", { x: x1, y: y + 12, class: `count ${cls}`, "text-anchor": "end" },
      `${left <= 0 ? "expired" : "expires"} ${duration(left)} · ${fmtTime(end)}`));
  });
  box.append(s);
}

function drawTimeline(lim, hist, now) {
  const box = $("viz-timeline");
  box.innerHTML = "";
  const nowMs = Date.parse(now);
  const v = lim.velocity;
  const periodMs = (v?.periodSeconds ?? 86400) * 1000;
  const times = [...hist.attempts.map((a) => Date.parse(a.at)), ...sim.rows.map((r) => Date.parse(r.at))];
  let t0 = Math.min(nowMs - periodMs * 1.15, ...times);
  let t1 = Math.max(nowMs + periodMs * 0.35, ...times, v?.nextSlotAt ? Date.parse(v.nextSlotAt) + periodMs * 0.05 : 0);
  const pad = (t1 - t0) * 0.02; t0 -= pad; t1 += pad;
  const W = 860, H = 170, x0 = 20, x1 = W - 20, axisY = 128;
  const sx = (t) => x0 + (x1 - x0) * ((t - t0) / (t1 - t0));
  const s = svg(W, H);
  if (v) {
    const ws = Date.parse(v.windowStart);
    s.append(el("rect", { x: sx(ws), y: 14, width: sx(nowMs) - sx(ws), height: axisY - 14, class: "window" }));
    s.append(el("text", { x: sx(ws) + 6, y: 28, class: "window-label" },
      `velocity window: ${v.used} / ${v.allowed} used in ${Math.round(v.periodSeconds / 3600 * 10) / 10} h`));
    if (v.nextSlotAt) {
      const x = sx(Date.parse(v.nextSlotAt));
      s.append(el("line", { x1: x, x2: x, y1: 14, y2: axisY, class: "slot" }));
      s.append(el("text", { x: x + 4, y: 44, class: "slot-text" }, `next slot ${fmtTime(v.nextSlotAt)}`));
    }
  }
  s.append(el("line", { x1: x0, x2: x1, y1: axisY, y2: axisY, class: "axis" }));
  const ticks = 6;
  for (let i = 0; i <= ticks; i++) {
    const t = t0 + ((t1 - t0) * i) / ticks;
    s.append(el("line", { x1: sx(t), x2: sx(t), y1: axisY, y2: axisY + 5, class: "axis" }));
    const anchor = i === 0 ? "start" : i === ticks ? "end" : "middle";
    s.append(el("text", { x: sx(t), y: axisY + 18, class: "tick", "text-anchor": anchor }, fmtTime(iso(Math.round(t / 6e4) * 6e4)).slice(5, 16)));
  }
  const statusOf = new Map(hist.attempts.map((a) => [a.id, a.status]));
  const dots = [
    ...hist.attempts.filter((a) => !a.id.startsWith("sim-")).map((a) => ({ at: a.at, cls: a.status, label: a.amount.amount })),
    ...sim.rows.map((r) => ({
      at: r.at, label: r.amount.amount,
      cls: r.attemptId ? statusOf.get(r.attemptId) ?? "approved" : "refused",
    })),
  ];
  const lane = new Map();
  for (const d of dots) {
    const x = sx(Date.parse(d.at));
    const key = Math.round(x / 14);
    const k = lane.get(key) ?? 0;
    lane.set(key, k + 1);
    const y = axisY - 22 - (k % 4) * 20;
    if (d.cls === "refused") {
      s.append(el("path", { d: `M${x - 6},${y - 6}L${x + 6},${y + 6}M${x - 6},${y + 6}L${x + 6},${y - 6}`, class: "dot refused" }));
    } else {
      s.append(el("circle", { cx: x, cy: y, r: 6.5, class: `dot ${d.cls}` }));
    }
    s.append(el("title", {}, `${d.at} ${d.label} ${d.cls}`));
  }
  const xn = sx(nowMs);
  s.append(el("line", { x1: xn, x2: xn, y1: 8, y2: axisY + 4, class: "now" }));
  s.append(el("text", { x: xn, y: H - 4, class: "now-text", "text-anchor": "middle" }, `now ${fmtTime(now).slice(5, 16)}`));
  const legend = [["approved", "approved"], ["pending", "pending"], ["declined", "declined"], ["refused", "refused by mitgate"]];
  legend.forEach(([cls, text], i) => {
    const lx = x1 - 440 + i * 112;
    if (cls === "refused") s.append(el("path", { d: `M${lx - 5},${5}L${lx + 5},${15}M${lx - 5},${15}L${lx + 5},${5}`, class: "dot refused key" }));
    else s.append(el("circle", { cx: lx, cy: 10, r: 5, class: `dot ${cls} key` }));
    s.append(el("text", { x: lx + 9, y: 14, class: "legend" }, text));
  });
  box.append(s);
  $("velocity-text").innerHTML = v
    ? `maxCount <b>${v.allowed}</b> per period <b>${v.periodSeconds} s</b>: <b>${v.used}</b> used, <b>${v.remaining}</b> left` +
      (v.nextSlotAt ? `; the next slot frees at <b>${fmtTime(v.nextSlotAt)}</b>` : "") +
      (lim.nextEligibleAt ? ` · next eligible charge: <b>${fmtTime(lim.nextEligibleAt)}</b>` : " · <b>no charge can be allowed again</b>")
    : "No velocity limit (no maxCount in the policy).";
}

/** For a network refusal: the budget used, its numbers, when it frees, and the rule-set version behind it. */
function budgetText(details, retryAt) {
  if (!details || !details.budget) return "";
  const used = details.declinesUsed ?? details.reattemptsUsed;
  const allowed = details.declinesAllowed ?? details.reattemptsAllowed;
  const window = details.budget === "mastercard_declines_per_day" ? "24 h" : `${details.windowDays} days`;
  return ` <span class="budget">budget <code>${esc(details.budget)}</code>: ${used} of ${allowed} in ${window}` +
    (retryAt ? `, frees at ${fmtTime(retryAt)}` : "") + ` · rules ${esc(details.rulesVersion)}</span>`;
}

function drawDecisions() {
  const tbody = $("decisions").querySelector("tbody");
  tbody.innerHTML = "";
  for (const r of sim.rows) {
    const tr = document.createElement("tr");
    let verdict;
    let reasons;
    if (r.answer.type === "failure") {
      verdict = `<span class="badge bad-input">bad input</span>`;
      reasons = r.answer.errors.map((e) => `<div class="reason"><code>${esc(e.path)}</code> ${esc(e.message)}</div>`).join("");
    } else {
      const d = r.answer.decision;
      verdict = `<span class="badge ${d.outcome}">${d.outcome}</span> <span class="status">HTTP ${d.httpStatus}</span>` +
        ` <span class="rules" title="network rule-set version">rules ${esc(d.rulesVersion)}</span>`;
      reasons = d.violations.length
        ? d.violations.map((v) => `<div class="reason"><span class="code">${esc(v.code)}</span> <span class="status">${v.httpStatus}</span> ${esc(v.message)}` +
            (v.retryAt ? ` <span class="retry">retry at ${fmtTime(v.retryAt)}</span>` : "") + budgetText(v.details, v.retryAt) + `</div>`).join("")
        : `<div class="reason ok">all rules pass${r.attemptId ? ` · recorded as <code>${r.attemptId}</code>` : ""}</div>`;
      if (r.processor) {
        reasons += `<div class="processor"><span class="dialect">${esc(r.processor.dialect)} answers ${r.processor.status}</span> ` +
          `<code>${esc(clip(JSON.stringify(r.processor.body), 220))}</code></div>`;
      }
    }
    tr.className = r.answer.type === "success" ? r.answer.decision.outcome : "bad-input";
    tr.innerHTML = `<td>${r.n}</td><td class="mono">${fmtTime(r.at)}</td><td class="num mono">${esc(r.amount.amount)} ${esc(r.amount.currency)}</td><td>${verdict}</td><td>${reasons}</td>`;
    tbody.append(tr);
  }
  $("decisions-empty").classList.toggle("hidden", sim.rows.length > 0);
  const allowed = sim.rows.filter((r) => r.answer.type === "success" && r.answer.decision.outcome === "allowed").length;
  $("decision-count").textContent = sim.rows.length ? `${allowed} allowed, ${sim.rows.length - allowed} refused` : "";
}

function refresh() {
  const inp = inputs();
  if (!inp.ok) {
    $("limits-error").innerHTML = `<p class="error">Limits are not shown while the inputs have errors.</p>`;
    return;
  }
  const hist = history(inp.baseHistory);
  const answer = limits({ now: inp.now, policy: inp.policy, agreement: inp.agreement, history: hist });
  if (answer.type === "failure") {
    $("limits-error").innerHTML = answer.errors.map((e) => `<p class="error"><code>${esc(e.path)}</code> ${esc(e.message)}</p>`).join("");
    return;
  }
  $("limits-error").innerHTML = "";
  $("limits-at").textContent = `at ${fmtTime(inp.now)} UTC`;
  const last = sim.rows.at(-1)?.amount;
  drawCeiling(answer.limits, last);
  drawCountdowns(answer.limits, inp.agreement, inp.now);
  drawTimeline(answer.limits, hist, inp.now);
  drawDecisions();
}

// ---------------------------------------------------------------------------------------------------
// CIT parsing.
function loadCitExample() {
  const d = $("cit-dialect").value;
  const ex = CIT_EXAMPLES[d];
  $("cit-request").value = pretty(ex.request);
  $("cit-response").value = pretty(ex.response);
  $("cit-request-label").textContent = ex.requestLabel;
  $("cit-response-label").textContent = ex.responseLabel;
  document.querySelectorAll(".coinflow-only").forEach((n) => n.classList.toggle("hidden", d !== "coinflow"));
  showMessages("cit-messages", []);
}

function parseCitPayload() {
  const dialect = $("cit-dialect").value;
  const input = {
    dialect, merchantId: $("cit-merchant").value.trim(), at: $("cit-at").value.trim(),
    request: $("cit-request").value,
  };
  if (dialect === "infinic") input.credentialEvent = $("cit-response").value;
  else input.response = $("cit-response").value;
  if (dialect === "coinflow") {
    Object.assign(input, { endpoint: $("cit-endpoint").value, headers: { "x-user-id": $("cit-user").value.trim() },
      tokenCvvVerified: $("cit-cvv").checked });
    if (input.endpoint === "zero_authorization") input.zeroAuthCurrency = "USD";
  }
  const answer = parseCit(input);
  if (answer.type === "failure") {
    showMessages("cit-messages", answer.errors);
    return;
  }
  $("agreement").value = pretty(answer.agreement);
  $("history").value = pretty({ payments: [answer.payment], attempts: [] });
  showMessages("cit-messages", [], `Parsed: agreement ${answer.agreement.id} (${answer.agreement.type}, ${answer.agreement.currency}, ${answer.agreement.established.method}).`);
  resetSimulation();
}

function resetSimulation() {
  forgetSimulation();
  refresh();
}

// ---------------------------------------------------------------------------------------------------
async function main() {
  try {
    await init();
  } catch (e) {
    $("engine-status").dataset.state = "error";
    $("engine-status").textContent = `engine failed to load: ${e.message}`;
    return;
  }
  $("engine-status").dataset.state = "ready";
  $("engine-status").textContent = `engine ready · wasm`;
  $("version").textContent = `Engine ${version()}.`;

  $("policy").value = pretty(DEFAULT_POLICY);
  $("agreement").value = pretty(DEFAULT_AGREEMENT);
  $("history").value = pretty(DEFAULT_HISTORY);
  $("sequence").value = DEFAULT_SEQUENCE;
  loadCitExample();

  let timer;
  const later = () => { clearTimeout(timer); timer = setTimeout(refresh, 250); };
  for (const id of ["policy", "agreement", "history"]) $(id).addEventListener("input", () => { forgetSimulation(); later(); });
  $("now").addEventListener("input", later);
  document.querySelectorAll("[data-shift]").forEach((b) => b.addEventListener("click", () => {
    const t = Date.parse($("now").value);
    if (!Number.isNaN(t)) { $("now").value = iso(t + Number(b.dataset.shift) * 1000); refresh(); }
  }));
  $("charge-now").addEventListener("click", () => {
    const r = charge($("now").value.trim(), $("charge-amount").value.trim());
    if (r.error) showMessages("sequence-messages", [{ path: "inputs", message: r.error }]);
    refresh();
  });
  $("run-sequence").addEventListener("click", () => {
    const { charges, errors } = parseSequence($("sequence").value, $("now").value.trim());
    showMessages("sequence-messages", errors);
    if (errors.length) return;
    forgetSimulation();
    for (const c of charges) {
      const r = charge(c.at, c.amount);
      if (r.error) { showMessages("sequence-messages", [{ path: "inputs", message: r.error }]); break; }
    }
    if (charges.length) $("now").value = charges.at(-1).at;
    refresh();
  });
  $("reset").addEventListener("click", resetSimulation);
  document.querySelectorAll(".tab").forEach((t) => t.addEventListener("click", () => {
    document.querySelectorAll(".tab").forEach((x) => { x.classList.toggle("active", x === t); x.setAttribute("aria-selected", String(x === t)); });
    $("tab-canonical").classList.toggle("hidden", t.dataset.tab !== "canonical");
    $("tab-cit").classList.toggle("hidden", t.dataset.tab !== "cit");
  }));
  $("cit-dialect").addEventListener("change", loadCitExample);
  $("cit-parse").addEventListener("click", parseCitPayload);
  setUpLive();
  refresh();
  document.body.dataset.ready = "true";
}

main();
