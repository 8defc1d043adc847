//! A proxied MIT, in any dialect and wire format: checked, parsed, decided, then refused in the
//! processor's words or reserved, forwarded and recorded ([`crate::handlers::charges::charge`]).

use mitgate_dialects::{axerve, AgreementLookup, DialectId, MitContext, ParsedMit};

use mitgate_core::decision::Decision;
use mitgate_core::json::{Kind, Value};
use mitgate_core::validate::FieldError;

use super::forward::{bad_input, header_pairs, outbound, unanswered};
use super::infinic::infinic_reference;
use crate::app::{store_failed, App, Outbound, Processor};
use crate::error::ErrorCode;
use crate::handlers::charges::{charge, link_infinic_attempt, ChargeResult};
use crate::http::{HttpRequest, HttpResponse};
use crate::idempotency::KeyTaker;
use crate::store::indexes::TOKEN;
use crate::store::{AgreementRecord, Kv};

/// The prologue of every MIT, whatever its dialect or wire format: what no MIT body may hold is refused
/// ([`refused_mit_body`]), then the body is parsed in its dialect. `Err`: the field errors, for the
/// caller to answer in its dialect's words.
pub(super) fn parse_mit(
    merchant: &str,
    body: &str,
    req: &HttpRequest,
    parse: impl FnOnce(&str, &MitContext<'_>) -> Result<ParsedMit, Vec<FieldError>>,
) -> Result<ParsedMit, Vec<FieldError>> {
    let refused = refused_mit_body(body);
    if !refused.is_empty() {
        return Err(refused);
    }
    let headers = header_pairs(req);
    parse(body, &MitContext { merchant_id: merchant, headers: &headers, notice_sent_at: None })
}

/// What no MIT body may hold whatever its dialect: a key given twice (ambiguous), card data (an MIT
/// charges a stored credential; a card number or CVV in it would be forwarded to the processor).
pub(super) fn refused_mit_body(body: &str) -> Vec<mitgate_core::validate::FieldError> {
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
pub(super) fn card_data_path(value: &Value<'_>, path: &mitgate_core::json::Path<'_>) -> Option<String> {
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
        // The number as written, and with its exponent applied (`4.111111111111111e15`).
        Kind::Number(n) => crate::tree::number_looks_like_card(n).then(|| render(path)),
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
        AgreementLookup::CredentialToken(token) => match app.stores.lookup(&TOKEN, merchant, token).await {
            Err(e) => Err(store_failed(&e)),
            Ok(None) => Ok(None),
            Ok(Some(aid)) => match app.stores.agreement(merchant, &aid).await {
                Err(e) => Err(store_failed(&e)),
                Ok(r) => Ok(r.map(|r| r.agreement)),
            },
        },
    }
}

/// An MIT in one of the JSON dialects, checked and parsed; `Err` is its bad-input answer in the
/// dialect's words. The parsed request names the MIT's idempotency key: the `Idempotency-Key` header, or
/// the transaction id the dialect's body carries (002 `merchantTransactionId`, 003 `shopTransactionId`,
/// 000 `reference_id`).
pub(super) fn parse_json_mit(
    merchant: &str,
    dialect: DialectId,
    body: &str,
    req: &HttpRequest,
) -> Result<ParsedMit, HttpResponse> {
    parse_mit(merchant, body, req, |b, ctx| dialect.parse_mit(b, ctx))
        .map_err(|errors| bad_input(dialect.render_errors(&errors)))
}

/// A parsed MIT in one of the JSON dialects, [`decide`]d.
#[expect(clippy::too_many_arguments, reason = "the request, its parse, where it goes and its key")]
pub(super) async fn mit<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    dialect: DialectId,
    parsed: ParsedMit,
    base: &str,
    path: &str,
    body: &str,
    req: &HttpRequest,
    taker: Option<&KeyTaker>,
) -> HttpResponse {
    let id = dialect;
    let out = outbound(base, path, req, dialect, app.config.sandbox_headers);
    let refusal = |d: &Decision| id.render_refusal(d);
    decide(
        app,
        merchant,
        dialect,
        parsed,
        out,
        body,
        &MitAnswer { refusal: &refusal, decision_header: false, taker },
    )
    .await
}

/// How a decided MIT is answered in its dialect.
pub(super) struct MitAnswer<'a> {
    /// A refusal in the processor's words.
    pub refusal: &'a dyn Fn(&Decision) -> Option<mitgate_dialects::DialectResponse>,
    /// Whether a forwarded charge's answer (the processor's, untouched) carries the decision in
    /// `X-Mitgate-Decision` (Axerve over SOAP, whose refusals carry it there too).
    pub decision_header: bool,
    /// The idempotency key, when the charge takes it in its agreement's object (`KeyTaker`).
    pub taker: Option<&'a KeyTaker>,
}

/// Decides a parsed MIT: refused in the dialect's words, or reserved, forwarded as `out` and recorded.
/// One function for every dialect and wire format (its futures are large: one copy in the `.wasm`).
pub(super) async fn decide<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    dialect: DialectId,
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
    match charge(app, merchant, request, &build, answer.taker).await {
        Err(r) => r,
        Ok(ChargeResult::Answered(r)) => r,
        Ok(ChargeResult::Refused(decision)) => match (answer.refusal)(&decision) {
            Some(r) => HttpResponse::from(r),
            None => HttpResponse::error(ErrorCode::Internal, "a refused decision could not be rendered"),
        },
        Ok(ChargeResult::Sent(sent)) => {
            let mut r = unanswered(sent.forwarded.clone(), Some(&sent.attempt_id))
                .with_header("x-mitgate-attempt-id", sent.attempt_id.clone());
            if answer.decision_header {
                r = r.with_header(axerve::soap::DECISION_HEADER, axerve::soap::ascii_json(&sent.decision));
            }
            let mut warning = sent.warning.clone();
            if dialect == DialectId::Infinic {
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
