//! Outcomes of forwarded attempts: `POST /v1/agreements/{id}/attempts/{attemptId}/outcome` (the merchant
//! reports one) and [`record_outcome`] (a processor's answer, read by a charge or a webhook).

use mitgate_core::model::{Agreement, AgreementStatus, AttemptStatus, History, Outcome, OutcomeResult};
use mitgate_core::state;
use mitgate_json::FromJson;

use super::agreements::{owned, record_json};
use super::{invalid_one, not_found, parse_body};
use crate::app::{store_failed, Answer, App, Call};
use crate::error::ErrorCode;
use crate::http::HttpResponse;
use crate::store::{AgreementRecord, AttemptLedger, Kv, StoreError};

/// `POST /v1/agreements/{id}/attempts/{attemptId}/outcome` body: how a pending attempt ended, as the
/// merchant learnt it from the processor (a timeout or a lost connection leaves the attempt pending).
#[derive(Debug, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OutcomeBody {
    result: OutcomeResult,
    payment_id: Option<String>,
    decline: Option<mitgate_core::model::Decline>,
}

/// `POST /v1/agreements/{id}/attempts/{attemptId}/outcome`.
pub(crate) async fn post<K: Kv, P>(app: &App<'_, K, P>, call: &Call<'_>) -> Answer {
    let (merchant, id, attempt_id, req) = (call.merchant, call.id, call.attempt, call.request);
    let body: OutcomeBody = parse_body(req)?;
    let record = owned(app, merchant, id).await?;
    let ledger = app.stores.ledger(merchant, id).await.map_err(|e| store_failed(&e))?;
    let history =
        History { payments: record.payments.clone(), attempts: ledger.attempts, ..Default::default() };
    let outcome = Outcome {
        attempt_id: attempt_id.to_string(),
        at: app.now,
        result: body.result,
        payment_id: body.payment_id,
        decline: body.decline,
    };
    let mut errors = Vec::new();
    outcome.validate("", &mut errors);
    if !errors.is_empty() {
        return Err(HttpResponse::invalid(&errors));
    }
    let (agreement, next) =
        state::apply_outcome(&record.agreement, &history, &outcome).map_err(|e| match e {
            state::StateError::UnknownAttempt(_) => not_found("attempt", attempt_id),
            state::StateError::MissingDecline => {
                invalid_one("decline", "is required when result is declined")
            }
            other => HttpResponse::error(ErrorCode::Conflict, other.to_string()),
        })?;
    // INVARIANT: the attempt's resolution is written last. Until it is, the attempt is pending and the
    // same request applies the outcome again, so a failure part way leaves a state the retry completes
    // (the agreement's new status and the payment index are written before, and are idempotent).
    let mut record = record;
    if agreement != record.agreement {
        record.agreement = agreement;
        record.updated_at = app.now;
        app.stores.put_agreement(&record).await.map_err(|e| store_failed(&e))?;
    }
    let partial = |e: &StoreError| {
        HttpResponse::error(
            ErrorCode::StoreUnavailable,
            format!(
                "the outcome was not recorded ({}): attempt {attempt_id} is still pending; the agreement's \
                 status may already show it. Send the same request again to complete it",
                e.0
            ),
        )
        .with_header("retry-after", "1")
    };
    if let Some(pid) = outcome.payment_id.as_deref() {
        app.stores.index_mit_payment(merchant, pid, id, false).await.map_err(|e| partial(&e))?;
    }
    if let Some(settled) = next.attempts.iter().find(|a| a.id == attempt_id) {
        app.stores.merge_attempt(merchant, id, settled).await.map_err(|e| partial(&e))?;
    }
    let ledger = AttemptLedger { attempts: next.attempts };
    Ok(HttpResponse::json_in_name_order(200, &record_json(&record, &ledger)))
}

/// What recording an outcome did.
pub(crate) struct Recorded {
    /// The agreement after the outcome.
    pub agreement: Agreement,
    /// The attempt's status as stored (pending when the write failed).
    pub status: AttemptStatus,
    /// What could not be recorded, or why the outcome was not applied.
    pub warning: Option<String>,
    /// The attempt as the outcome left it, when its write was left to the caller
    /// ([`record_outcome_with`] with `merge_now` false): it is written with the final answer.
    pub settled: Option<mitgate_core::model::Attempt>,
}

/// A processor's outcome as mitgate may store it: a payment id or decline code that is not a plain id or
/// carries a card number is dropped (it would become a storage key or a stored value), never kept.
fn without_card_data(outcome: &Outcome) -> Outcome {
    let mut clean = outcome.clone();
    let mut errors = Vec::new();
    if let Some(p) = &clean.payment_id {
        mitgate_core::model::Outcome { payment_id: Some(p.clone()), decline: None, ..outcome.clone() }
            .validate("", &mut errors);
        if !errors.is_empty() {
            clean.payment_id = None;
        }
    }
    if let Some(d) = &mut clean.decline {
        for code in [&mut d.code, &mut d.advice_code] {
            if code.as_deref().is_some_and(mitgate_core::pan::looks_like_card_number) {
                *code = None;
            }
        }
    }
    clean
}

/// Applies a processor outcome to its attempt and writes the result back: the attempt merged into the
/// latest ledger (so concurrent charges' attempts are not erased), the agreement when its status changed
/// (8026, expired card), the payment index for the MIT's payment id. Never fails: what cannot be written
/// is reported in `warning`, and the attempt then stays pending (it keeps its velocity slot).
pub(crate) async fn record_outcome<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    record: &AgreementRecord,
    history: &History,
    outcome: &Outcome,
) -> Recorded {
    record_outcome_with(app, merchant, record, history, outcome, true).await
}

/// [`record_outcome`]; with `merge_now` false the settled attempt is not written but returned
/// (`Recorded::settled`), for the caller to write in the one call that also stores the key's final answer
/// (`idempotency::KeyTaker`, issue 14). Its status is then reported as settled.
pub(crate) async fn record_outcome_with<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    record: &AgreementRecord,
    history: &History,
    outcome: &Outcome,
    merge_now: bool,
) -> Recorded {
    let agreement_id = record.agreement.id.as_str();
    let attempt_id = outcome.attempt_id.as_str();
    let outcome = &without_card_data(outcome);
    let (next_agreement, next_history) = match state::apply_outcome(&record.agreement, history, outcome) {
        Ok(next) => next,
        Err(e) => {
            let status = history
                .attempts
                .iter()
                .find(|a| a.id == attempt_id)
                .map_or(AttemptStatus::Pending, |a| a.status);
            return Recorded {
                agreement: record.agreement.clone(),
                status,
                warning: Some(format!("outcome not applied: {e}")),
                settled: None,
            };
        }
    };
    let mut warnings = Vec::new();
    let mut status = next_history
        .attempts
        .iter()
        .find(|a| a.id == attempt_id)
        .map_or(AttemptStatus::Pending, |a| a.status);
    let ours = next_history.attempts.iter().find(|a| a.id == attempt_id);
    let settled = ours.filter(|_| !merge_now).cloned();
    let written = match ours {
        Some(ours) if merge_now => app.stores.merge_attempt(merchant, agreement_id, ours).await,
        Some(_) | None => Ok(()),
    };
    if let Err(e) = written {
        warnings.push(format!("outcome not recorded ({}); the attempt stays pending", e.0));
        status = AttemptStatus::Pending;
    }
    if next_agreement != record.agreement {
        // With KV the status goes onto the agreement as the outcome's merge just read it, so a revocation
        // written since the charge started stands (store/ledger.rs).
        let mut next = app.stores.held_record(merchant, agreement_id).unwrap_or_else(|| record.clone());
        if next.agreement.status == AgreementStatus::Active {
            next.agreement.status = next_agreement.status;
            next.agreement.status_reason.clone_from(&next_agreement.status_reason);
            next.agreement.status_changed_at = next_agreement.status_changed_at;
        }
        next.updated_at = app.now;
        if let Err(e) = app.stores.put_agreement(&next).await {
            warnings.push(format!("agreement status not recorded ({})", e.0));
        }
    }
    if let Some(pid) = outcome.payment_id.as_deref() {
        // With the Durable Object store, sent once the charge is answered (no write before the answer).
        if let Err(e) = app.stores.index_mit_payment(merchant, pid, agreement_id, true).await {
            warnings.push(format!("payment index not recorded ({})", e.0));
        }
    }
    // Every failure is reported, not only the last.
    let warning = (!warnings.is_empty()).then(|| warnings.join("; "));
    Recorded { agreement: next_agreement, status, warning, settled }
}
