//! The drop-in dialect proxies `/{infinic,coinflow,spg,axerve}/<processor path>`: a merchant changes
//! only the processor's base URL. `mitgate-dialects` tells CIT from MIT, parses, renders refusals in the
//! processor's words and reads outcomes; this module does the I/O around it.
//!
//! - Fail closed ([`crate::routes`]): only the dialect's known routes, spelt exactly, are forwarded;
//!   anything else is 404 in the dialect's words.
//! - CIT: forwarded; on success the agreement is captured from the request and the answer
//!   (000: from the intent plus its `PaymentCredential` webhook, `POST /v1/webhooks/infinic`).
//! - MIT: parsed, decided; refused in the dialect's own words, or reserved, forwarded, and its outcome
//!   recorded. `Idempotency-Key` makes a replay return the first answer.
//! - A read on the dialect's read-only allowlist: forwarded.
//! - Axerve's SOAP services at GestPay's paths (`…/WSs2s.asmx`, `…/WSCryptDecrypt.asmx`): the envelope's
//!   operation decides ([`axerve_soap`]).
//!
//! Only allowlisted request headers reach the processor ([`routes::forwards_header`]: the processor's
//! own `Authorization` passes; `Cookie`, `X-Mitgate-*` and proxy headers never do), redirects are never
//! followed, and a processor's `Set-Cookie` is neither passed back nor stored. Card numbers and CVVs in
//! CIT bodies reach the processor and nothing else.

use mitgate_dialects::{
    axerve, coinflow, infinic, spg, AgreementLookup, CitCapture, CitContext, MitContext, RequestKind,
};

use mitgate_core::decision::Decision;
use mitgate_core::json::{Kind, Value};

mod axerve_soap;

use crate::dialect::Dialect;
use crate::http::{HttpRequest, HttpResponse};
use crate::routes::{self, RouteKind};
use crate::service::{self, Answer, App, ChargeResult, Finality, Forwarded, Outbound, Processor};
use crate::store::{AgreementRecord, AttemptRef, Kv};
use crate::tree::{member, member_at, text};

/// The request to the processor: the decided path, the query only on read-only routes, the allowlisted
/// headers.
fn outbound(base: &str, path: &str, req: &HttpRequest, dialect: Dialect, sandbox_headers: bool) -> Outbound {
    let mut url = format!("{}{}", base.trim_end_matches('/'), path);
    if !req.query.is_empty()
        && routes::route_of(dialect, &req.method, path).is_some_and(routes::forwards_query)
    {
        url.push('?');
        url.push_str(&req.query);
    }
    Outbound {
        method: req.method.clone(),
        url,
        headers: req
            .headers
            .iter()
            .filter(|(k, _)| routes::forwards_header(dialect, &k.to_ascii_lowercase(), sandbox_headers))
            .cloned()
            .collect(),
        body: req.body.clone(),
    }
}

fn from_dialect(r: mitgate_dialects::DialectResponse) -> HttpResponse {
    HttpResponse { status: r.status, headers: r.headers, body: r.body.into_bytes() }
}

/// When the processor did not answer, there are no words of its own: mitgate's error shape, 502/504.
fn unanswered(forwarded: Forwarded, attempt: Option<&str>) -> HttpResponse {
    let pending = attempt.map(|a| {
        format!(" Attempt {a} stays pending and keeps its velocity slot: it may have been charged.")
    });
    match forwarded {
        Forwarded::Answered(r) => r,
        Forwarded::NotSent(m) => HttpResponse::error(
            502,
            "processor_unreachable",
            format!(
                "{m}. Nothing was sent{}.",
                if attempt.is_some() { "; the velocity slot was released" } else { "" }
            ),
        ),
        Forwarded::TimedOut => HttpResponse::error(
            504,
            "processor_timeout",
            format!("the processor did not answer in time.{}", pending.unwrap_or_default()),
        ),
        Forwarded::Failed(m) => {
            HttpResponse::error(502, "processor_failed", format!("{m}.{}", pending.unwrap_or_default()))
        }
    }
}

/// Handles one proxied request; `req.path` is the whole raw path, `/{dialect}/…`. A processor's
/// `Set-Cookie` never reaches the caller.
pub(crate) async fn handle<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    dialect: Dialect,
    req: &HttpRequest,
) -> HttpResponse {
    let mut r = route_and_answer(app, merchant, dialect, req).await;
    r.headers.retain(|(k, _)| !routes::drops_response_header(k));
    r
}

async fn route_and_answer<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    dialect: Dialect,
    req: &HttpRequest,
) -> HttpResponse {
    let id = dialect.id();
    let path = req.path.strip_prefix('/').and_then(|p| p.strip_prefix(dialect.as_str())).unwrap_or("");
    // INVARIANT: nothing below this line is sent unless `route` is a known route of this dialect.
    let Some(route) = routes::route_of(dialect, &req.method, path) else {
        return routes::not_found(dialect, &req.method);
    };
    let path = path.to_string();
    let soap_mit = match route {
        RouteKind::Soap => match axerve_soap::route(app, merchant, &path, req).await {
            axerve_soap::Step::Answered(r) => return r,
            axerve_soap::Step::Mit(call) => Some(call),
        },
        _ => None,
    };
    if !req.query.is_empty() && !routes::forwards_query(route) {
        return from_dialect(id.render_errors(&[mitgate_core::validate::FieldError::new(
            "query",
            "mitgate forwards no query string on a payment route: send every field in the body",
        )]));
    }
    let base = match service::processor_base(app.config, dialect) {
        Ok(b) => b.to_string(),
        Err(r) => return r,
    };
    let Ok(body) = std::str::from_utf8(&req.body) else {
        return from_dialect(
            id.render_errors(&[mitgate_core::validate::FieldError::new("", "the body is not UTF-8 text")]),
        );
    };
    let sandbox = app.config.sandbox_headers;
    let kind = match route {
        RouteKind::ReadOnly => {
            // A read carries no body: none is forwarded.
            let out = Outbound { body: Vec::new(), ..outbound(&base, &path, req, dialect, sandbox) };
            return unanswered(app.processor.send(out, app.config.processor_timeout_ms).await, None);
        }
        RouteKind::Cit => RequestKind::Cit,
        RouteKind::Mit => RequestKind::Mit,
        RouteKind::Payment => id.classify(&req.method, &path, body),
        // Only a SOAP MIT gets here (`soap_mit`).
        RouteKind::Soap => RequestKind::Mit,
    };
    match kind {
        // A payment endpoint's body that is neither a CIT mitgate captures nor an MIT it decides.
        RequestKind::Other => from_dialect(id.render_errors(&[mitgate_core::validate::FieldError::new(
            match dialect {
                Dialect::Spg => "transaction.paymentType",
                _ => "transDetails.type",
            },
            match dialect {
                Dialect::Spg => "mitgate forwards AUTH (a CIT) and MIT payments only",
                _ => "mitgate forwards 01F / 03F (a CIT) and 01N / 03N (an MIT) only",
            },
        )])),
        RequestKind::Cit => cit(app, merchant, dialect, &base, &path, body, req).await,
        RequestKind::Mit => {
            service::idempotent(app, merchant, req, async {
                let r = match &soap_mit {
                    Some(call) => axerve_soap::mit(app, merchant, call, &base, &path, req).await,
                    None => mit(app, merchant, dialect, &base, &path, body, req).await,
                };
                let finality = match r.header_code() {
                    Some(
                        "processor_unreachable"
                        | "store_unavailable"
                        | "processor_not_configured"
                        | "concurrent_charge"
                        | "reservation_unverified",
                    ) => Finality::Retryable,
                    _ if service::decided_again_later(&r) => Finality::Retryable,
                    _ => Finality::Final,
                };
                (r, finality)
            })
            .await
        }
    }
}

impl HttpResponse {
    /// mitgate's own error code, when this is one of mitgate's error answers.
    fn header_code(&self) -> Option<&'static str> {
        let v = self.body_json()?;
        let code = text(member_at(&v, &["error", "code"])?)?;
        [
            "processor_unreachable",
            "store_unavailable",
            "processor_not_configured",
            "concurrent_charge",
            "reservation_unverified",
        ]
        .into_iter()
        .find(|c| *c == code)
    }
}

fn header_pairs(req: &HttpRequest) -> Vec<(&str, &str)> {
    req.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// What no MIT body may hold whatever its dialect: a key given twice (ambiguous), card data (an MIT
/// charges a stored credential; a card number or CVV in it would be forwarded to the processor).
fn refused_mit_body(body: &str) -> Vec<mitgate_core::validate::FieldError> {
    use mitgate_core::validate::FieldError;
    let mut errors = Vec::new();
    let Ok(value) = mitgate_core::json::parse(body) else { return errors };
    if let Some(path) = crate::tree::duplicate_path(&value) {
        errors.push(FieldError::new(path, "is given more than once"));
    }
    if let Some(path) = card_data_path(&value, &mitgate_core::json::Path::root("")) {
        errors.push(FieldError::new(
            path,
            "card data is never accepted in a merchant-initiated charge: send the stored credential's token",
        ));
    }
    errors
}

/// The path of the first card number, card object or CVV in a JSON value (in document order).
/// INVARIANT: paths are borrowed chains rendered only for the field reported (issue 15, item 9).
fn card_data_path(value: &Value<'_>, path: &mitgate_core::json::Path<'_>) -> Option<String> {
    const CARD_KEYS: &[&str] =
        &["card", "cardnumber", "card_number", "pan", "cvv", "cvc", "cvv2", "securitycode"];
    let card = mitgate_core::pan::looks_like_card_number;
    let render = crate::tree::rendered;
    match &value.kind {
        Kind::Object(entries) => entries.iter().find_map(|(k, v)| {
            let here = path.key(k);
            if CARD_KEYS.contains(&k.to_ascii_lowercase().as_str()) {
                Some(render(&here))
            } else {
                card_data_path(v, &here)
            }
        }),
        Kind::Array(items) => items.iter().enumerate().find_map(|(i, v)| card_data_path(v, &path.index(i))),
        Kind::String(s) => card(s).then(|| render(path)),
        // The number as written, and as a float renders it (`4.111111111111111e15`).
        Kind::Number(n) => {
            (card(n) || crate::tree::number(n).is_some_and(|x| card(&x.to_string()))).then(|| render(path))
        }
        Kind::Null | Kind::Bool(_) => None,
    }
}

/// Binds a token lookup (000, 003 `-100`) to its agreement; a reference lookup is the engine's.
async fn lookup<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    lookup: &AgreementLookup,
) -> Result<Option<mitgate_core::model::Agreement>, HttpResponse> {
    match lookup {
        AgreementLookup::Reference(_) => Ok(None),
        AgreementLookup::CredentialToken(token) => match app.stores.agreement_by_token(merchant, token).await
        {
            Err(e) => Err(service::store_failed(&e)),
            Ok(None) => Ok(None),
            Ok(Some(aid)) => match app.stores.agreement(merchant, &aid).await {
                Err(e) => Err(service::store_failed(&e)),
                Ok(r) => Ok(r.map(|r| r.agreement)),
            },
        },
    }
}

async fn mit<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    dialect: Dialect,
    base: &str,
    path: &str,
    body: &str,
    req: &HttpRequest,
) -> HttpResponse {
    let id = dialect.id();
    let refused = refused_mit_body(body);
    if !refused.is_empty() {
        return from_dialect(id.render_errors(&refused));
    }
    let headers = header_pairs(req);
    let ctx = MitContext { merchant_id: merchant, headers: &headers, notice_sent_at: None };
    let parsed = match id.parse_mit(body, &ctx) {
        Ok(p) => p,
        Err(errors) => return from_dialect(id.render_errors(&errors)),
    };
    let out = outbound(base, path, req, dialect, app.config.sandbox_headers);
    let refusal = |d: &Decision| id.render_refusal(d);
    decide(
        app,
        merchant,
        dialect,
        parsed,
        out,
        body,
        &MitAnswer { refusal: &refusal, decision_header: false },
    )
    .await
}

/// How a decided MIT is answered in its dialect.
struct MitAnswer<'a> {
    /// A refusal in the processor's words.
    refusal: &'a dyn Fn(&Decision) -> Option<mitgate_dialects::DialectResponse>,
    /// Whether a forwarded charge's answer (the processor's, untouched) carries the decision in
    /// `X-Mitgate-Decision` (Axerve over SOAP, whose refusals carry it there too).
    decision_header: bool,
}

/// Decides a parsed MIT: refused in the dialect's words, or reserved, forwarded as `out` and recorded.
/// One function for every dialect and wire format (its futures are large: one copy in the `.wasm`).
async fn decide<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    dialect: Dialect,
    parsed: mitgate_dialects::ParsedMit,
    out: Outbound,
    body: &str,
    answer: &MitAnswer<'_>,
) -> HttpResponse {
    let agreement = match lookup(app, merchant, &parsed.lookup).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let request = parsed.request_for(agreement.as_ref());
    let build = move |_: &AgreementRecord, _: &mitgate_core::model::ChargeRequest, _: &str| {
        Ok((dialect, out.clone()))
    };
    match service::charge(app, merchant, request, &build).await {
        Err(r) => r,
        Ok(ChargeResult::Refused(decision)) => match (answer.refusal)(&decision) {
            Some(r) => from_dialect(r),
            None => HttpResponse::error(500, "internal", "a refused decision could not be rendered"),
        },
        Ok(ChargeResult::Sent(sent)) => {
            let mut r = unanswered(sent.forwarded.clone(), Some(&sent.attempt_id))
                .with_header("x-mitgate-attempt-id", sent.attempt_id.clone());
            if answer.decision_header {
                r = r.with_header(axerve::soap::DECISION_HEADER, axerve::soap::ascii_json(&sent.decision));
            }
            let mut warning = sent.warning.clone();
            if dialect == Dialect::Infinic {
                if let Some(reference) = infinic_reference(body) {
                    if let Err(m) =
                        link_infinic_attempt(app, merchant, &reference, &sent.agreement.id, &sent.attempt_id)
                            .await
                    {
                        warning = Some(m);
                    }
                }
            }
            if let Some(w) = warning {
                r = r.with_header("x-mitgate-warning", w);
            }
            r
        }
    }
}

async fn cit<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    dialect: Dialect,
    base: &str,
    path: &str,
    body: &str,
    req: &HttpRequest,
) -> HttpResponse {
    let out = outbound(base, path, req, dialect, app.config.sandbox_headers);
    let forwarded = app.processor.send(out, app.config.processor_timeout_ms).await;
    let Forwarded::Answered(resp) = forwarded else { return unanswered(forwarded, None) };
    if !(200..300).contains(&resp.status) {
        return resp;
    }
    let answer = String::from_utf8_lossy(&resp.body).into_owned();
    let headers = header_pairs(req);
    let ctx = CitContext { merchant_id: merchant, headers: &headers, at: app.now };
    let captured = match dialect {
        Dialect::Infinic => {
            // The agreement completes with the PaymentCredential webhook; keep the intent until then.
            let kept = infinic_intent_fields(body);
            return match (infinic_reference(body), kept) {
                (Some(reference), Some(kept)) if !mitgate_core::pan::looks_like_card_number(&kept) => {
                    match app.stores.put_pending_cit(merchant, &reference, &kept).await {
                        Ok(()) => resp,
                        Err(e) => {
                            resp.with_header("x-mitgate-warning", format!("intent not recorded: {}", e.0))
                        }
                    }
                }
                _ => resp.with_header("x-mitgate-warning", "intent not recorded: no usable reference_id"),
            };
        }
        Dialect::Coinflow => match coinflow::cit_endpoint(path) {
            None => return resp,
            Some((endpoint, _)) => {
                let token_cvv_verified = req.header("x-mitgate-token-cvv-verified") != Some("false");
                let zero_auth_currency = mitgate_core::Currency::from_code("USD");
                match zero_auth_currency {
                    Err(_) => return resp,
                    Ok(zero_auth_currency) => coinflow::capture_cit(
                        &coinflow::CitInput {
                            endpoint,
                            request: body,
                            response: &answer,
                            zero_auth_currency,
                            token_cvv_verified,
                        },
                        &ctx,
                    ),
                }
            }
        },
        Dialect::Spg => spg::capture_cit(&spg::CitInput { request: body, response: &answer }, &ctx),
        Dialect::Axerve => axerve::capture_cit(&axerve::CitInput { request: body, response: &answer }, &ctx),
    };
    match captured {
        Ok(c) => match store_capture(app, merchant, dialect, c, processor_context(dialect, body)).await {
            Ok((aid, None)) => resp.with_header("x-mitgate-agreement-id", aid),
            Ok((aid, Some(w))) => {
                resp.with_header("x-mitgate-agreement-id", aid).with_header("x-mitgate-warning", w)
            }
            Err(m) => resp.with_header("x-mitgate-warning", format!("agreement not captured: {m}")),
        },
        Err(errors) => {
            let m = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            resp.with_header("x-mitgate-warning", format!("agreement not captured: {m}"))
        }
    }
}

/// The CIT's merchant-side values a canonical `POST /v1/charges` needs to render this dialect's MIT
/// (SPG `merchant.terminalId`, Axerve `shopLogin`): plain identifiers, never card data.
fn processor_context(dialect: Dialect, body: &str) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    let fields: &[(&str, &[&str])] = match dialect {
        Dialect::Spg => &[("terminalId", &["merchant", "terminalId"])],
        Dialect::Axerve => &[("shopLogin", &["shopLogin"])],
        Dialect::Infinic | Dialect::Coinflow => return out,
    };
    let Ok(v) = mitgate_core::json::parse(body) else { return out };
    for (name, keys) in fields {
        if let Some(text) = member_at(&v, keys).and_then(text) {
            let plain =
                text.len() <= 64 && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            if plain && !mitgate_core::pan::looks_like_card_number(text) {
                out.insert((*name).to_string(), serde_json::Value::String(text.to_string()));
            }
        }
    }
    out
}

/// Remembers which attempt a 000 auto-attempt's `reference_id` became, for its `StatusChange` webhook.
pub(crate) async fn link_infinic_attempt<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    reference: &str,
    agreement_id: &str,
    attempt_id: &str,
) -> Result<(), String> {
    let link = AttemptRef { agreement_id: agreement_id.to_string(), attempt_id: attempt_id.to_string() };
    app.stores
        .put_attempt_ref(merchant, reference, &link)
        .await
        .map_err(|e| format!("StatusChange link not recorded: {}", e.0))
}

/// The members of a 000 intent that capturing its agreement reads (`infinic::capture_cit`); only these are
/// kept until its `PaymentCredential` webhook, never the rest of the body (a stray `cvv`, a card object).
const INFINIC_INTENT_FIELDS: [&str; 7] = [
    "amount",
    "currency",
    "reference_id",
    "purchaser_id",
    "allow_remember_credentials",
    "request_unscheduled_mit",
    "require_unscheduled_mit",
];

/// The intent body reduced to [`INFINIC_INTENT_FIELDS`], as JSON text.
fn infinic_intent_fields(body: &str) -> Option<String> {
    let serde_json::Value::Object(all) = serde_json::from_str::<serde_json::Value>(body).ok()? else {
        return None;
    };
    let kept: serde_json::Map<String, serde_json::Value> =
        all.into_iter().filter(|(k, _)| INFINIC_INTENT_FIELDS.contains(&k.as_str())).collect();
    serde_json::to_string(&kept).ok()
}

pub(crate) fn infinic_reference(body: &str) -> Option<String> {
    let v = mitgate_core::json::parse(body).ok()?;
    let r = text(member(&v, "reference_id")?)?;
    let ok = !r.is_empty()
        && r.len() <= 200
        && r.bytes().all(|b| (0x21..0x7f).contains(&b))
        && !mitgate_core::pan::looks_like_card_number(r);
    ok.then(|| r.to_string())
}

/// Stores a captured agreement (a new CIT on an existing id adds its payment) and adds its payment to
/// the customer's index; the second part's failure is a warning (`Ok((id, Some(warning)))`).
async fn store_capture<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    dialect: Dialect,
    c: CitCapture,
    processor_context: serde_json::Map<String, serde_json::Value>,
) -> Result<(String, Option<String>), String> {
    let aid = c.agreement.id.clone();
    let existing = app.stores.agreement(merchant, &aid).await.map_err(|e| e.0)?;
    if existing.as_ref().is_some_and(|r| r.agreement.merchant_id != merchant) {
        return Err("the id belongs to another merchant's agreement".into());
    }
    // A re-delivered webhook or a repeated capture of a CIT already recorded changes nothing: the agreement
    // keeps its status (a revocation or a re-authentication stands) and its ledger (issue 15, item 1).
    // Its payment is indexed again (a merge is idempotent): a repeat retries an index write that failed.
    if let Some(known) = existing.as_ref().filter(|r| r.payments.iter().any(|p| p.id == c.payment.id)) {
        return Ok((aid, service::index_customer(app, known).await.err()));
    }
    let mut payments = existing.as_ref().map(|r| r.payments.clone()).unwrap_or_default();
    if !payments.iter().any(|p| p.id == c.payment.id) {
        payments.push(c.payment);
    }
    let record = AgreementRecord {
        agreement: c.agreement,
        payments,
        dialect: Some(dialect),
        processor_context,
        created_at: existing.as_ref().map_or(app.now, |r| r.created_at),
        updated_at: app.now,
    };
    app.stores.put_agreement(&record).await.map_err(|e| e.0)?;
    app.stores.put_token_index(merchant, &record.agreement.credential.token, &aid).await.map_err(|e| e.0)?;
    if let Some(customer) = &record.agreement.customer_id {
        app.stores.add_customer_agreement(merchant, customer, &aid).await.map_err(|e| e.0)?;
    }
    Ok((aid, service::index_customer(app, &record).await.err()))
}

/// `POST /v1/webhooks/infinic`: document 000's webhooks, relayed with the merchant's `X-Mitgate-Key`.
/// `PaymentCredential` completes the agreement of a CIT made through `/infinic/api/intents`;
/// `StatusChange` is acknowledged (auto-attempts settle in their own response, which the proxy reads).
pub(crate) async fn infinic_webhook<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    req: &HttpRequest,
) -> Answer {
    let body = req.text()?;
    match infinic::classify_webhook(body) {
        infinic::WebhookKind::PaymentCredential => {
            let reference = webhook_reference(body).ok_or_else(|| {
                HttpResponse::invalid(&[mitgate_core::validate::FieldError::new(
                    "content.reference_id",
                    "is required",
                )])
            })?;
            let intent = app
                .stores
                .pending_cit(merchant, &reference)
                .await
                .map_err(|e| service::store_failed(&e))?
                .ok_or_else(|| {
                    HttpResponse::error(
                        404,
                        "intent_not_found",
                        "no intent with this reference_id was made through /infinic/api/intents by this merchant",
                    )
                })?;
            let headers: Vec<(&str, &str)> = Vec::new();
            let ctx = CitContext { merchant_id: merchant, headers: &headers, at: app.now };
            let captured = infinic::capture_cit(
                &infinic::CitInput { request: &intent, credential_event: body, status_event: None },
                &ctx,
            )
            .map_err(|errors| HttpResponse::invalid(&errors))?;
            let (aid, warning) =
                store_capture(app, merchant, Dialect::Infinic, captured, serde_json::Map::new())
                    .await
                    .map_err(|m| HttpResponse::error(503, "store_unavailable", m))?;
            Ok(HttpResponse::json(
                200,
                &serde_json::json!({"received": "PaymentCredential", "agreementId": aid, "warning": warning}),
            ))
        }
        infinic::WebhookKind::StatusChange => status_change(app, merchant, body).await,
        infinic::WebhookKind::Other => {
            Err(HttpResponse::invalid(&[mitgate_core::validate::FieldError::new(
                "type",
                "must be \"PaymentCredential\" or \"StatusChange\"",
            )]))
        }
    }
}

/// A webhook's `content.reference_id`.
fn webhook_reference(body: &str) -> Option<String> {
    let v = mitgate_core::json::parse(body).ok()?;
    member_at(&v, &["content", "reference_id"]).and_then(text).map(str::to_string)
}

/// A `StatusChange` about an auto-attempt made through the proxy settles that attempt (a timeout left it
/// pending); applying the outcome the proxy already read is a no-op. Anything else is acknowledged.
async fn status_change<K: Kv, P: Processor>(app: &App<'_, K, P>, merchant: &str, body: &str) -> Answer {
    let unmatched =
        || Ok(HttpResponse::json(200, &serde_json::json!({"received": "StatusChange", "matched": false})));
    let Some(reference) = webhook_reference(body) else {
        return unmatched();
    };
    let Some(link) =
        app.stores.attempt_ref(merchant, &reference).await.map_err(|e| service::store_failed(&e))?
    else {
        return unmatched();
    };
    let record = app
        .stores
        .agreement(merchant, &link.agreement_id)
        .await
        .map_err(|e| service::store_failed(&e))?
        .filter(|r| r.agreement.merchant_id == merchant)
        .ok_or_else(|| HttpResponse::error(404, "not_found", "the attempt's agreement is gone"))?;
    let ledger =
        app.stores.attempts(merchant, &link.agreement_id).await.map_err(|e| service::store_failed(&e))?;
    let ctx = mitgate_dialects::OutcomeContext {
        attempt_id: &link.attempt_id,
        at: app.now,
        network: record.agreement.payment_method.brand,
    };
    let Some(outcome) =
        infinic::read_status_change(body, &ctx).map_err(|errors| HttpResponse::invalid(&errors))?
    else {
        return Ok(HttpResponse::json(
            200,
            &serde_json::json!({"received": "StatusChange", "matched": true, "attemptId": link.attempt_id, "applied": false}),
        ));
    };
    let history = mitgate_core::model::History {
        payments: record.payments.clone(),
        attempts: ledger.attempts,
        ..Default::default()
    };
    let recorded = service::record_outcome(app, merchant, &record, &history, &outcome).await;
    Ok(HttpResponse::json(
        200,
        &serde_json::json!({
            "received": "StatusChange",
            "matched": true,
            "attemptId": link.attempt_id,
            "attemptStatus": recorded.status,
            "agreementStatus": recorded.agreement.status,
            "warning": recorded.warning,
        }),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The card-data walk renders only the path it reports, however wide the body (issue 15, item 9).
    #[test]
    fn card_data_walk_renders_only_what_it_reports() {
        let items = vec![r#"{"sku": "a", "qty": 2}"#; 5000].join(",");
        let clean = format!(r#"{{"items": [{items}]}}"#);
        let dirty = format!(r#"{{"items": [{items}, {{"note": "4111 1111 1111 1111"}}]}}"#);
        crate::tree::RENDERED.with(|n| n.set(0));
        let root = mitgate_core::json::Path::root("");
        assert_eq!(card_data_path(&mitgate_core::json::parse(&clean).unwrap(), &root), None);
        assert_eq!(crate::tree::RENDERED.with(std::cell::Cell::get), 0);
        let found = card_data_path(&mitgate_core::json::parse(&dirty).unwrap(), &root);
        assert_eq!(found.as_deref(), Some("items[5000].note"));
        assert_eq!(crate::tree::RENDERED.with(std::cell::Cell::get), 1);
    }
}
