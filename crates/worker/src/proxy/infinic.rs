//! Document 000 (Infinic) beyond the proxy's common path: the intent kept until its
//! `PaymentCredential` webhook, and `POST /v1/webhooks/infinic`.

use mitgate_core::json::{Kind, Value};
use mitgate_core::model::{AgreementStatus, AttemptStatus};
use mitgate_dialects::{infinic, CitContext, DialectId};
use serde::Serialize;

use super::capture::store_capture;
use crate::app::{store_failed, Answer, App, Call, Processor};
use crate::error::ErrorCode;
use crate::handlers::outcomes::record_outcome;
use crate::http::HttpResponse;
use crate::store::indexes::{ATTEMPT_REF, PENDING_CIT};
use crate::store::{Kv, ProcessorContext};

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

/// A 000 intent, read once: its `reference_id` ([`infinic_reference`]) and the body reduced to
/// [`INFINIC_INTENT_FIELDS`], as JSON text: compact, in name order, values exactly as written
/// (`Value::normalized`); of a key given twice the first counts, as in every lookup. `None` without a
/// usable reference.
pub(super) fn infinic_intent(body: &str) -> Option<(String, String)> {
    let value = mitgate_core::json::parse(body).ok()?;
    let reference = plain_reference(&value)?;
    let Value { kind: Kind::Object(entries), at } = value else {
        return None;
    };
    let mut kept: Vec<(std::borrow::Cow<'_, str>, Value<'_>)> = Vec::new();
    for (key, value) in entries {
        if INFINIC_INTENT_FIELDS.contains(&key.as_ref()) && !kept.iter().any(|(k, _)| *k == key) {
            kept.push((key, value));
        }
    }
    Some((reference, Value { kind: Kind::Object(kept), at }.normalized()))
}

/// A 000 body's `reference_id`, when it is a plain printable id (never card data).
pub(crate) fn infinic_reference(body: &str) -> Option<String> {
    plain_reference(&mitgate_core::json::parse(body).ok()?)
}

/// [`infinic_reference`] of a parsed body.
fn plain_reference(v: &Value<'_>) -> Option<String> {
    let r = v.get("reference_id")?.text()?;
    let ok = !r.is_empty()
        && r.len() <= 200
        && r.bytes().all(|b| (0x21..0x7f).contains(&b))
        && !mitgate_core::pan::looks_like_card_number(r);
    ok.then(|| r.to_string())
}

/// The answer of `POST /v1/webhooks/infinic` (openapi.yaml `InfinicWebhookAnswer`): which event was
/// received (`received`) and what it did. Written in name order.
#[derive(Debug, Serialize)]
#[serde(tag = "received")]
pub(crate) enum WebhookAnswer<'a> {
    /// `PaymentCredential`: the agreement it completed.
    #[serde(rename_all = "camelCase")]
    PaymentCredential {
        /// The agreement captured.
        agreement_id: &'a str,
        /// What was not recorded (the customer's index).
        warning: Option<&'a str>,
    },
    /// A `StatusChange` about no attempt made through the proxy: acknowledged.
    #[serde(rename = "StatusChange")]
    Unmatched {
        /// Always `false`.
        matched: bool,
    },
    /// A `StatusChange` about an attempt made through the proxy whose outcome it does not settle.
    #[serde(rename = "StatusChange", rename_all = "camelCase")]
    NotApplied {
        /// Always `true`.
        matched: bool,
        /// The attempt.
        attempt_id: &'a str,
        /// Always `false`.
        applied: bool,
    },
    /// A `StatusChange` that settled an attempt made through the proxy.
    #[serde(rename = "StatusChange", rename_all = "camelCase")]
    Applied {
        /// Always `true`.
        matched: bool,
        /// The attempt.
        attempt_id: &'a str,
        /// The attempt's status as recorded.
        attempt_status: AttemptStatus,
        /// The agreement's status after the outcome.
        agreement_status: AgreementStatus,
        /// What could not be recorded.
        warning: Option<&'a str>,
    },
}

impl WebhookAnswer<'_> {
    /// The 200 carrying this answer.
    fn ok(&self) -> Answer {
        Ok(HttpResponse::json_in_name_order(200, self))
    }
}

/// `POST /v1/webhooks/infinic`: document 000's webhooks, relayed with the merchant's `X-Mitgate-Key`.
/// `PaymentCredential` completes the agreement of a CIT made through `/infinic/api/intents`;
/// `StatusChange` settles an auto-attempt made through the proxy, or is acknowledged.
pub(crate) async fn webhook<K: Kv, P: Processor>(app: &App<'_, K, P>, call: &Call<'_>) -> Answer {
    let (merchant, req) = (call.merchant, call.request);
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
                .lookup(&PENDING_CIT, merchant, &reference)
                .await
                .map_err(|e| store_failed(&e))?
                .ok_or_else(|| {
                    HttpResponse::error(ErrorCode::IntentNotFound, "no intent with this reference_id was made through /infinic/api/intents by this merchant",
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
                store_capture(app, merchant, DialectId::Infinic, captured, ProcessorContext::new())
                    .await
                    .map_err(|m| HttpResponse::error(ErrorCode::StoreUnavailable, m))?;
            WebhookAnswer::PaymentCredential { agreement_id: &aid, warning: warning.as_deref() }.ok()
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
    v.get_path(&["content", "reference_id"]).and_then(Value::text).map(str::to_string)
}

/// A `StatusChange` about an auto-attempt made through the proxy settles that attempt (a timeout left it
/// pending); applying the outcome the proxy already read is a no-op. Anything else is acknowledged.
async fn status_change<K: Kv, P: Processor>(app: &App<'_, K, P>, merchant: &str, body: &str) -> Answer {
    let unmatched = || WebhookAnswer::Unmatched { matched: false }.ok();
    let Some(reference) = webhook_reference(body) else {
        return unmatched();
    };
    let Some(link) =
        app.stores.lookup(&ATTEMPT_REF, merchant, &reference).await.map_err(|e| store_failed(&e))?
    else {
        return unmatched();
    };
    let record = app
        .stores
        .agreement(merchant, &link.agreement_id)
        .await
        .map_err(|e| store_failed(&e))?
        .filter(|r| r.agreement.merchant_id == merchant)
        .ok_or_else(|| HttpResponse::error(ErrorCode::NotFound, "the attempt's agreement is gone"))?;
    let ledger = app.stores.ledger(merchant, &link.agreement_id).await.map_err(|e| store_failed(&e))?;
    let ctx = mitgate_dialects::OutcomeContext {
        attempt_id: &link.attempt_id,
        at: app.now,
        network: record.agreement.payment_method.brand,
    };
    let Some(outcome) =
        infinic::read_status_change(body, &ctx).map_err(|errors| HttpResponse::invalid(&errors))?
    else {
        return WebhookAnswer::NotApplied { matched: true, attempt_id: &link.attempt_id, applied: false }
            .ok();
    };
    let history = mitgate_core::model::History {
        payments: record.payments.clone(),
        attempts: ledger.attempts,
        ..Default::default()
    };
    let recorded = record_outcome(app, merchant, &record, &history, &outcome).await;
    WebhookAnswer::Applied {
        matched: true,
        attempt_id: &link.attempt_id,
        attempt_status: recorded.status,
        agreement_status: recorded.agreement.status,
        warning: recorded.warning.as_deref(),
    }
    .ok()
}
