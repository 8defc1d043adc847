// The per-request log line and `MITGATE_REQUEST_LOG` (docs/worker.md, "Logs"): by default every request is
// logged, one line under its request id; with `errors` only answers of 400 and above and in-band refusals
// (Axerve over SOAP answers a refusal 200, its decision in `X-Mitgate-Decision`), and the details of a
// failure (here, a processor not reached) are logged in either mode.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { start } from "./harness.mjs";
import { POLICY5, canonicalAgreement, uid } from "./common.mjs";

const PAGAM_UNKNOWN_CHAIN = (btx) => `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ecom="https://ecomms2s.sella.it/">
   <soapenv:Body>
      <ecom:callPagamS2S>
         <ecom:shopLogin>GESPAY00001</ecom:shopLogin>
         <ecom:uicCode>242</ecom:uicCode>
         <ecom:amount>10</ecom:amount>
         <ecom:shopTransactionId>${uid("OrderID_")}</ecom:shopTransactionId>
         <ecom:tokenValue>TOKEN${uid("")}</ecom:tokenValue>
         <ecom:transDetails><ecom:type>01N</ecom:type><ecom:previousTransDetails><ecom:bankTransactionID>${btx}</ecom:bankTransactionID></ecom:previousTransDetails></ecom:transDetails>
         <ecom:apikey></ecom:apikey>
      </ecom:callPagamS2S>
   </soapenv:Body>
</soapenv:Envelope>`;

// Every kind of answer the test makes, on a Worker started with `vars`: [what, status, answer].
async function answers(h) {
  assert.equal((await h.call("PUT", "/v1/policy", { body: POLICY5 })).status, 200);
  const id = uid("agr_");
  assert.equal((await h.call("PUT", `/v1/agreements/${id}`, { body: canonicalAgreement(id) })).status, 201);
  const charge = (amount) => ({ reference: id, amount: { amount, currency: "USD" } });
  const out = [
    ["an allowed dry run", 200, await h.call("POST", "/v1/decisions", { body: charge("1.00") })],
    ["a refused dry run (a refusal is data)", 200, await h.call("POST", "/v1/decisions", { body: charge("100.00") })],
    ["a refused charge", 410, await h.call("POST", "/v1/charges", { body: charge("100.00") })],
    ["an unknown path", 404, await h.call("GET", "/v1/nothing-here")],
    ["a store failure", 503, await h.call("POST", "/v1/charges", { body: charge("1.00"), headers: { "x-mitgate-test-fault": "kv" } })],
    ["a processor not reached", 502, await h.call("POST", "/v1/charges", { body: charge("1.00") })],
    [
      "an in-band SOAP refusal",
      200,
      await h.call("POST", "/axerve/gestpay/gestpayws/WSs2s.asmx", {
        body: PAGAM_UNKNOWN_CHAIN(uid("9")),
        headers: { "content-type": "text/xml; charset=utf-8", soapaction: '"https://ecomms2s.sella.it/callPagamS2S"' },
      }),
    ],
  ];
  for (const [what, status, r] of out) assert.equal(r.status, status, `${what}: ${r.text}`);
  const soapRefusal = out.at(-1)[2];
  assert.equal(JSON.parse(soapRefusal.headers.get("x-mitgate-decision")).outcome, "refused", soapRefusal.text);
  // The runtime's stdout reaches the harness asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const logs = h.logs.join("");
  const line = (r) => logs.split("\n").find((l) => l.includes(`${r.headers.get("x-mitgate-request-id")} `) && l.includes(" -> "));
  return { out, logs, line };
}

describe("the request log", () => {
  let all;
  let errors;
  before(async () => {
    // Coinflow (the canonical agreement's processor) unreachable: a charge's failure details are logged.
    const urls = { coinflow: "http://127.0.0.1:9" };
    [all, errors] = await Promise.all([start({ urls }), start({ urls, vars: { MITGATE_REQUEST_LOG: "errors" } })]);
  });
  after(async () => {
    await Promise.all([all?.stop(), errors?.stop()]);
  });

  test("default: one line per request, under its request id, with method, path, status and merchant", async () => {
    const { out, line } = await answers(all);
    for (const [what, status, r] of out) {
      const l = line(r);
      assert.ok(l, `${what}: no log line`);
      assert.match(l, new RegExp(`^req_[0-9a-f-]{36} (GET|POST) /\\S+ -> ${status} merchant=(demo|-)$`), `${what}: ${l}`);
    }
  });

  test("errors: only answers of 400 and above and in-band refusals; failure details still logged", async () => {
    const { out, logs, line } = await answers(errors);
    for (const [what, status, r] of out) {
      const logged = status >= 400 || what === "an in-band SOAP refusal";
      assert.equal(Boolean(line(r)), logged, `${what}: ${logged ? "no log line" : `logged: ${line(r)}`}`);
    }
    const failure = out.find(([what]) => what === "a processor not reached")[2];
    assert.match(logs, new RegExp(`${failure.headers.get("x-mitgate-request-id")} processor (not reached|connection failed): `));
  });
});
