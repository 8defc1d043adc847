//! Document 000 (Infinic) beyond the proxy's common path: the intent kept until its
//! `PaymentCredential` webhook, and `POST /v1/webhooks/infinic`.

use mitgate_dialects::{infinic, CitContext, DialectId};

use super::capture::store_capture;
use crate::app::{store_failed, Answer, App, Call, Processor};
use crate::error::ErrorCode;
use crate::handlers::outcomes::record_outcome;
use crate::http::HttpResponse;
use crate::store::indexes::{ATTEMPT_REF, PENDING_CIT};
use crate::store::Kv;
use crate::tree::{member, member_at, text};

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
pub(super) fn infinic_intent_fields(body: &str) -> Option<String> {
    let serde_json::Value::Object(all) = serde_json::from_str::<serde_json::Value>(body).ok()? else {
        return None;
    };
    let kept: serde_json::Map<String, serde_json::Value> =
        all.into_iter().filter(|(k, _)| INFINIC_INTENT_FIELDS.contains(&k.as_str())).collect();
    serde_json::to_string(&kept).ok()
}

/// A 000 body's `reference_id`, when it is a plain printable id (never card data).
pub(crate) fn infinic_reference(body: &str) -> Option<String> {
    let v = mitgate_core::json::parse(body).ok()?;
    let r = text(member(&v, "reference_id")?)?;
    let ok = !r.is_empty()
        && r.len() <= 200
        && r.bytes().all(|b| (0x21..0x7f).contains(&b))
        && !mitgate_core::pan::looks_like_card_number(r);
    ok.then(|| r.to_string())
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
                store_capture(app, merchant, DialectId::Infinic, captured, serde_json::Map::new())
                    .await
                    .map_err(|m| HttpResponse::error(ErrorCode::StoreUnavailable, m))?;
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
    let ledger = app.stores.attempts(merchant, &link.agreement_id).await.map_err(|e| store_failed(&e))?;
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
    let recorded = record_outcome(app, merchant, &record, &history, &outcome).await;
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
