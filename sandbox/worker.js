// mitgate sandbox processor: one small Worker that speaks the four reference documents' dialects
// (000 Infinic, 001 Coinflow, 002 SPG, 003 Axerve: SOAP at GestPay's paths, mitgate's JSON shape elsewhere)
// so that mitgate can be run and tested end to end with no real processor. It is a test double, not a product: plain JavaScript, no
// build step, state in memory.
//
// It APPROVES every credential, including the documents' own examples (card 4111111111111111, token
// 4111114324324111_bt, cred_token_abc123xyz, TKN123456789), EXCEPT these test credentials, which a CIT
// accepts but whose MITs are answered as below:
//
// | behaviour  | card number      | token                | MIT answer                                                      |
// |------------|------------------|----------------------|-----------------------------------------------------------------|
// | visa_cat1  | 4000000000000119 | tok_test_visa_cat1   | Visa decline 04 "Pick up card" (category 1: never retry)         |
// | visa_cat2  | 4000000000000515 | tok_test_visa_cat2   | Visa decline 51 "Insufficient funds" (category 2)                |
// | mc_mac21   | 5555555555550210 | tok_test_mc_mac21    | Mastercard decline 05 "Do not honor", Merchant Advice Code 21    |
// | soft_8026  | 4000000000008021 | tok_test_soft_8026   | 8026 "Soft decline - Cardholder authentication required"         |
// | expired    | 4000000000000051 | tok_test_expired     | 54 "Expired card" (Infinic failure_reason CardExpired)           |
//
// Where a CIT body carries no card (000 intents, 002 AUTH, 003 01F/03F), send the test card or token in
// the request header `x-sandbox-card`. The ids the sandbox issues (payment ids, transaction ids, tokens)
// carry the behaviour's name, so MITs referencing them behave the same way.
//
// Faults, for timeout and error tests:
//   request headers   x-sandbox-delay-ms: 5000     answer after 5 s
//                     x-sandbox-status: 500        answer 500
//   POST /__sandbox/faults {"delayMs": 5000, "status": 500, "count": 1}   the next `count` processor calls
//   POST /__sandbox/faults {"redirect": "<url>", "redirectStatus": 307}   answer a redirect (with a Set-Cookie)
//   DELETE /__sandbox/faults
// A status fault fails the call unprocessed; a delay fault processes it (money moves) and answers late.
// Inspection: GET /__sandbox/requests (every call it received on any path but /__sandbox/*, with the raw
//             path and query, the header names, card numbers masked), DELETE to clear;
//             GET /__sandbox/webhooks (000 webhook events emitted).
// Webhooks: with WEBHOOK_URL set (e.g. http://127.0.0.1:8787/v1/webhooks/infinic), the 000 events
// (PaymentCredential for each intent, StatusChange for each auto-attempt) are POSTed there with
// `X-Mitgate-Key: WEBHOOK_MITGATE_KEY` (standing in for the merchant's relay), unless the request that
// caused the event carries `x-sandbox-webhook: hold`: then the event is only recorded, and a test relays it
// itself (as it is, or edited) without the sandbox's own delivery racing it.

const TEST_CARDS = {
  "4000000000000119": "visa_cat1",
  "4000000000000515": "visa_cat2",
  "5555555555550210": "mc_mac21",
  "4000000000008021": "soft_8026",
  "4000000000000051": "expired",
};
const BEHAVIOURS = ["visa_cat1", "visa_cat2", "mc_mac21", "soft_8026", "expired"];
const DECLINES = {
  visa_cat1: { network: "visa", code: "04", message: "Pick up card", infinicReason: "CardDeclined" },
  visa_cat2: { network: "visa", code: "51", message: "Insufficient funds", infinicReason: "InsufficientFunds" },
  mc_mac21: { network: "mastercard", code: "05", mac: "21", message: "Do not honor", infinicReason: "CardDeclined" },
  soft_8026: { network: "visa", code: "8026", message: "Soft decline - Cardholder authentication required", infinicReason: "AuthenticationRequired" },
  expired: { network: "visa", code: "54", message: "Expired card", infinicReason: "CardExpired" },
};

const state = { requests: [], webhooks: [], faults: null, seq: 0, intents: new Map() };

const json = (status, body, extra = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...extra } });

const maskCards = (text) => text.replace(/\d{13,19}/g, (d) => d.slice(0, 6) + "…" + d.slice(-4));

function behaviourOf(...values) {
  for (const v of values) {
    if (typeof v !== "string") continue;
    if (TEST_CARDS[v.replace(/[\s-]/g, "")]) return TEST_CARDS[v.replace(/[\s-]/g, "")];
    for (const b of BEHAVIOURS) if (v.includes(b)) return b;
  }
  return null;
}

function newId(prefix, behaviour) {
  state.seq += 1;
  const id = `${prefix}${crypto.randomUUID().slice(0, 8)}${String(state.seq).padStart(4, "0")}`;
  return behaviour ? `${id}_${behaviour}` : id;
}

function brandOf(card) {
  const d = (card || "").replace(/\D/g, "");
  if (d.startsWith("4")) return "visa";
  if (/^5[1-5]/.test(d) || /^2[2-7]/.test(d)) return "mastercard";
  if (/^3[47]/.test(d)) return "amex";
  if ((card || "").includes("mc_")) return "mastercard";
  return "visa";
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A status fault fails the call before anything is processed; a delay fault processes it (the charge
// happens) and answers late, like a slow processor.
function faultOf(request) {
  let delay = Number(request.headers.get("x-sandbox-delay-ms") || 0);
  let status = Number(request.headers.get("x-sandbox-status") || 0);
  let redirect = null;
  let redirectStatus = 0;
  if (state.faults && state.faults.count > 0) {
    state.faults.count -= 1;
    delay = delay || Number(state.faults.delayMs || 0);
    status = status || Number(state.faults.status || 0);
    redirect = state.faults.redirect || null;
    redirectStatus = Number(state.faults.redirectStatus || 0);
    if (state.faults.count <= 0) state.faults = null;
  }
  return { delay, status, redirect, redirectStatus };
}

// ---------------------------------------------------------------- 001 Coinflow
function coinflow(path, body, request) {
  if (path.startsWith("/api/checkout/zero-authorization/") || path.startsWith("/api/checkout/card/")) {
    const b = behaviourOf(body.card && body.card.number, body.token);
    return json(200, { paymentId: newId("cf_", b) });
  }
  if (path === "/api/checkout/merchant-initiated-transaction") {
    const b = behaviourOf(body.originalPaymentId);
    if (b) {
      const d = DECLINES[b];
      return json(402, { message: d.message, declineCode: d.code, merchantAdviceCode: d.mac || null, network: d.network });
    }
    return json(200, { paymentId: newId("cf_mit_", null) });
  }
  return json(404, { message: "Not found" });
}

// ---------------------------------------------------------------- 000 Infinic
function emit(env, ctx, event, request) {
  state.webhooks.push(event);
  if (env.WEBHOOK_URL && request.headers.get("x-sandbox-webhook") !== "hold") {
    ctx.waitUntil(
      fetch(env.WEBHOOK_URL, {
        method: "POST",
        headers: { "content-type": "application/json", "x-mitgate-key": env.WEBHOOK_MITGATE_KEY || "" },
        body: JSON.stringify(event),
      }).catch(() => {}),
    );
  }
}

function infinic(path, body, request, env, ctx) {
  // "Monitoring Payment Status": GET /api/intents/{intent_id}?iauth={intent_token}.
  if (request.method === "GET" && path.startsWith("/api/intents/")) {
    const id = path.slice("/api/intents/".length);
    const status = state.intents.get(id);
    return status ? json(200, { id, status }) : json(404, { detail: "Not found" });
  }
  if (path === "/api/intents") {
    const card = request.headers.get("x-sandbox-card") || "4111111111111111";
    const b = behaviourOf(card);
    const intentId = crypto.randomUUID();
    const event = {
      type: "PaymentCredential",
      created: new Date().toISOString(),
      content: {
        intent_id: intentId,
        reference_id: body.reference_id,
        purchaser_id: body.purchaser_id,
        credential_token: newId("cred_", b),
        display_name: `${brandOf(card) === "mastercard" ? "Mastercard" : "Visa"} ****${card.slice(-4)}`,
        is_mit_compatible: true,
        method: "card",
        brand: brandOf(card),
        card_last4: card.replace(/\D/g, "").slice(-4) || "1111",
        card_expiry: request.headers.get("x-sandbox-card-expiry") || "2030-12",
      },
    };
    emit(env, ctx, event, request);
    state.intents.set(intentId, "success");
    return json(201, {
      id: intentId,
      status: "success",
      amount: body.amount,
      currency: body.currency,
      reference_id: body.reference_id,
      purchaser_id: body.purchaser_id,
    });
  }
  if (path === "/api/intents/auto-attempt") {
    const token = Array.isArray(body.credentials) ? body.credentials[0] : undefined;
    const b = behaviourOf(token);
    const intentId = crypto.randomUUID();
    const d = b ? DECLINES[b] : null;
    state.intents.set(intentId, d ? "failed" : "success");
    const result = d
      ? { intent_id: intentId, intent_status: "failed", failure_reason: d.infinicReason, decline_code: d.code, merchant_advice_code: d.mac || null, network: d.network }
      : { intent_id: intentId, intent_status: "success" };
    // "Auto-payments complete immediately (success or failure). Monitor via webhooks": the StatusChange event.
    emit(env, ctx, {
      type: "StatusChange",
      created: new Date().toISOString(),
      content: {
        intent_id: intentId,
        reference_id: body.reference_id,
        purchaser_id: body.purchaser_id,
        status: d ? "failed" : "success",
        ...(d ? { failure_reason: d.infinicReason, decline_code: d.code, merchant_advice_code: d.mac || null } : {}),
      },
    }, request);
    return json(200, result);
  }
  return json(404, { detail: "Not found" });
}

// ---------------------------------------------------------------- 002 SPG
function spg(path, body, request) {
  if (path !== "/api/v2/payments") return json(404, { returnStatus: { statusCode: "404", statusMsg: "Not found" } });
  const type = body.transaction && body.transaction.paymentType;
  if (type === "AUTH") {
    const b = behaviourOf(request.headers.get("x-sandbox-card"));
    return json(200, {
      returnStatus: { statusCode: "000", statusMsg: "Success" },
      paymentStatus: "Success",
      transactionID: newId("txCIT", b),
      token: { tokenType: "Card", value: newId("TKN", b) },
    });
  }
  if (type === "MIT") {
    const b = behaviourOf(body.originalTransaction && body.originalTransaction.id);
    if (b) {
      const d = DECLINES[b];
      return json(200, {
        returnStatus: { statusCode: "051", statusMsg: d.message },
        paymentStatus: "Declined",
        transactionID: newId("txMIT", null),
        issuerResponseCode: d.code,
        merchantAdviceCode: d.mac || null,
        network: d.network,
      });
    }
    return json(200, {
      returnStatus: { statusCode: "000", statusMsg: "Success" },
      paymentStatus: "Success",
      transactionID: newId("txMIT", null),
      amount: body.transaction.amount,
    });
  }
  return json(400, { returnStatus: { statusCode: "400", statusMsg: "Unknown paymentType" } });
}

// ---------------------------------------------------------------- 003 Axerve (mitgate's JSON shape, an extension)
function axerve(path, body, request) {
  const type = body.transDetails && body.transDetails.type;
  if (type === "01F" || type === "03F") {
    const b = behaviourOf(request.headers.get("x-sandbox-card"), body.tokenValue);
    return json(200, {
      transactionResult: "OK",
      shopTransactionId: body.shopTransactionId,
      bankTransactionID: newId("BTX-", b),
      authorizationCode: "A12345",
      errorCode: "0",
      errorDescription: "Transaction correctly processed",
      token: newId("TOK-", b),
      tokenExpiryMonth: "12",
      tokenExpiryYear: "30",
    });
  }
  if (type === "01N" || type === "03N") {
    const prev = body.transDetails.previousTransDetails || {};
    const b = behaviourOf(String(prev.bankTransactionID ?? ""), body.tokenValue);
    if (b) {
      const d = DECLINES[b];
      return json(200, {
        transactionResult: "KO",
        shopTransactionId: body.shopTransactionId,
        bankTransactionID: newId("BTX-", null),
        errorCode: d.code,
        errorDescription: d.message,
        merchantAdviceCode: d.mac || null,
        network: d.network,
      });
    }
    return json(200, {
      transactionResult: "OK",
      shopTransactionId: body.shopTransactionId,
      bankTransactionID: newId("BTX-", null),
      authorizationCode: "A67890",
      errorCode: "0",
      errorDescription: "Transaction correctly processed",
    });
  }
  return json(400, { transactionResult: "KO", errorCode: "1", errorDescription: "Unknown transaction type" });
}


// ---------------------------------------------------------------- 003 Axerve over SOAP (GestPay's wire format)
// GestPay's two SOAP 1.1 services at their own paths (IIS: matched case-insensitively):
//   /axerve/gestpay/gestpayws/WSs2s.asmx          callPagamS2S (+ GET ?WSDL)
//   /axerve/gestpay/gestpayws/WSCryptDecrypt.asmx Encrypt, Decrypt (+ GET ?WSDL)
// and the payment page a customer's browser opens with Encrypt's string:
//   GET /axerve/pagam/pagam.aspx?a=<shopLogin>&b=<CryptDecryptString>[&card=<test card>]
//   -> {"a", "b": <the result string the page hands the merchant>, "redirect"}: Decrypt(b) reads it.
// The WSDLs follow GestPay's published ones (operation names, parameter names and order, SOAPAction,
// elementFormDefault qualified, `<op>Result` as mixed `any` content holding GestPayS2S or
// GestPayCryptDecrypt); complex parameters mitgate does not read are declared as open content.
// Sources: crates/dialects/src/axerve/soap.rs. This test double reads the few leaf elements it needs
// by local name (it is not an XML parser; mitgate itself parses envelopes with roxmltree).

const NS_S2S = "https://ecomms2s.sella.it/";
const NS_CRYPT = "https://ecomm.sella.it/";
const SOAP_PATHS = { "/gestpay/gestpayws/wss2s.asmx": "WSs2s", "/gestpay/gestpayws/wscryptdecrypt.asmx": "WSCryptDecrypt" };
const payPages = new Map(); // CryptDecryptString -> Encrypt's fields
const pageResults = new Map(); // result string -> GestPayCryptDecrypt fields

const xmlEscape = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]);
const xmlUnescape = (s) => s.replace(/&(lt|gt|quot|apos|amp);/g, (_, e) => ({ lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" })[e]);
function leaf(xml, name) {
  const m = xml.replace(/<!--[\s\S]*?-->/g, "").match(new RegExp(`<(?:[\\w.-]+:)?${name}(?:\\s[^>]*)?(?:/>|>([^<]*)</(?:[\\w.-]+:)?${name}>)`));
  return m ? xmlUnescape((m[1] ?? "").trim()) : undefined;
}
const soapXml = (status, body) =>
  new Response(`<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>${body}</soap:Body></soap:Envelope>`, { status, headers: { "content-type": "text/xml; charset=utf-8" } });
const soapFault = (message) => soapXml(500, `<soap:Fault><faultcode>soap:Client</faultcode><faultstring>${xmlEscape(message)}</faultstring><detail /></soap:Fault>`);
const fields = (obj) => Object.entries(obj).filter(([, v]) => v !== undefined).map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`).join("");
const gestPayS2S = (f) => soapXml(200, `<callPagamS2SResponse xmlns="${NS_S2S}"><callPagamS2SResult><GestPayS2S xmlns="">${fields(f)}</GestPayS2S></callPagamS2SResult></callPagamS2SResponse>`);
const cryptDecrypt = (op, f) => soapXml(200, `<${op}Response xmlns="${NS_CRYPT}"><${op}Result><GestPayCryptDecrypt xmlns="">${fields(f)}</GestPayCryptDecrypt></${op}Result></${op}Response>`);

function pagamS2S(xml, request) {
  const type = leaf(xml, "type");
  const base = { TransactionType: "PAGAM", ShopTransactionID: leaf(xml, "shopTransactionId"), Currency: leaf(xml, "uicCode"), Amount: leaf(xml, "amount") };
  if (type === "01N" || type === "03N") {
    const b = behaviourOf(leaf(xml, "bankTransactionID"), leaf(xml, "tokenValue"));
    if (b) {
      const d = DECLINES[b];
      return gestPayS2S({ ...base, TransactionResult: "KO", BankTransactionID: newId("", null).replace(/\D/g, "").slice(0, 9), ErrorCode: d.code, ErrorDescription: d.message });
    }
    return gestPayS2S({ ...base, TransactionResult: "OK", BankTransactionID: newId("BTX-", null), AuthorizationCode: "A67890", ErrorCode: "0", ErrorDescription: "Transazione correttamente effettuata", TOKEN: leaf(xml, "requestToken") ? leaf(xml, "tokenValue") : undefined });
  }
  const card = leaf(xml, "cardNumber");
  const b = behaviourOf(request.headers.get("x-sandbox-card"), card, leaf(xml, "tokenValue"));
  return gestPayS2S({ ...base, TransactionResult: "OK", BankTransactionID: newId("BTX-", b), AuthorizationCode: "A12345", ErrorCode: "0", ErrorDescription: "Transazione correttamente effettuata", TOKEN: leaf(xml, "requestToken") ? newId("TOK-", b) : undefined, TokenExpiryMonth: leaf(xml, "requestToken") ? leaf(xml, "expiryMonth") || "12" : undefined, TokenExpiryYear: leaf(xml, "requestToken") ? leaf(xml, "expiryYear") || "30" : undefined });
}

function encrypt(xml, request) {
  const crypted = newId("ENC", null).replace(/-/g, "");
  payPages.set(crypted, { shopLogin: leaf(xml, "shopLogin"), uicCode: leaf(xml, "uicCode"), amount: leaf(xml, "amount"), shopTransactionId: leaf(xml, "shopTransactionId"), requestToken: leaf(xml, "requestToken"), card: request.headers.get("x-sandbox-card") });
  return cryptDecrypt("Encrypt", { TransactionType: "ENCRYPT", TransactionResult: "OK", CryptDecryptString: crypted, ErrorCode: "0", ErrorDescription: "" });
}

function decrypt(xml) {
  const r = pageResults.get(leaf(xml, "CryptedString") || "");
  if (!r) return cryptDecrypt("Decrypt", { TransactionType: "DECRYPT", TransactionResult: "KO", ErrorCode: "1142", ErrorDescription: "Invalid crypted string" });
  return cryptDecrypt("Decrypt", { TransactionType: "DECRYPT", ...r });
}

// The payment page: the customer pays (3-D Secure passed) and is sent back to the merchant with `b`.
function payPage(url) {
  const page = payPages.get(url.searchParams.get("b") || "");
  if (!page || page.shopLogin !== url.searchParams.get("a")) return json(404, { error: "unknown payment page" });
  const b = behaviourOf(url.searchParams.get("card"), page.card);
  const result = newId("RES", null).replace(/-/g, "");
  pageResults.set(result, {
    TransactionResult: "OK",
    ShopTransactionID: page.shopTransactionId,
    BankTransactionID: newId("BTX-", b),
    AuthorizationCode: "A24680",
    Currency: page.uicCode,
    Amount: page.amount,
    ErrorCode: "0",
    ErrorDescription: "Transazione correttamente effettuata",
    TOKEN: page.requestToken ? newId("TOK-", b) : undefined,
    TokenExpiryMonth: page.requestToken ? "12" : undefined,
    TokenExpiryYear: page.requestToken ? "30" : undefined,
  });
  return json(200, { a: page.shopLogin, b: result, redirect: `/?a=${encodeURIComponent(page.shopLogin)}&b=${result}` });
}

function axerveSoap(service, request, text, url) {
  if (request.method === "GET" && url.search.toLowerCase() === "?wsdl") {
    const location = `${url.origin}${url.pathname}`;
    return new Response(service === "WSs2s" ? wsdlS2S(location) : wsdlCrypt(location), { headers: { "content-type": "text/xml; charset=utf-8" } });
  }
  if (request.method !== "POST") return soapFault("Only POST (and GET ?WSDL)");
  const ns = service === "WSs2s" ? NS_S2S : NS_CRYPT;
  const action = (request.headers.get("soapaction") || "").replace(/"/g, "");
  if (!action.startsWith(ns)) return soapFault(`Server did not recognize the value of HTTP Header SOAPAction: ${action}.`);
  const op = action.slice(ns.length);
  if (!new RegExp(`<(?:[\\w.-]+:)?${op}[\\s>/]`).test(text)) return soapFault(`The body is not a ${op} call`);
  if (service === "WSs2s" && op === "callPagamS2S") return pagamS2S(text, request);
  if (service === "WSCryptDecrypt" && op === "Encrypt") return encrypt(text, request);
  if (service === "WSCryptDecrypt" && op === "Decrypt") return decrypt(text);
  return soapFault(`Server did not recognize the value of HTTP Header SOAPAction: ${action}.`);
}

// WSDL pieces: a parameter list (name, type) -> a qualified sequence.
const seq = (params) => params.map(([n, t, req]) => `<s:element minOccurs="${req ? 1 : 0}" maxOccurs="1" name="${n}"${req ? ' nillable="true"' : ""} type="${t}"/>`).join("");
const mixedResult = (name) => `<s:element minOccurs="0" maxOccurs="1" name="${name}"><s:complexType mixed="true"><s:sequence><s:any/></s:sequence></s:complexType></s:element>`;
const open = `<s:complexType name="OpenContent"><s:sequence><s:any minOccurs="0" maxOccurs="unbounded" processContents="lax"/></s:sequence></s:complexType>`;
const transDetailsTypes = `<s:complexType name="TransDetails"><s:sequence>${seq([["type", "s:string"], ["authenticationAmount", "s:string"], ["threeDSAuthResult", "tns:OpenContent"], ["threeDsContainer", "tns:OpenContent"], ["recurringTransaction", "tns:RecurringTransaction"], ["previousTransDetails", "tns:PreviousTransDetails"]])}</s:sequence></s:complexType>`
  + `<s:complexType name="RecurringTransaction"><s:sequence>${seq([["installNo", "s:string"], ["expiry", "s:string"], ["frequency", "s:string"]])}</s:sequence></s:complexType>`
  + `<s:complexType name="PreviousTransDetails"><s:sequence>${seq([["authData", "s:string"], ["authMethod", "s:string"], ["authTimestamp", "s:string"], ["acsID", "s:string"], ["bankTransactionID", "s:string"], ["XID", "s:string"]])}</s:sequence></s:complexType>`;
const REQUIRED4 = [["shopLogin", "s:string", true], ["uicCode", "s:string", true], ["amount", "s:string", true], ["shopTransactionId", "s:string", true]];
const PAGAM_PARAMS = [...REQUIRED4, ...["cardNumber", "expiryMonth", "expiryYear", "buyerName", "buyerEmail", "languageId", "cvv", "cof", "min", "transKey", "PARes", "customInfo", "IDEA", "requestToken", "tokenValue", "executionDate", "clientIP", "itemType", "recurrent", "subMerchantId", "ppSellerProtection"].map((n) => [n, "s:string"]),
  ...["paymentTypes", "paymentDeviceDetails", "shippingDetails"].map((n) => [n, "tns:OpenContent"]), ["redFraudPrevention", "s:string"],
  ...["Red_CustomerInfo", "Red_ShippingInfo", "Red_BillingInfo", "Red_CustomerData", "Red_CustomInfo", "Red_Items", "applePay", "cardReaderPayments", "googlePay", "OrderDetails"].map((n) => [n, "tns:OpenContent"]),
  ["apikey", "s:string"], ["transDetails", "tns:TransDetails"], ["marketPlace", "tns:OpenContent"]];
const ENCRYPT_PARAMS = [...REQUIRED4, ...["cardNumber", "expiryMonth", "expiryYear", "buyerName", "buyerEmail", "languageId", "cvv", "customInfo", "requestToken", "ppSellerProtection"].map((n) => [n, "s:string"]),
  ...["shippingDetails", "paymentTypes", "paymentTypeDetail"].map((n) => [n, "tns:OpenContent"]), ["redFraudPrevention", "s:string"],
  ...["Red_CustomerInfo", "Red_ShippingInfo", "Red_BillingInfo", "Red_CustomerData", "Red_CustomInfo", "Red_Items"].map((n) => [n, "tns:OpenContent"]), ["Consel_MerchantPro", "s:string"], ["Consel_CustomerInfo", "tns:OpenContent"],
  ["payPalBillingAgreementDescription", "s:string"], ["OrderDetails", "tns:OpenContent"], ["apikey", "s:string"], ["transDetails", "tns:TransDetails"]];
function wsdl(ns, service, ops, types, location) {
  const elements = ops.map(([op, params]) => `<s:element name="${op}"><s:complexType><s:sequence>${seq(params)}</s:sequence></s:complexType></s:element><s:element name="${op}Response"><s:complexType><s:sequence>${mixedResult(`${op}Result`)}</s:sequence></s:complexType></s:element>`).join("");
  const messages = ops.map(([op]) => `<wsdl:message name="${op}SoapIn"><wsdl:part name="parameters" element="tns:${op}"/></wsdl:message><wsdl:message name="${op}SoapOut"><wsdl:part name="parameters" element="tns:${op}Response"/></wsdl:message>`).join("");
  const portOps = ops.map(([op]) => `<wsdl:operation name="${op}"><wsdl:input message="tns:${op}SoapIn"/><wsdl:output message="tns:${op}SoapOut"/></wsdl:operation>`).join("");
  const bindOps = ops.map(([op]) => `<wsdl:operation name="${op}"><soap:operation soapAction="${ns}${op}" style="document"/><wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>`).join("");
  return `<?xml version="1.0" encoding="utf-8"?><wsdl:definitions xmlns:s="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tns="${ns}" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" targetNamespace="${ns}">`
    + `<wsdl:types><s:schema elementFormDefault="qualified" targetNamespace="${ns}">${elements}${types}${open}</s:schema></wsdl:types>${messages}`
    + `<wsdl:portType name="${service}Soap">${portOps}</wsdl:portType><wsdl:binding name="${service}Soap" type="tns:${service}Soap"><soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>${bindOps}</wsdl:binding>`
    + `<wsdl:service name="${service}"><wsdl:port name="${service}Soap" binding="tns:${service}Soap"><soap:address location="${xmlEscape(location)}"/></wsdl:port></wsdl:service></wsdl:definitions>`;
}
const wsdlS2S = (location) => wsdl(NS_S2S, "WSs2s", [["callPagamS2S", PAGAM_PARAMS]], transDetailsTypes, location);
const wsdlCrypt = (location) => wsdl(NS_CRYPT, "WSCryptDecrypt", [["Encrypt", ENCRYPT_PARAMS], ["Decrypt", [["shopLogin", "s:string"], ["CryptedString", "s:string"], ["apikey", "s:string"]]]], transDetailsTypes, location);

const DIALECTS = { coinflow, infinic, spg, axerve };

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/") {
      return json(200, { service: "mitgate sandbox processor", dialects: Object.keys(DIALECTS), testCards: TEST_CARDS });
    }
    if (url.pathname === "/__sandbox/requests") {
      if (request.method === "DELETE") state.requests = [];
      return json(200, { requests: state.requests });
    }
    if (url.pathname === "/__sandbox/webhooks") {
      if (request.method === "DELETE") state.webhooks = [];
      return json(200, { webhooks: state.webhooks });
    }
    if (url.pathname === "/__sandbox/faults") {
      if (request.method === "DELETE") state.faults = null;
      else if (request.method === "POST") state.faults = { count: 1, ...(await request.json()) };
      return json(200, { faults: state.faults });
    }
    const [, dialect, ...rest] = url.pathname.split("/");
    const handler = DIALECTS[dialect];
    const path = "/" + rest.join("/").replace(/\/$/, "");
    const text = await request.text();
    // Every call is logged, known path or not (the fail-closed tests assert that none arrived).
    state.requests.push({
      dialect,
      method: request.method,
      path,
      rawPath: url.pathname + url.search,
      headerNames: [...request.headers.keys()].sort(),
      authorization: request.headers.get("authorization"),
      idempotencyKey: request.headers.get("idempotency-key"),
      mitgateKeySeen: request.headers.has("x-mitgate-key"),
      body: maskCards(text),
      at: new Date().toISOString(),
    });
    if (!handler) return json(404, { error: "unknown dialect", dialects: Object.keys(DIALECTS) });
    const fault = faultOf(request);
    if (fault.redirect) {
      // A processor that redirects (mitgate must not follow: the charge would be sent again).
      return new Response(null, { status: fault.redirectStatus || 307, headers: { location: fault.redirect, "set-cookie": "sandbox_session=redirect; Path=/" } });
    }
    if (fault.status >= 400) return json(fault.status, { error: "sandbox fault", status: fault.status });
    const soapService = dialect === "axerve" && SOAP_PATHS[path.toLowerCase()];
    if (soapService) {
      const response = axerveSoap(soapService, request, text, url);
      if (fault.delay > 0) await sleep(fault.delay);
      return response;
    }
    if (dialect === "axerve" && path.toLowerCase() === "/pagam/pagam.aspx") return payPage(url);
    let body = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      return json(400, { error: "malformed JSON" });
    }
    // Every document's body is a JSON object; anything else is a 400, as a processor answers it.
    if (body === null || typeof body !== "object" || Array.isArray(body)) return json(400, { error: "the body must be a JSON object" });
    const response = handler(path, body, request, env, ctx);
    if (fault.delay > 0) await sleep(fault.delay);
    return response;
  },
};
