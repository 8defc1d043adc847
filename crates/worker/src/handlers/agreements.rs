//! `/v1/agreements/{id}`: read, write (never loosening a status), revoke, and the limits left.

use mitgate_core::decision::Limits;
use mitgate_core::engine::{self, LimitsQuery};
use mitgate_core::json::FromJson;
use mitgate_core::model::{Agreement, AgreementStatus, Attempt, History, Payment};
use mitgate_core::state;
use mitgate_core::time::Timestamp;
use mitgate_core::validate::FieldError;
use mitgate_dialects::DialectId;
use serde::Serialize;

use super::load::{credential_attempts, index_customer, payments_of};
use super::{forbidden, not_found, now_plus_a_day, parse_body};
use crate::app::{store_failed, Answer, App, Call};
use crate::error::ErrorCode;
use crate::http::HttpResponse;
use crate::store::indexes::TOKEN;
use crate::store::{AgreementRecord, AttemptLedger, Kv, ProcessorContext, StoreError};

/// The body of `PUT /v1/agreements/{id}`.
#[derive(Debug, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PutAgreement {
    agreement: Agreement,
    history: Option<History>,
    dialect: Option<DialectId>,
    #[serde(default)]
    processor_context: ProcessorContext,
}

/// An agreement as `GET /v1/agreements/{id}` answers it: the agreement, its payments and attempts
/// (openapi.yaml `AgreementRecord`). Written with `HttpResponse::json_in_name_order`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RecordView<'a> {
    /// The agreement.
    pub agreement: &'a Agreement,
    /// Its payments and its attempt ledger.
    pub history: HistoryView<'a>,
    /// The processor it was made with.
    pub dialect: Option<DialectId>,
    /// The processor's own fields kept for its MITs.
    pub processor_context: &'a ProcessorContext,
    /// When it was first stored.
    pub created_at: Timestamp,
    /// When it was last written.
    pub updated_at: Timestamp,
}

/// `RecordView.history`.
#[derive(Debug, Serialize)]
pub(crate) struct HistoryView<'a> {
    /// The CIT payments.
    pub payments: &'a [Payment],
    /// The MIT attempts.
    pub attempts: &'a [Attempt],
}

/// The view of `record` with its `ledger`.
pub(crate) fn record_json<'a>(record: &'a AgreementRecord, ledger: &'a AttemptLedger) -> RecordView<'a> {
    RecordView {
        agreement: &record.agreement,
        history: HistoryView { payments: &record.payments, attempts: &ledger.attempts },
        dialect: record.dialect,
        processor_context: &record.processor_context,
        created_at: record.created_at,
        updated_at: record.updated_at,
    }
}

/// The answer of `GET /v1/agreements/{id}/limits` (openapi.yaml `LimitsAnswer`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LimitsAnswer<'a> {
    /// The instant the limits are computed at.
    pub now: Timestamp,
    /// The agreement's status.
    pub agreement_status: AgreementStatus,
    /// The limits.
    pub limits: &'a Limits,
}

/// Loads an agreement the caller owns: 404 when missing, which is what another merchant's id gives too
/// (agreements are keyed by merchant; the 403 is a guard against a record stored under the wrong key).
pub(crate) async fn owned<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    id: &str,
) -> Result<AgreementRecord, HttpResponse> {
    let record = app.stores.agreement(merchant, id).await.map_err(|e| store_failed(&e))?;
    match record {
        None => Err(not_found("agreement", id)),
        Some(r) if r.agreement.merchant_id != merchant => Err(forbidden("agreement")),
        Some(r) => Ok(r),
    }
}

/// `GET /v1/agreements/{id}`: the agreement and its history.
pub(crate) async fn get<K: Kv, P>(app: &App<'_, K, P>, call: &Call<'_>) -> Answer {
    let (merchant, id) = (call.merchant, call.id);
    let record = owned(app, merchant, id).await?;
    let ledger = app.stores.ledger(merchant, id).await.map_err(|e| store_failed(&e))?;
    Ok(HttpResponse::json_in_name_order(200, &record_json(&record, &ledger)))
}

/// `PUT /v1/agreements/{id}`: creates or replaces an agreement (never loosening its status) and adds
/// the attempts it brings.
pub(crate) async fn put<K: Kv, P>(app: &App<'_, K, P>, call: &Call<'_>) -> Answer {
    let (merchant, id, req) = (call.merchant, call.id, call.request);
    let body: PutAgreement = parse_body(req)?;
    let mut errors = Vec::new();
    body.agreement.validate("agreement", &mut errors);
    if let Some(h) = &body.history {
        h.validate("history", &mut errors);
    }
    if body.agreement.id != id {
        errors.push(FieldError::new("agreement.id", "must equal the id in the path"));
    }
    if body.agreement.established.at > now_plus_a_day(app.now) {
        errors.push(FieldError::new("agreement.established.at", "is in the future"));
    }
    for (k, v) in &body.processor_context {
        if mitgate_core::json::parse(v.as_str()).is_ok_and(|v| crate::tree::holds_card_number(&v)) {
            errors.push(FieldError::new(
                format!("processorContext.{k}"),
                "looks like a card number; never send card data",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(HttpResponse::invalid(&errors));
    }
    if body.agreement.merchant_id != merchant {
        return Err(HttpResponse::error(
            ErrorCode::Forbidden,
            "agreement.merchantId must be your own merchant id",
        ));
    }
    let existing = app.stores.agreement(merchant, id).await.map_err(|e| store_failed(&e))?;
    if existing.as_ref().is_some_and(|r| r.agreement.merchant_id != merchant) {
        return Err(forbidden("agreement"));
    }
    // A PUT never loosens the status: a revocation, or a re-authentication the processor asked for, stands
    // until a new authenticated CIT creates a new agreement (issue 15, item 1).
    if let Some(prev) = &existing {
        if strictness(body.agreement.status) < strictness(prev.agreement.status) {
            return Err(HttpResponse::error(ErrorCode::AgreementStatusStands, format!(
                    "this agreement is {}; a PUT cannot make it {} (a new authenticated CIT creates a new agreement)",
                    status_name(prev.agreement.status),
                    status_name(body.agreement.status)
                ),
            ));
        }
    }
    let created = existing.is_none();
    let history = body.history.unwrap_or_default();
    let record = AgreementRecord {
        agreement: body.agreement,
        payments: history.payments,
        dialect: body.dialect.or_else(|| existing.as_ref().and_then(|r| r.dialect)),
        processor_context: body.processor_context,
        created_at: existing.as_ref().map_or(app.now, |r| r.created_at),
        updated_at: app.now,
        rev: existing.as_ref().map_or(0, |r| r.rev),
    };
    app.stores.put_agreement(&record).await.map_err(|e| store_failed(&e))?;
    // Once the agreement is written a failure must not answer "nothing was changed": say what was written.
    // A PUT is idempotent, so sending it again completes it.
    let partial = |e: &StoreError| {
        HttpResponse::error(ErrorCode::StoreUnavailable, format!(
                "the agreement was written but its indexes or attempts were not ({}); send the same PUT again \
                 to complete it",
                e.0
            ),
        )
        .with_header("retry-after", "1")
    };
    let token = &record.agreement.credential.token;
    app.stores.link(&TOKEN, merchant, token, &id.to_string()).await.map_err(|e| partial(&e))?;
    app.stores.add_token_agreement(merchant, token, id).await.map_err(|e| partial(&e))?;
    if let Some(customer) = &record.agreement.customer_id {
        app.stores.add_customer_agreement(merchant, customer, id).await.map_err(|e| partial(&e))?;
    }
    // Attempts are added, never replaced or dropped: the ledger keeps every attempt it holds (pending ones
    // keep their slots); a given attempt whose id is already there is ignored.
    let mut ledger = app.stores.ledger(merchant, id).await.map_err(|e| partial(&e))?;
    for attempt in history.attempts {
        if !ledger.attempts.iter().any(|a| a.id == attempt.id) {
            app.stores.merge_attempt(merchant, id, &attempt).await.map_err(|e| partial(&e))?;
            ledger.attempts.push(attempt);
        }
    }
    let answer =
        HttpResponse::json_in_name_order(if created { 201 } else { 200 }, &record_json(&record, &ledger));
    Ok(match index_customer(app, &record).await {
        Ok(()) => answer,
        Err(m) => answer.with_header("x-mitgate-warning", m),
    })
}

/// How far a status is from chargeable: a PUT may keep or raise it, never lower it.
fn strictness(status: AgreementStatus) -> u8 {
    match status {
        AgreementStatus::Active => 0,
        AgreementStatus::ReauthenticationRequired => 1,
        AgreementStatus::Revoked => 2,
    }
}

fn status_name(status: AgreementStatus) -> &'static str {
    match status {
        AgreementStatus::Active => "active",
        AgreementStatus::ReauthenticationRequired => "reauthentication_required",
        AgreementStatus::Revoked => "revoked",
    }
}

/// `DELETE /v1/agreements/{id}?reason=`: revokes the agreement (kept, with its history).
pub(crate) async fn delete<K: Kv, P>(app: &App<'_, K, P>, call: &Call<'_>) -> Answer {
    let (merchant, id, req) = (call.merchant, call.id, call.request);
    let mut record = owned(app, merchant, id).await?;
    let reason = req.query_param("reason").unwrap_or_else(|| "customer_removed_card".to_string());
    let mut errors = Vec::new();
    if reason.is_empty()
        || reason.len() > 64
        || !reason.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        errors.push(FieldError::new("reason", "must be 1-64 letters, digits or underscores"));
        return Err(HttpResponse::invalid(&errors));
    }
    record.agreement = state::revoke(&record.agreement, app.now, &reason);
    record.updated_at = app.now;
    app.stores.put_agreement(&record).await.map_err(|e| store_failed(&e))?;
    let ledger = app.stores.ledger(merchant, id).await.map_err(|e| store_failed(&e))?;
    Ok(HttpResponse::json_in_name_order(200, &record_json(&record, &ledger)))
}

/// `GET /v1/agreements/{id}/limits`: what the policy still allows on this agreement now.
pub(crate) async fn limits<K: Kv, P>(app: &App<'_, K, P>, call: &Call<'_>) -> Answer {
    let (merchant, id) = (call.merchant, call.id);
    let record = owned(app, merchant, id).await?;
    let ledger = app.stores.ledger(merchant, id).await.map_err(|e| store_failed(&e))?;
    let policy = app.stores.policy(merchant).await.map_err(|e| store_failed(&e))?.unwrap_or_default();
    let payments = payments_of(app, &record).await.map_err(|e| store_failed(&e))?;
    let credential_attempts =
        credential_attempts(app, merchant, &record.agreement).await.map_err(|e| store_failed(&e))?;
    let query = LimitsQuery {
        now: app.now,
        policy,
        agreement: record.agreement,
        history: History { payments, attempts: ledger.attempts, credential_attempts },
    };
    let limits = engine::limits(&query);
    let answer = LimitsAnswer { now: app.now, agreement_status: query.agreement.status, limits: &limits };
    Ok(HttpResponse::json_in_name_order(200, &answer))
}
