// Document 003 end to end over SOAP: its own envelopes (unchanged apart from ids, tokens and, where a
// test says so, one value) posted to GestPay's paths through the Worker, with the sandbox processor
// speaking GestPay's SOAP behind it. Encrypt 01F -> payment page -> Decrypt -> callPagamS2S 01N
// allowed and refused (above authenticationAmount, too early for frequency, after expiry), 03F/03N,
// grandfathered -100, 8026 then refused until a new chain; Faults for bad envelopes, nothing forwarded.
import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { start } from "./harness.mjs";

const POLICY = {
  enabled: true,
  maxCount: 5,
  period: 86400,
  maxMultiple: 3,
  expiration: 2592000,
  maxZeroAuthAmount: { cents: 2000 },
  maxAmountLookback: 2592000,
};
const S2S = "/axerve/gestpay/gestpayws/WSs2s.asmx";
const CRYPT = "/axerve/gestpay/gestpayws/WSCryptDecrypt.asmx";

// Document 003, "Encrypt - 01F", verbatim.
const ENCRYPT_01F = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ecom="https://ecomm.sella.it/">
   <soapenv:Header/>
   <soapenv:Body>
      <ecom:Encrypt>
         <ecom:shopLogin>GESPAY00001</ecom:shopLogin>
         <ecom:uicCode>242</ecom:uicCode>
         <ecom:amount>0</ecom:amount>
         <ecom:shopTransactionId>OrderID_01F_001</ecom:shopTransactionId>
         <ecom:requestToken>MASKEDPAN</ecom:requestToken>
        <ecom:transDetails>
        <ecom:type>01F</ecom:type>
        <ecom:authenticationAmount>10</ecom:authenticationAmount>
        <ecom:recurringTransaction>
            <ecom:expiry>20301225</ecom:expiry>
            <ecom:frequency>14</ecom:frequency>
        </ecom:recurringTransaction>
        </ecom:transDetails>       
         <ecom:apikey></ecom:apikey>
      </ecom:Encrypt>
   </soapenv:Body>
</soapenv:Envelope>`;

// Document 003, "callPagamS2S - 01N", verbatim.
const PAGAM_01N = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ecom="https://ecomms2s.sella.it/">
   <soapenv:Header/>
   <soapenv:Body>
      <ecom:callPagamS2S>
         <ecom:shopLogin>GESPAY00001</ecom:shopLogin>
         <ecom:uicCode>242</ecom:uicCode>
         <ecom:amount>10</ecom:amount>
         <ecom:shopTransactionId>OrderID_01N_001</ecom:shopTransactionId>
         <ecom:tokenValue><!-- Token received in the 01F :--></ecom:tokenValue>  
        <ecom:transDetails>
        <ecom:type>01N</ecom:type>
        <ecom:previousTransDetails>
            <ecom:bankTransactionID><!-- bankTransactionID of the 01F :--></ecom:bankTransactionID>
        </ecom:previousTransDetails>
        </ecom:transDetails>
         <ecom:apikey></ecom:apikey>
      </ecom:callPagamS2S>
   </soapenv:Body>
</soapenv:Envelope>`;

// Document 003, the 03N envelope (headed "Encrypt - 03F" in the document), verbatim.
const PAGAM_03N = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ecom="https://ecomms2s.sella.it/">
   <soapenv:Header/>
   <soapenv:Body>
      <ecom:callPagamS2S>
         <ecom:shopLogin>GESPAY00001</ecom:shopLogin>
         <ecom:uicCode>242</ecom:uicCode>
         <ecom:amount>10</ecom:amount>
         <ecom:shopTransactionId>OrderID_03N_001</ecom:shopTransactionId>
         <ecom:tokenValue><!-- Token received in the 03F :--></ecom:tokenValue>  
        <ecom:transDetails>
        <ecom:type>03N</ecom:type>
        <ecom:previousTransDetails>
            <ecom:bankTransactionID><!-- bankTransactionID of the 03F :--></ecom:bankTransactionID>
        </ecom:previousTransDetails>
        </ecom:transDetails>
         <ecom:apikey></ecom:apikey>
      </ecom:callPagamS2S>
   </soapenv:Body>
</soapenv:Envelope>`;

let h;
let seq = 0;
const uid = (p) => `${p}${Date.now().toString(36)}${(seq += 1)}`;

before(async () => {
  h = await start({ timeoutMs: 1500 });
  const put = await h.call("PUT", "/v1/policy", { body: POLICY });
  assert.equal(put.status, 200, put.text);
});

after(async () => {
  if (h) await h.stop();
});

const soap = (path, action, xml, headers = {}) =>
  h.call("POST", path, { body: xml, headers: { "content-type": "text/xml; charset=utf-8", soapaction: `"${action}"`, ...headers } });
const field = (xml, name) => {
  const m = xml.match(new RegExp(`<${name}>([^<]*)</${name}>`));
  return m ? m[1] : undefined;
};
async function forwarded() {
  const { requests } = await h.sandboxCall("GET", "/__sandbox/requests");
  return requests.filter((r) => r.dialect === "axerve").length;
}
const decision = (r) => JSON.parse(r.headers.get("x-mitgate-decision"));

/** Encrypt (document 003's 01F, or a variant) -> the payment page -> Decrypt: the chain's BTX and token. */
async function chain({ xml = ENCRYPT_01F, card = "4111111111111111", path = CRYPT } = {}) {
  const stid = uid("OrderID_01F_");
  const enc = await soap(path, "https://ecomm.sella.it/Encrypt", xml.replace("OrderID_01F_001", stid));
  assert.equal(enc.status, 200, enc.text);
  assert.equal(field(enc.text, "TransactionResult"), "OK", enc.text);
  assert.equal(enc.headers.get("x-mitgate-pending-chain"), stid);
  // The customer's browser opens GestPay's payment page directly (not through mitgate).
  const page = await fetch(`${h.sandboxUrl}/axerve/pagam/pagam.aspx?a=GESPAY00001&b=${field(enc.text, "CryptDecryptString")}&card=${card}`);
  const { b } = await page.json();
  const dec = await soap(
    path,
    "https://ecomm.sella.it/Decrypt",
    `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ecom="https://ecomm.sella.it/"><soapenv:Body><ecom:Decrypt><ecom:shopLogin>GESPAY00001</ecom:shopLogin><ecom:CryptedString>${b}</ecom:CryptedString><ecom:apikey></ecom:apikey></ecom:Decrypt></soapenv:Body></soapenv:Envelope>`,
  );
  assert.equal(dec.status, 200, dec.text);
  assert.equal(field(dec.text, "ShopTransactionID"), stid);
  const btx = field(dec.text, "BankTransactionID");
  assert.equal(dec.headers.get("x-mitgate-agreement-id"), btx, dec.headers.get("x-mitgate-warning") ?? dec.text);
  return { btx, token: field(dec.text, "TOKEN") };
}

const pagam = (template, c, amount = "10") =>
  template
    .replace(/<!-- Token received in the 0[13]F :-->/, c.token)
    .replace(/<!-- bankTransactionID of the 0[13]F :-->/, c.btx)
    .replace("<ecom:amount>10</ecom:amount>", `<ecom:amount>${amount}</ecom:amount>`)
    .replace(/OrderID_0[13]N_001/, uid("OrderID_0xN_"));
const ACTION = "https://ecomms2s.sella.it/callPagamS2S";

describe("document 003 over SOAP through the Worker", () => {
  test("Encrypt 01F -> Decrypt captures the chain with its authenticationAmount, expiry and frequency", async () => {
    const c = await chain();
    const rec = await h.call("GET", `/v1/agreements/${c.btx}`);
    assert.equal(rec.status, 200, rec.text);
    const a = rec.json.agreement;
    assert.equal(a.type, "recurring");
    assert.equal(a.credential.token, c.token);
    assert.deepEqual(a.terms.maxAmount, { amount: "10.00", currency: "EUR" });
    assert.equal(a.terms.minIntervalDays, 14);
    assert.equal(a.terms.validUntil, "2030-12-25");
  });

  test("01N allowed at authenticationAmount, then too early for frequency (in-band KO, not forwarded)", async () => {
    const c = await chain();
    const before = await forwarded();
    const ok = await soap(S2S, ACTION, pagam(PAGAM_01N, c));
    assert.equal(ok.status, 200, ok.text);
    assert.equal(field(ok.text, "TransactionResult"), "OK", ok.text);
    assert.equal(decision(ok).outcome, "allowed");
    assert.ok(ok.headers.get("x-mitgate-attempt-id"));
    assert.equal(await forwarded(), before + 1);

    const early = await soap(S2S, ACTION, pagam(PAGAM_01N, c));
    assert.equal(early.status, 200, early.text);
    assert.equal(field(early.text, "TransactionType"), "PAGAM");
    assert.equal(field(early.text, "TransactionResult"), "KO");
    assert.equal(field(early.text, "ErrorCode"), "429");
    assert.match(field(early.text, "ErrorDescription"), /previous charge/);
    assert.deepEqual(decision(early).violations.map((v) => v.code), ["interval_too_short"]);
    assert.ok(Number(early.headers.get("retry-after")) > 13 * 86400);
    assert.equal(await forwarded(), before + 1);
  });

  test("a resent callPagamS2S (same shopTransactionId, no Idempotency-Key) is answered from the first, never forwarded twice", async () => {
    const c = await chain();
    const envelope = pagam(PAGAM_01N, c);
    const before = await forwarded();
    const first = await soap(S2S, ACTION, envelope);
    assert.equal(field(first.text, "TransactionResult"), "OK", first.text);
    const again = await soap(S2S, ACTION, envelope);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.headers.get("idempotent-replayed"), "true");
    assert.equal(again.text, first.text);
    assert.equal(await forwarded(), before + 1, "forwarded once");
  });

  test("01N above authenticationAmount is refused in-band and never forwarded", async () => {
    const c = await chain();
    const before = await forwarded();
    const r = await soap(S2S, ACTION, pagam(PAGAM_01N, c, "10.01"));
    assert.equal(r.status, 200, r.text);
    assert.equal(field(r.text, "TransactionResult"), "KO");
    assert.equal(field(r.text, "ErrorCode"), "410");
    assert.ok(decision(r).violations.some((v) => v.code === "amount_above_ceiling"), r.headers.get("x-mitgate-decision"));
    assert.equal(await forwarded(), before);
  });

  test("01N after the chain's expiry is refused", async () => {
    const yesterday = new Date(Date.now() - 86400000).toISOString().slice(0, 10).replace(/-/g, "");
    const c = await chain({ xml: ENCRYPT_01F.replace("20301225", yesterday) });
    const before = await forwarded();
    const r = await soap(S2S, ACTION, pagam(PAGAM_01N, c));
    assert.equal(field(r.text, "TransactionResult"), "KO", r.text);
    assert.ok(decision(r).violations.some((v) => v.code === "agreement_expired"), r.headers.get("x-mitgate-decision"));
    assert.equal(await forwarded(), before);
  });

  test("03F through WsCryptDecrypt's other spelling, then document 003's 03N", async () => {
    const xml03F = ENCRYPT_01F.replace("<ecom:type>01F</ecom:type>", "<ecom:type>03F</ecom:type>").replace("<ecom:frequency>14</ecom:frequency>", "");
    const c = await chain({ xml: xml03F, path: "/axerve/gestpay/GestPayWS/WsCryptDecrypt.asmx" });
    const rec = await h.call("GET", `/v1/agreements/${c.btx}`);
    assert.equal(rec.json.agreement.type, "unscheduled");
    const r = await soap("/axerve/GESTPAY/GestPayWS/wss2s.ASMX", ACTION, pagam(PAGAM_03N, c));
    assert.equal(field(r.text, "TransactionResult"), "OK", r.text);
    // 01N on an unscheduled chain: the wrong MIT type, refused.
    const wrong = await soap(S2S, ACTION, pagam(PAGAM_01N, c));
    assert.equal(field(wrong.text, "TransactionResult"), "KO", wrong.text);
    assert.ok(decision(wrong).violations.some((v) => v.code === "mit_type_mismatch"));
  });

  test("grandfathered -100 finds its chain by tokenValue", async () => {
    const token = uid("TOK-GF-");
    const id = uid("gf-");
    const put = await h.call("PUT", `/v1/agreements/${id}`, {
      body: {
        agreement: {
          id, merchantId: "demo", type: "recurring", currency: "EUR",
          established: { method: "grandfathered", at: "2019-01-01T00:00:00Z" },
          paymentMethod: { type: "card" }, credential: { token },
          consent: { storeCredential: true, merchantInitiated: true },
          terms: { maxAmount: { amount: "10.00", currency: "EUR" } },
        },
        dialect: "axerve",
      },
    });
    assert.equal(put.status, 201, put.text);
    const before = await forwarded();
    const r = await soap(S2S, ACTION, pagam(PAGAM_01N, { token, btx: "-100" }));
    assert.equal(field(r.text, "TransactionResult"), "OK", r.text);
    assert.equal(await forwarded(), before + 1);
    const above = await soap(S2S, ACTION, pagam(PAGAM_01N, { token, btx: "-100" }, "11"));
    assert.equal(field(above.text, "TransactionResult"), "KO", above.text);
    assert.equal(await forwarded(), before + 1);
  });

  test("8026 from GestPay, then mitgate answers 8026 itself until a new chain", async () => {
    const c = await chain({ card: "4000000000008021" });
    const first = await soap(S2S, ACTION, pagam(PAGAM_01N, c));
    assert.equal(field(first.text, "TransactionResult"), "KO", first.text);
    assert.equal(field(first.text, "ErrorCode"), "8026");
    const rec = await h.call("GET", `/v1/agreements/${c.btx}`);
    assert.equal(rec.json.agreement.status, "reauthentication_required", rec.text);
    const before = await forwarded();
    const again = await soap(S2S, ACTION, pagam(PAGAM_01N, c));
    assert.equal(again.status, 200);
    assert.equal(field(again.text, "TransactionResult"), "KO");
    assert.equal(field(again.text, "ErrorCode"), "8026");
    assert.equal(field(again.text, "ErrorDescription"), "Soft decline - Cardholder authentication required");
    assert.equal(decision(again).violations[0].code, "reauthentication_required");
    assert.equal(await forwarded(), before);
    const fresh = await chain();
    const ok = await soap(S2S, ACTION, pagam(PAGAM_01N, fresh));
    assert.equal(field(ok.text, "TransactionResult"), "OK", ok.text);
  });

  test("WSDL: answered from the processor, every soap:address pointing at the proxy", async () => {
    for (const path of [S2S, "/axerve/gestpay/GestPayWS/WsCryptDecrypt.asmx"]) {
      const r = await h.call("GET", `${path}?WSDL`);
      assert.equal(r.status, 200, r.text);
      const locations = [...r.text.matchAll(/<soap:address location="([^"]+)"/g)].map((m) => m[1]);
      assert.deepEqual(locations, [`${h.publicUrl}${path}`]);
      assert.ok(!r.text.includes(h.sandboxUrl));
    }
  });
});

describe("bad envelopes get a SOAP Fault naming the element; nothing is forwarded", () => {
  const cases = [
    ["malformed XML", S2S, ACTION, () => "<soapenv:Envelope xmlns:soapenv=", "Envelope"],
    ["document 003 verbatim (no ids)", S2S, ACTION, () => PAGAM_01N, "callPagamS2S/transDetails/previousTransDetails/bankTransactionID"],
    ["amount not a number", S2S, ACTION, () => pagam(PAGAM_01N, { token: "T", btx: "B" }, "ten"), "callPagamS2S/amount"],
    ["amount missing", S2S, ACTION, () => pagam(PAGAM_01N, { token: "T", btx: "B" }).replace(/<ecom:amount>[^<]*<\/ecom:amount>/, ""), "callPagamS2S/amount"],
    ["an unknown transaction type", S2S, ACTION, () => pagam(PAGAM_01N, { token: "T", btx: "B" }).replace("<ecom:type>01N</ecom:type>", "<ecom:type>01X</ecom:type>"), "callPagamS2S/transDetails/type"],
    ["Encrypt namespace on WSs2s", S2S, ACTION, () => pagam(PAGAM_01N, { token: "T", btx: "B" }).replace("https://ecomms2s.sella.it/", "https://ecomm.sella.it/"), "callPagamS2S"],
    ["SOAPAction of another operation", S2S, "https://ecomms2s.sella.it/callRefundS2S", () => pagam(PAGAM_01N, { token: "T", btx: "B" }), "SOAPAction"],
    ["card number in an MIT", S2S, ACTION, () => pagam(PAGAM_01N, { token: "T", btx: "B" }).replace("<ecom:apikey>", "<ecom:cardNumber>4111111111111111</ecom:cardNumber><ecom:apikey>"), "callPagamS2S/cardNumber"],
    ["an operation that may authorize", S2S, "https://ecomms2s.sella.it/callCheckCartaS2S", () => `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><callCheckCartaS2S xmlns="https://ecomms2s.sella.it/"><shopLogin>GESPAY00001</shopLogin></callCheckCartaS2S></s:Body></s:Envelope>`, "callCheckCartaS2S"],
    ["Encrypt 01F without authenticationAmount", CRYPT, "https://ecomm.sella.it/Encrypt", () => ENCRYPT_01F.replace("<ecom:authenticationAmount>10</ecom:authenticationAmount>", ""), "Encrypt/transDetails/authenticationAmount"],
  ];
  for (const [name, path, action, xml, element] of cases) {
    test(name, async () => {
      const before = await forwarded();
      const r = await soap(path, action, xml());
      assert.equal(r.status, 400, r.text);
      assert.match(r.headers.get("content-type"), /text\/xml/);
      assert.match(r.text, /<faultcode>soap:Client<\/faultcode>/);
      assert.ok(r.text.includes(`element="${element}"`), r.text);
      assert.ok(!r.text.includes("4111111111111111"), "card number echoed");
      assert.equal(await forwarded(), before);
    });
  }
});
