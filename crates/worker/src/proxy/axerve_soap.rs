//! Axerve over SOAP at GestPay's own paths: `/axerve/gestpay/gestpayws/WSs2s.asmx` and
//! `/axerve/gestpay/gestpayws/WSCryptDecrypt.asmx` (matched ASCII case-insensitively, as IIS does).
//! `mitgate_dialects::axerve::soap` reads the envelopes and writes the answers; this module does the
//! I/O around them.
//!
//! - `GET …?WSDL` (any case): the processor's WSDL, every `soap:address` pointed at this proxy, so a
//!   client generated from it (zeep, JAX-WS, .NET, PHP `SoapClient`) posts its calls here.
//! - `callPagamS2S` `01N` / `03N` (and `-100`, found by `tokenValue`): decided. Refused: HTTP 200 and
//!   GestPay's in-band `KO` (`ErrorCode`, `ErrorDescription`; `8026` when the chain needs a new
//!   authentication), the decision in `X-Mitgate-Decision`; nothing is sent. Allowed: reserved,
//!   forwarded byte for byte, the outcome read from GestPay's answer, the decision in
//!   `X-Mitgate-Decision`.
//! - `callPagamS2S` `01F` / `03F` (a server-to-server first payment): forwarded; when GestPay answers
//!   `OK`, the chain is captured (agreement id = its `BankTransactionID`).
//! - `Encrypt` `01F` / `03F`: the chain's terms are checked (a Fault names a missing or malformed
//!   element; nothing is forwarded), the call is forwarded, and when GestPay answers `OK` the terms are
//!   kept for 7 days under the call's `shopTransactionId` (never card data: only the identifiers, amount,
//!   currency and `transDetails` terms).
//! - `Decrypt`: forwarded; when the payment page's result is `OK` and its `ShopTransactionID` has
//!   kept terms, the chain is captured with the result's `BankTransactionID`, `TOKEN` and token expiry.
//! - The read-only or money-returning WSs2s operations of `soap::S2S_PASS_THROUGH` are forwarded; any
//!   other operation, a method other than `POST` (or `GET ?WSDL`), a malformed envelope, a wrong
//!   namespace or `SOAPAction`, a missing element or a wrong type gets a SOAP Fault (HTTP 400) naming
//!   the element, and nothing is forwarded.

use mitgate_core::validate::FieldError;
use mitgate_dialects::axerve::soap::{self, Call, Operation, Service};
use mitgate_dialects::axerve::{self, CitInput};
use mitgate_dialects::{CitContext, DialectId, ParsedMit};
use serde::Serialize;
use serde_json::Value;

use super::capture::answer_capture;
use super::forward::send_through;
use super::mit::{decide, parse_mit, MitAnswer};
use crate::app::{processor_base, App, Outbound, Processor};
use crate::error::ErrorCode;
use crate::http::{HttpRequest, HttpResponse};
use crate::store::indexes::PENDING_CIT;
use crate::store::Kv;

/// The request to the processor: the path as decided, the allowlisted headers (`SOAPAction` among
/// them), the body byte for byte, no query string.
fn outbound<K, P>(app: &App<'_, K, P>, base: &str, path: &str, req: &HttpRequest) -> Outbound {
    super::forward::outbound(base, path, req, DialectId::Axerve, app.config.sandbox_headers)
}

fn fault(errors: &[FieldError]) -> HttpResponse {
    HttpResponse::from(soap::render_fault(errors))
}

/// Errors of the JSON-shape readers, renamed to element paths (`amount` → `callPagamS2S/amount`).
fn fault_at(call: &Call, errors: &[FieldError]) -> HttpResponse {
    let mapped: Vec<FieldError> = errors
        .iter()
        .map(|e| {
            let path = e.path.strip_prefix("request.").unwrap_or(&e.path);
            FieldError::new(call.element_path(path), e.message.clone())
        })
        .collect();
    fault(&mapped)
}

/// The key under which an `Encrypt`'s chain terms wait for the payment page's result.
fn pending_key(shop_transaction_id: &str) -> String {
    format!("axerve-encrypt/{shop_transaction_id}")
}

/// What a request to a GestPay SOAP service path comes to.
pub(crate) enum Step {
    /// Answered here (a Fault, a WSDL, a forwarded CIT or pass-through operation).
    Answered(HttpResponse),
    /// A `callPagamS2S` `01N` / `03N`: decided by [`mit`] under the proxy's idempotency, as every MIT is.
    Mit(Box<Call>),
}

/// Handles one request to a GestPay SOAP service path (`path`: the processor path, a known SOAP route).
pub(crate) async fn route<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    path: &str,
    req: &HttpRequest,
) -> Step {
    let (Some(service), Ok(base)) = (Service::at(path), processor_base(app.config, DialectId::Axerve)) else {
        return Step::Answered(super::routes::not_found(DialectId::Axerve, &req.method));
    };
    match handle(app, merchant, service, base, path, req).await {
        Ok(call) => Step::Mit(Box::new(call)),
        Err(r) => Step::Answered(r),
    }
}

/// `Ok`: an MIT to decide; `Err`: the answer.
async fn handle<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    service: Service,
    base: &str,
    path: &str,
    req: &HttpRequest,
) -> Result<Call, HttpResponse> {
    let then = match req.method.as_str() {
        "GET" if req.query.eq_ignore_ascii_case("wsdl") => Then::Wsdl,
        "POST" if req.query.is_empty() => match read(service, merchant, app.now, req)? {
            Read::Mit(call) => return Ok(*call),
            Read::Forward(then) => then,
        },
        "POST" => {
            return Err(fault(&[FieldError::new(
                "query",
                "mitgate forwards no query string on a payment route: send every field in the envelope",
            )]))
        }
        m => {
            let mut r = fault(&[FieldError::new(
                "",
                format!(
                    "{} is not accepted here: GestPay's services take POST with a SOAP envelope, or GET ?WSDL",
                    if m == "GET" { "GET without ?WSDL" } else { "this method" }
                ),
            )]);
            r.status = 405;
            return Err(r.with_header("allow", "GET, POST"));
        }
    };
    Err(forward(app, merchant, base, path, req, then).await)
}

/// What to do with GestPay's answer to a forwarded request.
enum Then {
    /// Nothing: it is the answer.
    Nothing,
    /// Point the WSDL's addresses at the proxy.
    Wsdl,
    /// An `Encrypt` `01F` / `03F` answered `OK`: keep the chain's terms under its `shopTransactionId`.
    KeepTerms { shop_transaction_id: String, terms: String },
    /// A `callPagamS2S` `01F` / `03F` answered `OK`: capture the chain.
    Capture { terms: String },
    /// A `Decrypt` answered `OK`: capture the chain whose terms an `Encrypt` kept.
    Decrypt,
}

enum Read {
    Mit(Box<Call>),
    Forward(Then),
}

/// Reads and checks a posted envelope: an MIT to decide, or what to do once it is forwarded.
fn read(
    service: Service,
    merchant: &str,
    now: mitgate_core::time::Timestamp,
    req: &HttpRequest,
) -> Result<Read, HttpResponse> {
    let Ok(body) = std::str::from_utf8(&req.body) else {
        return Err(fault(&[FieldError::new("Envelope", "the body is not UTF-8 text")]));
    };
    let call = soap::read_call(service, req.header("soapaction"), body).map_err(|e| fault(&e))?;
    let first = matches!(call.trans_type(), Some("01F" | "03F"));
    let then = match service.operation(&call.operation) {
        Operation::Unsupported => {
            return Err(fault(&[FieldError::new(
                call.operation.as_str(),
                "is not accepted through mitgate (it may authorize a charge mitgate does not decide); nothing was forwarded",
            )]))
        }
        Operation::PassThrough => Then::Nothing,
        Operation::Decrypt => Then::Decrypt,
        Operation::CallPagamS2S => match call.trans_type() {
            Some("01N" | "03N") => return Ok(Read::Mit(Box::new(call))),
            Some("01F" | "03F") => Then::Capture { terms: chain_terms(&call) },
            // A payment without an MIT type is customer-initiated (GestPay applies SCA to it).
            None | Some("EC" | "08" | "09" | "NPA") => Then::Nothing,
            Some(_) => {
                return Err(fault_at(
                    &call,
                    &[FieldError::new(
                        "transDetails.type",
                        "must be one of GestPay's types: 01F, 01N, 03F, 03N, 08, 09, EC, NPA",
                    )],
                ))
            }
        },
        Operation::Encrypt if first => {
            let Some(stid) = call.text("shopTransactionId").filter(|s| !s.is_empty()) else {
                return Err(fault_at(
                    &call,
                    &[FieldError::new(
                        "shopTransactionId",
                        "is required: the payment page's result is matched to this chain by it",
                    )],
                ));
            };
            Then::KeepTerms { shop_transaction_id: stid.to_string(), terms: chain_terms(&call) }
        }
        // A payment page without an MIT chain: customer-initiated.
        Operation::Encrypt => Then::Nothing,
    };
    if let Then::KeepTerms { terms, .. } | Then::Capture { terms } = &then {
        check_terms(terms, merchant, now).map_err(|e| fault_at(&call, &e))?;
    }
    Ok(Read::Forward(then))
}

/// Forwards the request (one place for every SOAP pass-through and CIT), then does `then`.
async fn forward<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    base: &str,
    path: &str,
    req: &HttpRequest,
    then: Then,
) -> HttpResponse {
    let mut out = outbound(app, base, path, req);
    if matches!(then, Then::Wsdl) {
        out.url.push('?');
        out.url.push_str(&req.query);
    }
    let resp = match send_through(app, out).await {
        Ok(resp) => resp,
        Err(answer) => return answer,
    };
    let operation = match &then {
        Then::Nothing => return resp,
        Then::Wsdl => return wsdl(base, req, resp),
        Then::KeepTerms { .. } => "Encrypt",
        Then::Capture { .. } => "callPagamS2S",
        Then::Decrypt => "Decrypt",
    };
    let Ok(result) = soap::read_result(&String::from_utf8_lossy(&resp.body), operation) else { return resp };
    if result.fields.get("transactionResult").and_then(|v| v.as_str()) != Some("OK") {
        return resp;
    }
    let terms = match then {
        Then::KeepTerms { shop_transaction_id, terms } => {
            return match app
                .stores
                .link(&PENDING_CIT, merchant, &pending_key(&shop_transaction_id), &terms)
                .await
            {
                Ok(()) => resp.with_header("x-mitgate-pending-chain", shop_transaction_id),
                Err(e) => resp.with_header("x-mitgate-warning", format!("chain terms not recorded: {}", e.0)),
            };
        }
        Then::Capture { terms } => terms,
        Then::Decrypt => {
            let Some(stid) = result.shop_transaction_id.as_deref() else { return resp };
            match app.stores.lookup(&PENDING_CIT, merchant, &pending_key(stid)).await {
                Err(e) => {
                    return resp.with_header("x-mitgate-warning", format!("chain terms not read: {}", e.0))
                }
                Ok(None) => return resp,
                Ok(Some(terms)) => terms,
            }
        }
        Then::Nothing | Then::Wsdl => return resp,
    };
    let headers: Vec<(&str, &str)> = Vec::new();
    let ctx = CitContext { merchant_id: merchant, headers: &headers, at: app.now };
    let json = result.json();
    let captured = axerve::capture_cit(&CitInput { request: &terms, response: &json }, &ctx);
    answer_capture(app, merchant, DialectId::Axerve, resp, captured, &terms).await
}

/// The proxy's own base for this dialect (`https://mitgate.example/axerve`).
fn proxy_base(req: &HttpRequest) -> String {
    let origin = if req.origin.is_empty() {
        format!("https://{}", req.header("host").unwrap_or("localhost"))
    } else {
        req.origin.clone()
    };
    format!("{origin}/{}", DialectId::Axerve.name())
}

/// The processor's WSDL with its addresses pointing at the proxy.
fn wsdl(base: &str, req: &HttpRequest, resp: HttpResponse) -> HttpResponse {
    let text = String::from_utf8_lossy(&resp.body);
    // The path of the processor's base URL (`/axerve` for `http://sandbox/axerve`), not repeated.
    let prefix =
        base.split_once("://").and_then(|(_, rest)| rest.find('/').and_then(|i| rest.get(i..))).unwrap_or("");
    match soap::rewrite_wsdl(&text, &proxy_base(req), prefix) {
        Ok(rewritten) => HttpResponse { body: rewritten.into_bytes(), ..resp },
        Err(e) => HttpResponse::error(ErrorCode::ProcessorWsdlUnreadable, format!("the processor's WSDL could not be read ({e}); it was not passed on with addresses pointing past mitgate"),
        ),
    }
}

/// The identifiers and terms of a first transaction kept for its chain, and nothing else (never card data):
/// these members of the call's parameters when it gives them, written in name order.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ChainTerms<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shop_login: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shop_transaction_id: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_value: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trans_details: Option<TransTerms<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uic_code: Option<&'a Value>,
}

/// `ChainTerms.transDetails`: the MIT type and its terms.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TransTerms<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    authentication_amount: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recurring_transaction: Option<RecurringTerms<'a>>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a Value>,
}

/// `TransTerms.recurringTransaction`.
#[derive(Debug, Serialize)]
struct RecurringTerms<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    expiry: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    frequency: Option<&'a Value>,
}

/// The [`ChainTerms`] of a first transaction, as JSON text (`""` should it not serialize, which
/// [`check_terms`] then refuses).
fn chain_terms(call: &Call) -> String {
    let p = &call.params;
    let details = p.get("transDetails").and_then(Value::as_object);
    let terms = ChainTerms {
        amount: p.get("amount"),
        shop_login: p.get("shopLogin"),
        shop_transaction_id: p.get("shopTransactionId"),
        token_value: p.get("tokenValue"),
        trans_details: details.map(|d| TransTerms {
            authentication_amount: d.get("authenticationAmount"),
            recurring_transaction: d
                .get("recurringTransaction")
                .and_then(Value::as_object)
                .map(|r| RecurringTerms { expiry: r.get("expiry"), frequency: r.get("frequency") }),
            kind: d.get("type"),
        }),
        uic_code: p.get("uicCode"),
    };
    serde_json::to_string(&terms).unwrap_or_default()
}

/// Checks a first transaction's terms before anything is sent (the answer's fields are placeholders).
fn check_terms(
    terms: &str,
    merchant: &str,
    now: mitgate_core::time::Timestamp,
) -> Result<(), Vec<FieldError>> {
    let headers: Vec<(&str, &str)> = Vec::new();
    let ctx = CitContext { merchant_id: merchant, headers: &headers, at: now };
    let placeholder = r#"{"transactionResult": "OK", "bankTransactionID": "check", "token": "check"}"#;
    axerve::capture_cit(&CitInput { request: terms, response: placeholder }, &ctx).map(|_| ())
}

/// Parses a `callPagamS2S` `01N` / `03N` (its SOAP fields as the JSON form's members): the parsed MIT and
/// that JSON, or the Fault naming the element.
pub(crate) fn parse(
    merchant: &str,
    call: &Call,
    req: &HttpRequest,
) -> Result<(ParsedMit, String), HttpResponse> {
    let json = call.json();
    match parse_mit(merchant, &json, req, axerve::parse_mit) {
        Ok(p) => Ok((p, json)),
        Err(errors) => Err(fault_at(call, &errors)),
    }
}

/// Decides a parsed `callPagamS2S` `01N` / `03N` (the proxy runs it under its idempotency key).
#[expect(
    clippy::too_many_arguments,
    reason = "the call, its parse and where it goes, as the JSON dialects' `mit`"
)]
pub(crate) async fn mit<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    call: &Call,
    parsed: ParsedMit,
    json: &str,
    base: &str,
    path: &str,
    req: &HttpRequest,
    taker: Option<&crate::idempotency::KeyTaker>,
) -> HttpResponse {
    let refusal = |d: &mitgate_core::decision::Decision| soap::render_refusal(call, d);
    let answer = MitAnswer { refusal: &refusal, decision_header: true, taker };
    decide(app, merchant, DialectId::Axerve, parsed, outbound(app, base, path, req), json, &answer).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only the chain's terms are kept, in name order at every depth, values as the call gives them.
    #[test]
    fn chain_terms_keep_only_the_terms() {
        let params = serde_json::json!({
            "uicCode": "978", "shopLogin": "GESPAY1", "amount": "10.00", "buyerName": "x",
            "cardNumber": "4111111111111111", "shopTransactionId": "T1", "tokenValue": "TOK",
            "transDetails": {"type": "01F", "cvv": "123", "authenticationAmount": "1.00",
                             "recurringTransaction": {"frequency": "30", "expiry": "20301231", "x": "y"}}
        });
        let params = params.as_object().cloned().unwrap();
        let call = Call { service: Service::WsS2s, operation: "callPagamS2S".into(), params };
        assert_eq!(
            chain_terms(&call),
            r#"{"amount":"10.00","shopLogin":"GESPAY1","shopTransactionId":"T1","tokenValue":"TOK","transDetails":{"authenticationAmount":"1.00","recurringTransaction":{"expiry":"20301231","frequency":"30"},"type":"01F"},"uicCode":"978"}"#
        );
        let bare = Call { params: serde_json::Map::new(), ..call };
        assert_eq!(chain_terms(&bare), "{}");
    }
}
