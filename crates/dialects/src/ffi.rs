//! JSON entry points (feature `ffi`): a processor's own payloads (CIT documents, MIT requests,
//! MIT responses and webhooks) to the canonical model, and a refusal rendered as that processor would
//! answer. Same conventions as `mitgate_core::api`: one JSON string in, one tagged answer out, every
//! error naming its field (`request.subtotal.cents`, `dialect`), never a panic.
//!
//! A processor document (`request`, `response`, `body`, ...) may be given either as the JSON value itself
//! or as a JSON string holding the document's text; the text is read exactly (`29.90` stays `29.90`).
//!
//! crates/wasm exports these functions to JavaScript unchanged; with feature `wasm` their types also
//! derive `tsify::Tsify`, so the npm package's TypeScript declarations are generated from them.

use std::collections::BTreeMap;

use mitgate_core::api::Answer;
use mitgate_core::decision::Decision;
use mitgate_core::engine::{self, Evaluation};
use mitgate_core::json::{FromJson, Kind, Path, Value};
use mitgate_core::model::{CardBrand, Outcome};
use mitgate_core::money::Currency;
use mitgate_core::time::Timestamp;
use mitgate_core::validate::{parse_json, FieldError};

use crate::{
    axerve, coinflow, infinic, spg, CitCapture, CitContext, DialectId, DialectResponse, MitContext,
    OutcomeContext, ParsedMit,
};
use serde::Serialize;

/// A processor document: the JSON value itself, or a JSON string holding its text.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(transparent)]
#[cfg_attr(feature = "wasm", tsify(type = "unknown"))]
pub struct Document(String);

impl Document {
    /// The document's JSON text, exactly as given.
    fn text(&self) -> String {
        self.0.clone()
    }
}

impl FromJson for Document {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        Ok(Document(match &value.kind {
            Kind::String(s) => s.to_string(),
            _ => value.raw(path.document()).to_string(),
        }))
    }
}

/// Input of [`parse_cit_json`]: a successful CIT in a processor's own documents.
#[derive(Debug, Serialize, FromJson)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CitInput {
    /// The dialect.
    #[cfg_attr(feature = "wasm", tsify(type = "DialectName"))]
    pub dialect: DialectId,
    /// The merchant that made the CIT.
    pub merchant_id: String,
    /// When the successful response was seen (the CIT's time where the documents carry none).
    pub at: Timestamp,
    /// The CIT request's HTTP headers (Coinflow: `x-user-id` names the customer).
    #[serde(default)]
    #[cfg_attr(feature = "wasm", tsify(type = "Record<string, string>"))]
    pub headers: BTreeMap<String, String>,
    /// The CIT request body (Infinic: the `POST /api/intents` body).
    pub request: Document,
    /// The processor's successful response (Coinflow, SPG, Axerve).
    #[serde(default)]
    pub response: Option<Document>,
    /// Infinic: the `PaymentCredential` webhook event.
    #[serde(default)]
    pub credential_event: Option<Document>,
    /// Infinic: the intent's `StatusChange` webhook event, when received.
    #[serde(default)]
    pub status_event: Option<Document>,
    /// Coinflow: which checkout endpoint was called.
    #[serde(default)]
    #[cfg_attr(feature = "wasm", tsify(type = "CoinflowEndpoint | null"))]
    pub endpoint: Option<coinflow::CitEndpoint>,
    /// Coinflow zero authorization: the agreement's currency (a zero auth carries no amount).
    #[serde(default)]
    pub zero_auth_currency: Option<Currency>,
    /// Coinflow: whether a CIT made with a saved `token` was CVV-verified (default false).
    #[serde(default)]
    pub token_cvv_verified: bool,
}

/// Input of [`parse_mit_json`]: an MIT request in a processor's own words.
#[derive(Debug, Serialize, FromJson)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MitInput {
    /// The dialect.
    #[cfg_attr(feature = "wasm", tsify(type = "DialectName"))]
    pub dialect: DialectId,
    /// The merchant making the request.
    pub merchant_id: String,
    /// The request's HTTP headers (`x-user-id`, `idempotency-key`).
    #[serde(default)]
    #[cfg_attr(feature = "wasm", tsify(type = "Record<string, string>"))]
    pub headers: BTreeMap<String, String>,
    /// When the customer was notified of this charge, if the merchant says so.
    #[serde(default)]
    pub notice_sent_at: Option<Timestamp>,
    /// The MIT request body.
    pub body: Document,
}

/// Input of [`read_outcome_json`]: the processor's answer to a forwarded MIT, or a webhook about it.
#[derive(Debug, Serialize, FromJson)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutcomeInput {
    /// The dialect.
    #[cfg_attr(feature = "wasm", tsify(type = "DialectName"))]
    pub dialect: DialectId,
    /// The HTTP status of the response; absent for a webhook event (Infinic `StatusChange`).
    #[serde(default)]
    pub status: Option<u16>,
    /// The response body or the webhook event.
    pub body: Document,
    /// The attempt it belongs to.
    pub attempt_id: String,
    /// When it arrived.
    pub at: Timestamp,
    /// The credential's card network, when known (decides the retry rules of a decline).
    #[serde(default)]
    pub network: Option<CardBrand>,
}

/// Success payload of [`read_outcome_json`].
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct OutcomeAnswer {
    /// The outcome; `null` when the answer does not settle the attempt (a 5xx, still in progress).
    pub outcome: Option<Outcome>,
}

/// Input of [`render_refusal_json`]: an evaluation and the dialect to answer in.
#[derive(Debug, Serialize, FromJson)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RenderInput {
    /// The dialect.
    #[cfg_attr(feature = "wasm", tsify(type = "DialectName"))]
    pub dialect: DialectId,
    /// The evaluation to decide.
    pub evaluation: Evaluation,
}

/// An HTTP answer in a processor's own words. (The shape of `response` in [`render_refusal_json`]'s
/// answer, which that function writes out itself so that the body is embedded exactly as rendered.)
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct ProcessorResponse {
    /// The HTTP status.
    pub status: u16,
    /// Lower-case header names and values (`content-type`, `retry-after`).
    #[cfg_attr(feature = "wasm", tsify(type = "Record<string, string>"))]
    pub headers: BTreeMap<String, String>,
    /// The JSON body, exactly as the dialect renders it (embedded as JSON, not as a string).
    #[cfg_attr(feature = "wasm", tsify(type = "unknown"))]
    pub body: String,
}

/// Success payload of [`render_refusal_json`].
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[serde(rename_all = "camelCase")]
pub struct RefusalAnswer {
    /// The decision.
    pub decision: Decision,
    /// The processor's answer; `null` when the charge is allowed (nothing to refuse).
    pub response: Option<ProcessorResponse>,
}

fn answer<T: Serialize>(result: Result<T, Vec<FieldError>>) -> String {
    Answer::from(result).to_json()
}

/// Prefixes the dialect's own paths with the input field they came from (`request.subtotal.cents`).
fn under(prefix: &str, errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.path = match (e.path.is_empty(), e.path.starts_with("headers.")) {
                (_, true) => e.path,
                (true, false) => prefix.to_string(),
                (false, false) if e.path.starts_with('[') => format!("{prefix}{}", e.path),
                (false, false) => format!("{prefix}.{}", e.path),
            };
            e
        })
        .collect()
}

fn header_pairs(headers: &BTreeMap<String, String>) -> Vec<(&str, &str)> {
    headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn required(doc: Option<&Document>, path: &str) -> Result<String, Vec<FieldError>> {
    doc.map(Document::text).ok_or_else(|| vec![FieldError::new(path, "is required for this dialect")])
}

fn check_merchant(id: &str) -> Result<(), Vec<FieldError>> {
    if id.is_empty() || id.len() > 256 {
        return Err(vec![FieldError::new("merchantId", "must be 1 to 256 characters")]);
    }
    Ok(())
}

fn parse_cit(input: &CitInput) -> Result<CitCapture, Vec<FieldError>> {
    check_merchant(&input.merchant_id)?;
    let headers = header_pairs(&input.headers);
    let ctx = CitContext { merchant_id: &input.merchant_id, headers: &headers, at: input.at };
    let request = input.request.text();
    let capture = match input.dialect {
        DialectId::Infinic => {
            let credential_event = required(input.credential_event.as_ref(), "credentialEvent")?;
            let status_event = input.status_event.as_ref().map(Document::text);
            let cit = infinic::CitInput {
                request: &request,
                credential_event: &credential_event,
                status_event: status_event.as_deref(),
            };
            infinic::capture_cit(&cit, &ctx)
        }
        DialectId::Coinflow => {
            let response = required(input.response.as_ref(), "response")?;
            let Some(endpoint) = input.endpoint else {
                return Err(vec![FieldError::new("endpoint", "is required for coinflow")]);
            };
            let zero_auth_currency = match (input.zero_auth_currency, endpoint) {
                (Some(c), _) => c,
                (None, coinflow::CitEndpoint::Card) => Currency::from_code("USD")
                    .map_err(|e| vec![FieldError::new("zeroAuthCurrency", e.to_string())])?,
                (None, coinflow::CitEndpoint::ZeroAuthorization) => {
                    return Err(vec![FieldError::new(
                        "zeroAuthCurrency",
                        "is required for a zero authorization (it carries no amount)",
                    )])
                }
            };
            let cit = coinflow::CitInput {
                endpoint,
                request: &request,
                response: &response,
                zero_auth_currency,
                token_cvv_verified: input.token_cvv_verified,
            };
            coinflow::capture_cit(&cit, &ctx)
        }
        DialectId::Spg => {
            let response = required(input.response.as_ref(), "response")?;
            spg::capture_cit(&spg::CitInput { request: &request, response: &response }, &ctx)
        }
        DialectId::Axerve => {
            let response = required(input.response.as_ref(), "response")?;
            axerve::capture_cit(&axerve::CitInput { request: &request, response: &response }, &ctx)
        }
    };
    capture
}

/// Captures the agreement a successful CIT established, from the processor's own documents.
/// Input: [`CitInput`]. Output: `{"type":"success","agreement","payment"}` or a failure naming fields.
pub fn parse_cit_json(text: &str) -> String {
    parse_cit_value(text).to_json()
}

/// [`parse_cit_json`]'s answer before it is written as JSON.
pub fn parse_cit_value(text: &str) -> Answer<CitCapture> {
    parse_json::<CitInput>(text).map_err(|e| vec![e]).and_then(|input| parse_cit(&input)).into()
}

fn parse_mit(input: &MitInput) -> Result<ParsedMit, Vec<FieldError>> {
    check_merchant(&input.merchant_id)?;
    let headers = header_pairs(&input.headers);
    let ctx = MitContext {
        merchant_id: &input.merchant_id,
        headers: &headers,
        notice_sent_at: input.notice_sent_at,
    };
    let body = input.body.text();
    input.dialect.parse_mit(&body, &ctx).map_err(|e| under("body", e))
}

/// Parses an MIT request body into the canonical charge request and how to find its agreement.
/// Input: [`MitInput`]. Output: `{"type":"success","request","lookup"}` or a failure naming fields.
pub fn parse_mit_json(text: &str) -> String {
    parse_mit_value(text).to_json()
}

/// [`parse_mit_json`]'s answer before it is written as JSON.
pub fn parse_mit_value(text: &str) -> Answer<ParsedMit> {
    parse_json::<MitInput>(text).map_err(|e| vec![e]).and_then(|input| parse_mit(&input)).into()
}

fn read_outcome(input: &OutcomeInput) -> Result<OutcomeAnswer, Vec<FieldError>> {
    let ctx = OutcomeContext { attempt_id: &input.attempt_id, at: input.at, network: input.network };
    let body = input.body.text();
    let outcome = match (input.dialect, input.status) {
        (DialectId::Infinic, None) => infinic::read_status_change(&body, &ctx),
        (_, None) => {
            return Err(vec![FieldError::new("status", "is required (only Infinic sends webhook events)")])
        }
        (dialect, Some(status)) => dialect.read_outcome(status, &body, &ctx),
    };
    outcome.map(|outcome| OutcomeAnswer { outcome }).map_err(|e| under("body", e))
}

/// Reads a processor's answer to a forwarded MIT (with `status`), or an Infinic `StatusChange` webhook
/// (without), into the canonical outcome that `applyOutcome` consumes.
pub fn read_outcome_json(text: &str) -> String {
    read_outcome_value(text).to_json()
}

/// [`read_outcome_json`]'s answer before it is written as JSON.
pub fn read_outcome_value(text: &str) -> Answer<OutcomeAnswer> {
    parse_json::<OutcomeInput>(text).map_err(|e| vec![e]).and_then(|input| read_outcome(&input)).into()
}

fn render_refusal(input: RenderInput) -> Result<(Decision, Option<DialectResponse>), Vec<FieldError>> {
    input.evaluation.validate().map_err(|e| under("evaluation", e))?;
    let decision = engine::evaluate(&input.evaluation);
    let response = input.dialect.render_refusal(&decision);
    Ok((decision, response))
}

/// Writes a [`RefusalAnswer`]: `{"type":"success","decision":…,"response":{"status","headers","body"}}`,
/// with the dialect's body embedded as the JSON text it rendered. serde_json could embed it only through
/// `RawValue`, whose constructor parses the text again: that linked serde_json's whole parser into the
/// package (14 KB gzip, PERFORMANCE.md "Size").
fn refusal_answer(
    decision: &Decision,
    response: Option<&DialectResponse>,
) -> Result<String, serde_json::Error> {
    let response = match response {
        None => "null".to_string(),
        Some(r) => {
            let headers: BTreeMap<&str, &str> =
                r.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            format!(
                r#"{{"status":{},"headers":{},"body":{}}}"#,
                r.status,
                serde_json::to_string(&headers)?,
                r.body
            )
        }
    };
    Ok(format!(
        r#"{{"type":"success","decision":{},"response":{response}}}"#,
        serde_json::to_string(decision)?
    ))
}

/// Decides an evaluation and renders a refusal as the dialect's processor would answer it.
/// Input: [`RenderInput`]. Output: [`RefusalAnswer`], `{"type":"success","decision","response"}` (`response`
/// is `null` when the charge is allowed), or a failure naming fields.
pub fn render_refusal_json(text: &str) -> String {
    render_refusal_written(text, |errors| errors)
}

/// [`render_refusal_json`], with its input errors passed through `errors` first (the object form drops
/// their positions in the text it wrote itself).
pub fn render_refusal_written(text: &str, errors: fn(Vec<FieldError>) -> Vec<FieldError>) -> String {
    let result = parse_json::<RenderInput>(text)
        .map_err(|e| errors(vec![e]))
        .and_then(|input| render_refusal(input).map_err(errors));
    match result {
        Ok((decision, response)) => refusal_answer(&decision, response.as_ref()).unwrap_or_else(|e| {
            answer::<RefusalAnswer>(Err(vec![FieldError::new(
                "",
                format!("internal serialization error: {e}"),
            )]))
        }),
        Err(errors) => answer::<RefusalAnswer>(Err(errors)),
    }
}
