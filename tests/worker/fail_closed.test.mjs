// Fail closed (issue 11 part 3, issue 15 item 7): on a dialect prefix only the routes mitgate knows, spelt
// exactly, reach the processor; every look-alike is 404 in the dialect's words. Redirects are never
// followed, only allowlisted headers are forwarded, and a processor's Set-Cookie is never passed back or
// stored. Every assertion about "reached the processor" reads the sandbox's own request log.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { start } from "./harness.mjs";
import { POLICY5, uid } from "./common.mjs";

let h;

before(async () => {
  h = await start();
  assert.equal((await h.call("PUT", "/v1/policy", { body: POLICY5 })).status, 200);
});

after(async () => {
  if (h) await h.stop();
});

const sandboxLog = async () => (await h.sandboxCall("GET", "/__sandbox/requests")).requests;
const clearLog = () => h.sandboxCall("DELETE", "/__sandbox/requests");

/** One request with its path sent byte for byte (no client-side URL normalisation). */
function raw(method, path, { body, headers = {} } = {}) {
  const url = new URL(h.mitgateUrl);
  const payload = body === undefined || method === "GET" || method === "HEAD" ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          "x-mitgate-key": "sk_test_demo",
          ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
          ...headers,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => {
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
      },
    );
    // The runtime itself may refuse a request line (a NUL, a backslash): nothing reached the Worker.
    req.on("error", (e) => resolve({ status: 0, headers: {}, text: String(e.code || e.message), json: undefined }));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** A Coinflow agreement made through the proxy (document 001's card checkout). */
async function coinflowAgreement() {
  const r = await h.call("POST", "/coinflow/api/checkout/card/merchant-demo", {
    body: { subtotal: { cents: 2500, currency: "USD" }, token: "4111114324324111_bt" },
    headers: { "x-user-id": "customer-123", authorization: "cf-key" },
  });
  assert.equal(r.status, 200, r.text);
  return { paymentId: r.json.paymentId };
}

const MIT_PATH = "/api/checkout/merchant-initiated-transaction";
const mitBody = (paymentId, cents) => ({ subtotal: { cents, currency: "USD" }, originalPaymentId: paymentId, settlementType: "USDC" });

describe("issue 11's look-alikes", () => {
  test("are 404 in Coinflow's words and never reach the processor; the route itself is decided", async () => {
    const a = await coinflowAgreement();
    await clearLog();
    const lookAlikes = [
      "/coinflow/api/checkout/Merchant-Initiated-Transaction",
      "/coinflow/api//checkout/merchant-initiated-transaction",
      "/coinflow/api/checkout/merchant%2Dinitiated-transaction",
    ];
    for (const p of lookAlikes) {
      // 9,000.00 USD as in the issue, and an amount the real route would allow.
      for (const cents of [900000, 1000]) {
        const r = await raw("POST", p, { body: mitBody(a.paymentId, cents), headers: { "x-user-id": "customer-123" } });
        assert.equal(r.status, 404, `${p}: ${r.text}`);
        assert.equal(r.json.message, "Not Found", r.text);
        assert.equal(r.json.mitgate.code, "route_not_found", r.text);
      }
    }
    assert.deepEqual(await sandboxLog(), [], "nothing reached the processor");
    // Positive controls: the exact route refuses 9,000.00 (a decision) and forwards 10.00 once.
    const refused = await raw("POST", `/coinflow${MIT_PATH}`, { body: mitBody(a.paymentId, 900000) });
    assert.equal(refused.status, 410, refused.text);
    assert.equal(refused.json.mitgate.violations[0].code, "amount_above_ceiling");
    const allowed = await raw("POST", `/coinflow${MIT_PATH}`, { body: mitBody(a.paymentId, 1000) });
    assert.equal(allowed.status, 200, allowed.text);
    const log = await sandboxLog();
    assert.equal(log.length, 1);
    assert.equal(log[0].rawPath, `/coinflow${MIT_PATH}`);
  });
});

// Each dialect's money routes with a body that no decision admits (above every ceiling, or an unknown
// reference): whatever a variant of the path becomes, it must not reach the processor undecided.
const MONEY = [
  ["coinflow", "POST", MIT_PATH, () => mitBody("cf_unknown_ref", 900000)],
  ["infinic", "POST", "/api/intents/auto-attempt", () => ({ amount: 900000, currency: "ZAR", reference_id: uid("ref_"), purchaser_id: "customer_123", credentials: ["cred_token_unknown"] })],
  ["spg", "POST", "/api/v2/payments", () => ({ merchant: { terminalId: "11111", channel: "web", merchantTransactionId: uid("CARD-MIT-") }, transaction: { transactionTimestamp: new Date().toISOString(), paymentType: "MIT", paymentMethod: ["CARD"], amount: { value: 9000.0, currency: "EUR" } }, originalTransaction: { id: "txCIT_unknown", datetime: "2026-04-16T10:15:30.000Z" } })],
  ["axerve", "POST", "/api/v1/payment/submit", () => ({ shopLogin: "GESPAY00001", uicCode: "242", amount: "9000", shopTransactionId: uid("OrderID_03N_"), tokenValue: "TOK-unknown", transDetails: { type: "03N", previousTransDetails: { bankTransactionID: "BTX-unknown" } }, apikey: "" })],
];

const pct = (c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0");

/** Path variants a processor might route like `p` (case, percent-encoding, slashes, dot segments, params). */
function variants(p) {
  const out = new Set();
  const segs = p.split("/").slice(1);
  const join = (s) => "/" + s.join("/");
  out.add(p.toUpperCase());
  segs.forEach((s, i) => {
    const t = [...segs];
    t[i] = s[0].toUpperCase() + s.slice(1);
    out.add(join(t));
    const u = [...segs];
    u[i] = `${s};jsessionid=1`;
    out.add(join(u));
    const e = [...segs];
    e[i] = encodeURIComponent(s).replace(/-/g, "%2D");
    if (e[i] !== s) out.add(join(e));
    const d = [...segs];
    d[i] = s.replace(/./g, (c) => pct(c).toUpperCase());
    out.add(join(d));
  });
  for (let i = 1; i < p.length; i++) {
    const c = p[i];
    out.add(p.slice(0, i) + pct(c).toUpperCase() + p.slice(i + 1));
    out.add(p.slice(0, i) + pct(c).toLowerCase() + p.slice(i + 1));
    if (c === "/") {
      out.add(p.slice(0, i) + "//" + p.slice(i + 1));
      out.add(p.slice(0, i) + "/./" + p.slice(i + 1));
      out.add(p.slice(0, i) + "/%2e/" + p.slice(i + 1));
      out.add(p.slice(0, i) + "/x/../" + p.slice(i + 1));
      out.add(p.slice(0, i) + "/x/%2e%2e/" + p.slice(i + 1));
      out.add(p.slice(0, i) + "\\" + p.slice(i + 1));
      out.add(p.slice(0, i) + "%5C" + p.slice(i + 1));
      out.add(p.slice(0, i) + "%2F" + p.slice(i + 1));
    }
    if (c === "-") {
      out.add(p.slice(0, i) + "%252D" + p.slice(i + 1));
      out.add(p.slice(0, i) + "%E2%80%90" + p.slice(i + 1));
    }
  }
  for (const tail of ["/", "//", "/.", "/%2e", "/..", ";", ";a=b", "%00", "%09", "%20", "%3B", "?"]) out.add(p + tail);
  out.add("/" + p);
  out.add("/." + p);
  out.delete(p);
  return [...out];
}

// Document 003 over SOAP 1.1: an MIT envelope (callPagamS2S 03N, above every ceiling, unknown chain).
const soap03N = () =>
  `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ecom="https://ecomms2s.sella.it/"><soapenv:Header/><soapenv:Body><ecom:callPagamS2S><ecom:shopLogin>GESPAY00001</ecom:shopLogin><ecom:uicCode>242</ecom:uicCode><ecom:amount>9000</ecom:amount><ecom:shopTransactionId>${uid("OrderID_03N_")}</ecom:shopTransactionId><ecom:tokenValue>TOK-unknown</ecom:tokenValue><ecom:transDetails><ecom:type>03N</ecom:type><ecom:previousTransDetails><ecom:bankTransactionID>BTX-unknown</ecom:bankTransactionID></ecom:previousTransDetails></ecom:transDetails><ecom:apikey></ecom:apikey></ecom:callPagamS2S></soapenv:Body></soapenv:Envelope>`;
const SOAP_H = { "content-type": "text/xml; charset=utf-8", soapaction: '"https://ecomms2s.sella.it/callPagamS2S"' };

describe("a fuzz-style sweep of path variants", () => {
  test("Axerve's SOAP paths: no variant of WSs2s.asmx reaches the processor with an MIT envelope", async () => {
    await clearLog();
    const statuses = {};
    const paths = variants("/gestpay/gestpayws/WSs2s.asmx");
    for (const v of paths) {
      const r = await raw("POST", `/axerve${v}`, { body: soap03N(), headers: SOAP_H });
      // GestPay's IIS matches paths case-insensitively, so case variants are the route: mitgate decides
      // them (an in-band KO with X-Mitgate-Decision). Everything else is not a route (404).
      const kind = r.status === 0 ? "runtime" : r.json?.mitgate?.code ?? (r.headers["x-mitgate-decision"] ? "decided" : r.text.slice(0, 30));
      statuses[`${r.status} ${kind}`] = (statuses[`${r.status} ${kind}`] ?? 0) + 1;
      if (r.status === 0 || (r.status === 400 && !r.json)) continue;
      assert.ok(kind === "route_not_found" || kind === "decided", `${v}: ${r.status} ${r.text.slice(0, 300)}`);
      if (kind === "decided") assert.match(r.text, /<TransactionResult>KO<\/TransactionResult>/, v);
    }
    const log = await sandboxLog();
    console.log(`# fail-closed SOAP sweep: ${paths.length} variants of /axerve/gestpay/gestpayws/WSs2s.asmx; answers ${JSON.stringify(statuses)}; ${log.length} reached the processor`);
    assert.deepEqual(log.map((q) => `${q.method} ${q.rawPath}`), [], "none reached the sandbox");
  });

  test("no variant of a money route reaches the processor undecided", async () => {
    await clearLog();
    let sent = 0;
    const statuses = {};
    for (const [dialect, method, route, body] of MONEY) {
      for (const v of variants(route)) {
        const r = await raw(method, `/${dialect}${v}`, { body: body() });
        sent += 1;
        const code = r.json && r.json.mitgate ? r.json.mitgate.code ?? r.json.mitgate.violations?.[0]?.code : r.text.slice(0, 40);
        statuses[`${r.status} ${code}`] = (statuses[`${r.status} ${code}`] ?? 0) + 1;
        // Not a route (404 route_not_found); or the runtime normalised it into the route and mitgate decided
        // it (a refusal with mitgate's codes); or the runtime refused the request line before the Worker
        // (status 0: connection closed, or a runtime 400 without mitgate's body).
        if (r.status === 0 || (r.status === 400 && !r.json)) continue;
        assert.ok(r.status >= 400 && r.status < 500, `${dialect} ${v}: ${r.status} ${r.text}`);
        assert.ok(r.json && r.json.mitgate, `${dialect} ${v}: mitgate answered, in the dialect's shape: ${r.text}`);
      }
      // Other methods on the exact route: 405 with Allow (openapi.yaml's contract), never forwarded.
      for (const m of ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
        const r = await raw(m, `/${dialect}${route}`, { body: body() });
        sent += 1;
        assert.equal(r.status, 405, `${m} ${dialect}: ${r.text}`);
        assert.equal(r.headers.allow, "POST", `${m} ${dialect}: Allow`);
        assert.equal(r.json?.error?.code, "method_not_allowed", `${m} ${dialect}: ${r.text}`);
      }
    }
    const log = await sandboxLog();
    console.log(`# fail-closed sweep: ${sent} variants of the four dialects' money routes sent raw; answers ${JSON.stringify(statuses)}; ${log.length} reached the processor`);
    assert.deepEqual(log.map((q) => `${q.method} ${q.rawPath}`), [], "none reached the sandbox");
    assert.ok(sent > 250, `the sweep sent ${sent}`);
  });

  test("variants of the CIT routes: only an exact route ever reaches the processor", async () => {
    await clearLog();
    // A known route as the route table spells it: exact literals, a plain parameter (its case is the
    // processor's business: `Merchant-demo` is another merchant id, not another route).
    const known = /^\/coinflow\/api\/checkout\/(card|zero-authorization)\/[A-Za-z0-9._~-]+$|^\/infinic\/api\/intents$/;
    const cits = [
      ["coinflow", "/api/checkout/card/merchant-demo", { subtotal: { cents: 2500, currency: "USD" }, token: "4111114324324111_bt" }],
      ["coinflow", "/api/checkout/zero-authorization/merchant-demo", { token: "4111114324324111_bt" }],
      ["infinic", "/api/intents", { amount: 10000, currency: "ZAR", reference_id: "ref", purchaser_id: "c", return_url: "https://yoursite.com/callback", allow_remember_credentials: true, request_unscheduled_mit: true }],
    ];
    let sent = 0;
    let notFound = 0;
    for (const [dialect, route, body] of cits) {
      for (const v of variants(route)) {
        const r = await raw("POST", `/${dialect}${v}`, { body: { ...body, reference_id: body.reference_id && uid("ref_") }, headers: { "x-user-id": "customer-123" } });
        sent += 1;
        if (r.status === 404 && r.json?.mitgate?.code === "route_not_found") notFound += 1;
      }
    }
    const log = await sandboxLog();
    console.log(`# fail-closed CIT sweep: ${sent} variants, ${notFound} answered 404 route_not_found, ${log.length} forwarded, each on a known route as spelt (runtime-normalised dot segments, or another {merchantId})`);
    for (const q of log) assert.match(q.rawPath, known, `only known routes reach the processor, not ${q.method} ${q.rawPath}`);
  });
});

describe("forwarding", () => {
  test("a read on the read-only allowlist is forwarded with its query; other methods on it are not", async () => {
    const reference = uid("subscription_init_");
    const cit = await h.call("POST", "/infinic/api/intents", {
      body: { amount: 10000, currency: "ZAR", reference_id: reference, purchaser_id: "customer_123", return_url: "https://yoursite.com/callback", allow_remember_credentials: true, request_unscheduled_mit: true },
      headers: { authorization: "Bearer inf-key" },
    });
    assert.equal(cit.status, 201, cit.text);
    await clearLog();
    const r = await raw("GET", `/infinic/api/intents/${cit.json.id}?iauth=intent_token_1`, { headers: { authorization: "Bearer inf-key" } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, "success");
    const del = await raw("DELETE", `/infinic/api/intents/${cit.json.id}`);
    assert.equal(del.status, 405, del.text);
    assert.equal(del.headers.allow, "GET");
    const log = await sandboxLog();
    assert.deepEqual(log.map((q) => `${q.method} ${q.rawPath}`), [`GET /infinic/api/intents/${cit.json.id}?iauth=intent_token_1`]);
  });

  test("only allowlisted headers reach the processor (Cookie, Forwarded, X-Forwarded-Host, True-Client-IP, X-Mitgate-* never do)", async () => {
    const a = await coinflowAgreement();
    await clearLog();
    const r = await raw("POST", `/coinflow${MIT_PATH}`, {
      body: mitBody(a.paymentId, 1000),
      headers: {
        authorization: "cf-key",
        "x-user-id": "customer-123",
        cookie: "session=abc",
        forwarded: "for=203.0.113.7;host=evil.example",
        "x-forwarded-host": "evil.example",
        "x-forwarded-for": "203.0.113.7",
        "true-client-ip": "203.0.113.7",
        "x-mitgate-test-fault": "none",
        "x-mitgate-token-cvv-verified": "false",
        "x-custom-header": "1",
      },
    });
    assert.equal(r.status, 200, r.text);
    const [seen] = await sandboxLog();
    // What the runtime's fetch adds itself (accept-encoding, cf-*) aside, exactly the allowlist arrives.
    for (const name of ["cookie", "forwarded", "x-forwarded-host", "true-client-ip", "x-mitgate-key", "x-mitgate-test-fault", "x-mitgate-token-cvv-verified", "x-custom-header"]) {
      assert.ok(!seen.headerNames.includes(name), `${name} reached the processor: ${seen.headerNames}`);
    }
    for (const name of ["authorization", "x-user-id", "content-type"]) assert.ok(seen.headerNames.includes(name), `${name} missing: ${seen.headerNames}`);
  });

  test("a processor's redirect is answered, never followed; its Set-Cookie is neither passed back nor stored", async () => {
    const a = await coinflowAgreement();
    await clearLog();
    const target = `${h.sandboxUrl}/coinflow${MIT_PATH}`;
    await h.sandboxCall("POST", "/__sandbox/faults", { redirect: target, redirectStatus: 307, count: 1 });
    const key = uid("idem_");
    const r = await raw("POST", `/coinflow${MIT_PATH}`, { body: mitBody(a.paymentId, 1000), headers: { "idempotency-key": key } });
    assert.equal(r.status, 307, r.text);
    assert.equal(r.headers.location, target);
    assert.equal(r.headers["set-cookie"], undefined, "the processor's cookie is not passed back");
    const attemptId = r.headers["x-mitgate-attempt-id"];
    assert.ok(attemptId);
    assert.equal((await sandboxLog()).length, 1, "the redirect was not followed");
    const rec = await h.call("GET", `/v1/agreements/${a.paymentId}`);
    assert.equal(rec.json.history.attempts.find((x) => x.id === attemptId).status, "pending", "a redirected charge may have been taken: it stays pending");
    const replay = await raw("POST", `/coinflow${MIT_PATH}`, { body: mitBody(a.paymentId, 1000), headers: { "idempotency-key": key } });
    assert.equal(replay.status, 307);
    assert.equal(replay.headers["idempotent-replayed"], "true");
    assert.equal(replay.headers["set-cookie"], undefined);
    assert.equal((await sandboxLog()).length, 1, "the replay was not forwarded");
    const kv = await h.mf.getKVNamespace("IDEMPOTENCY");
    const { keys } = await kv.list();
    for (const k of keys) assert.ok(!((await kv.get(k.name)) ?? "").includes("sandbox_session"), "no Set-Cookie in an idempotency record");
    // A redirected CIT: answered as is, nothing captured, not followed.
    await clearLog();
    await h.sandboxCall("POST", "/__sandbox/faults", { redirect: `${h.sandboxUrl}/coinflow/api/checkout/card/merchant-demo`, redirectStatus: 308, count: 1 });
    const cit = await raw("POST", "/coinflow/api/checkout/card/merchant-demo", { body: { subtotal: { cents: 2500, currency: "USD" }, token: "4111114324324111_bt" }, headers: { "x-user-id": "customer-123" } });
    assert.equal(cit.status, 308, cit.text);
    assert.equal(cit.headers["x-mitgate-agreement-id"], undefined);
    assert.equal((await sandboxLog()).length, 1);
  });
});
