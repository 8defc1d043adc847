// The dashboard on live state: connect to a running mitgate Worker, look an agreement up by id or by
// customer, show its live limits, its recorded attempts and the Worker's dry-run decision for a charge,
// and start a simulation from that real state. The merchant key lives in this module's memory only
// (never in storage, the URL or a cookie); the Worker answers this page's CORS preflight only when its
// origin is in the Worker's DASHBOARD_ORIGINS.
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const money = (m) => (m ? `${m.amount} ${m.currency}` : "none");
const when = (t) => (t ? t.replace("T", " ").replace(/(\.\d+)?Z$/, "") : "—");

/** The connection: base URL and key, in memory only. */
const live = { base: null, key: null, merchant: null, policy: null, record: null };

async function call(method, path, body) {
  const r = await fetch(live.base + path, {
    method,
    headers: { "X-Mitgate-Key": live.key, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.status, json, text, headers: r.headers };
}

function status(text, state = "ok") {
  $("live-status").textContent = text;
  $("live-status").dataset.state = state;
}

function failed(what, r) {
  const e = r.json?.error;
  status(`${what}: HTTP ${r.status}${e ? ` ${e.code}: ${e.message}` : ""}`, "error");
}

async function connect() {
  live.base = $("live-url").value.trim().replace(/\/$/, "");
  live.key = $("live-key").value;
  $("live-key").value = "";
  $("live-key").placeholder = "kept in memory: connected";
  let r;
  try {
    r = await call("GET", "/v1/policy");
  } catch (e) {
    status(`cannot reach ${live.base}: ${e.message} (is this page's origin in the Worker's DASHBOARD_ORIGINS?)`, "error");
    return;
  }
  if (r.status === 401) return failed("the key was refused", r);
  live.merchant = r.headers.get("x-mitgate-merchant");
  live.policy = r.status === 200 ? r.json : null;
  if (r.status !== 200 && r.status !== 404) return failed("reading the policy", r);
  status(`connected to ${live.base} as merchant ${live.merchant}${live.policy ? "" : " (no policy: every MIT is refused)"}`);
  $("live-lookup").classList.remove("hidden");
}

async function readAgreement(id) {
  status(`reading agreement ${id}…`, "busy");
  const [a, l] = await Promise.all([
    call("GET", `/v1/agreements/${encodeURIComponent(id)}`),
    call("GET", `/v1/agreements/${encodeURIComponent(id)}/limits`),
  ]);
  if (a.status !== 200) return failed(`agreement ${id}`, a);
  if (l.status !== 200) return failed(`limits of ${id}`, l);
  live.record = a.json;
  showRecord(a.json, l.json);
  status(`agreement ${id} read at ${when(l.json.now)} UTC`);
  await whyNow();
}

async function findByCustomer(customer) {
  const r = await call("GET", `/v1/customers/${encodeURIComponent(customer)}/agreements`);
  if (r.status !== 200) return failed(`customer ${customer}`, r);
  const list = $("live-list");
  list.innerHTML = "";
  for (const rec of r.json.agreements) {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.textContent = `${rec.agreement.id} · ${rec.agreement.status ?? "active"} · ${rec.dialect ?? "canonical"} · since ${when(rec.agreement.established.at)}`;
    b.addEventListener("click", () => readAgreement(rec.agreement.id));
    li.append(b);
    list.append(li);
  }
  status(`${r.json.agreements.length} agreement(s) of customer ${customer}`);
  if (r.json.agreements.length === 1) await readAgreement(r.json.agreements[0].agreement.id);
}

function showRecord(rec, limits) {
  const lim = limits.limits;
  const v = lim.velocity;
  $("live-limits").innerHTML = [
    `<dt>Status</dt><dd>${esc(limits.agreementStatus)}</dd>`,
    `<dt>Ceiling</dt><dd>${esc(money(lim.ceiling.amount))} <span class="muted">(${esc(lim.ceiling.source)})</span></dd>`,
    `<dt>Velocity</dt><dd>${v ? `${v.used} used of ${v.allowed} per ${v.periodSeconds / 3600} h${v.nextSlotAt ? `, next slot ${esc(when(v.nextSlotAt))}` : ""}` : "no limit"}</dd>`,
    `<dt>Next eligible</dt><dd>${esc(when(lim.nextEligibleAt))}</dd>`,
    `<dt>Reference expires</dt><dd>${esc(when(lim.referenceExpiresAt))}</dd>`,
  ].join("");
  const rows = [...rec.history.attempts].reverse().slice(0, 20).map((a) => {
    const reason = a.decline
      ? `declined ${a.decline.network ?? ""} ${a.decline.code ?? ""}${a.decline.adviceCode ? ` MAC ${a.decline.adviceCode}` : ""} (${a.decline.reason})`
      : a.status === "approved" ? `approved${a.paymentId ? ` as ${a.paymentId}` : ""}` : a.status;
    return `<tr><td>${esc(when(a.at))}</td><td class="num">${esc(money(a.amount))}</td><td><span class="badge ${a.status === "approved" ? "allowed" : "refused"}">${esc(a.status)}</span></td><td>${esc(reason)}</td></tr>`;
  });
  $("live-attempts").querySelector("tbody").innerHTML = rows.join("") || `<tr><td colspan="4" class="muted">no attempt recorded</td></tr>`;
  $("live-detail").classList.remove("hidden");
}

/** The Worker's own decision, now, for the amount in the form: every reason and when to retry. */
async function whyNow() {
  const rec = live.record;
  if (!rec) return;
  const amount = { amount: $("live-amount").value.trim(), currency: rec.agreement.currency };
  const r = await call("POST", "/v1/decisions", {
    reference: rec.agreement.id, customerId: rec.agreement.customerId ?? undefined, amount,
  });
  if (r.status !== 200) return failed("the dry-run decision", r);
  const d = r.json.decision;
  const reasons = d.violations.map((v) => `<li><code>${esc(v.code)}</code> ${esc(v.message)}${v.retryAt ? ` <b>retry at ${esc(when(v.retryAt))}</b>` : ""}</li>`);
  $("live-decision").innerHTML = `<p>A charge of ${esc(money(amount))} now (${esc(when(r.json.now))} UTC) would be <span class="badge ${d.outcome}">${esc(d.outcome)}</span> (HTTP ${d.httpStatus})${d.retryAt ? `; it can be charged again at <b>${esc(when(d.retryAt))}</b>` : ""}.</p>${reasons.length ? `<ul>${reasons.join("")}</ul>` : ""}`;
}

/** Loads the live policy, agreement and history into the simulator and charges at the chosen time. */
function simulate() {
  const rec = live.record;
  if (!rec) return;
  const put = (id, value) => {
    $(id).value = JSON.stringify(value, null, 2);
    $(id).dispatchEvent(new Event("input"));
  };
  put("policy", live.policy ?? {});
  put("agreement", rec.agreement);
  put("history", rec.history);
  $("now").value = new Date($("live-when").value + ":00Z").toISOString().replace(".000Z", "Z");
  $("charge-amount").value = $("live-amount").value.trim();
  $("charge-now").click();
  status(`simulated ${$("live-amount").value.trim()} ${rec.agreement.currency} at ${when($("now").value)} UTC on the live state of ${rec.agreement.id}`);
}

export function setUpLive() {
  const tomorrow = new Date(Date.now() + 86400_000);
  $("live-when").value = `${tomorrow.toISOString().slice(0, 10)}T09:00`;
  $("live-connect").addEventListener("click", connect);
  $("live-read").addEventListener("click", () => readAgreement($("live-agreement-id").value.trim()));
  $("live-find").addEventListener("click", () => findByCustomer($("live-customer").value.trim()));
  $("live-why").addEventListener("click", whyNow);
  $("live-simulate").addEventListener("click", simulate);
}
