//! `POST /v1/decisions` (the engine on stored state, nothing reserved) and `POST /v1/decisions/evaluate`
//! (the engine on a self-contained input), and the canonical charge request both `/v1/decisions` and
//! `/v1/charges` read.

use std::borrow::Cow;

use mitgate_core::api::evaluate_json;
use mitgate_core::decision::{Decision, Verdict};
use mitgate_core::engine;
use mitgate_core::json::{self, FromJson, Kind, Path, Value};
use mitgate_core::model::ChargeRequest;
use mitgate_core::time::Timestamp;
use mitgate_core::validate::{FieldError, MAX_INPUT_BYTES};
use serde::Serialize;

use super::load::load;
use super::{invalid_one, now_plus_a_day, strip_root};
use crate::app::{store_failed, Answer, App, Call};
use crate::error::ErrorCode;
use crate::http::{HttpRequest, HttpResponse};
use crate::store::Kv;
use crate::tree::clip;

/// Parses a canonical charge request; `merchantId` may be left out (it is the caller's).
pub(crate) fn parse_charge(
    req: &HttpRequest,
    merchant: &str,
    now: Timestamp,
) -> Result<ChargeRequest, HttpResponse> {
    let text = req.text()?;
    if text.len() > MAX_INPUT_BYTES {
        return Err(invalid_one("", format!("input is larger than {MAX_INPUT_BYTES} bytes")));
    }
    let value = json::parse(text).map_err(|e| invalid_one("", format!("malformed JSON: {}", e.message)))?;
    if let Some(path) = crate::tree::duplicate_path(&value) {
        return Err(invalid_one(&path, "is given more than once"));
    }
    let given_merchant = match value.get("merchantId").map(|v| &v.kind) {
        Some(Kind::String(m)) if m != merchant => {
            return Err(HttpResponse::error(ErrorCode::Forbidden, "merchantId must be your own merchant id"));
        }
        given => given.is_some(),
    };
    let given_key = value.get("idempotencyKey").is_some();
    let Value { kind: Kind::Object(mut entries), at } = value else {
        return Err(invalid_one("", "must be a JSON object"));
    };
    // The caller's merchant id and the Idempotency-Key header fill in what the body leaves out; values
    // added here sit at the object's position (they cannot fail to read).
    let added = |s: &str| Value { kind: Kind::String(Cow::Owned(s.to_string())), at };
    if !given_merchant {
        entries.push((Cow::Borrowed("merchantId"), added(merchant)));
    }
    if let (false, Some(k)) = (given_key, req.header("idempotency-key")) {
        entries.push((Cow::Borrowed("idempotencyKey"), added(k)));
    }
    let body = Value { kind: Kind::Object(entries), at };
    let request =
        ChargeRequest::from_json(&body, &Path::root(text)).map_err(|e| HttpResponse::invalid(&[clip(e)]))?;
    let mut errors = Vec::new();
    request.validate("", &mut errors);
    let mut errors = strip_root(errors);
    for (path, at) in [
        ("referenceAt", request.reference_at),
        ("noticeSentAt", request.notice_sent_at),
        ("reminderSentAt", request.reminder_sent_at),
    ] {
        if at.is_some_and(|t| t > now_plus_a_day(now)) {
            errors.push(FieldError::new(path, "is in the future"));
        }
    }
    if !errors.is_empty() {
        return Err(HttpResponse::invalid(&errors));
    }
    Ok(request)
}

/// `POST /v1/decisions`: the engine on stored state; nothing is reserved or forwarded.
pub(crate) async fn post<K: Kv, P>(app: &App<'_, K, P>, call: &Call<'_>) -> Answer {
    let (merchant, req) = (call.merchant, call.request);
    let request = parse_charge(req, merchant, app.now)?;
    let loaded = load(app, merchant, request).await.map_err(|e| store_failed(&e))?;
    let decision = engine::evaluate(&loaded.evaluation);
    Ok(HttpResponse::json_in_name_order(200, &DecisionAnswer { now: app.now, decision: &decision }))
}

/// The answer of `POST /v1/decisions` (openapi.yaml `DecisionAnswer`).
#[derive(Debug, Serialize)]
pub(crate) struct DecisionAnswer<'a> {
    /// The instant the decision was made at.
    pub now: Timestamp,
    /// The decision.
    pub decision: &'a Decision,
}

/// A refusal on the canonical routes (openapi.yaml `Refusal`).
#[derive(Debug, Serialize)]
pub(crate) struct Refusal<'a> {
    /// Always `refused`.
    pub outcome: Verdict,
    /// The decision, every violated rule with its numbers.
    pub decision: &'a Decision,
}

/// `POST /v1/decisions/evaluate`: the engine on a self-contained input, byte for byte what
/// `mitgate_core::api::evaluate_json` answers natively. Reads and writes nothing.
pub(crate) async fn evaluate<K, P>(_app: &App<'_, K, P>, call: &Call<'_>) -> Answer {
    let req = call.request;
    let text = req.text()?;
    let out = evaluate_json(text);
    let status = if out.starts_with(r#"{"type":"success""#) { 200 } else { 400 };
    Ok(HttpResponse::json_text(status, out))
}

/// A refusal on the canonical routes: the decision, `Retry-After` when waiting helps.
pub(crate) fn refusal_response(decision: &Decision) -> HttpResponse {
    let mut r = HttpResponse::json_in_name_order(
        decision.http_status,
        &Refusal { outcome: Verdict::Refused, decision },
    );
    if let Some(s) = decision.retry_after_seconds {
        r = r.with_header("retry-after", s.to_string());
    }
    r
}
