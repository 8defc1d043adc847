//! State transitions as pure functions: what an admitted charge records, and how a processor outcome
//! or a revocation changes the agreement for the next decision.

use crate::decision::{Decision, Verdict};
use crate::model::{
    Agreement, AgreementStatus, Attempt, AttemptStatus, ChargeRequest, DeclineReason, History, Outcome,
    OutcomeResult,
};
use crate::rules::network_retry::decline_codes;
use crate::time::Timestamp;

/// Why a transition was refused. The inputs are left unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Only an allowed decision may be recorded.
    #[error("the decision refused the charge; nothing to record")]
    NotAllowed,
    /// Attempt ids are unique per agreement.
    #[error("attempt `{0}` is already recorded")]
    DuplicateAttempt(String),
    /// The outcome names no known attempt.
    #[error("no attempt `{0}` on this agreement")]
    UnknownAttempt(String),
    /// The attempt already has a different outcome.
    #[error("attempt `{0}` already has an outcome")]
    AlreadyResolved(String),
    /// A declined outcome needs its decline.
    #[error("a declined outcome needs `decline`")]
    MissingDecline,
}

/// Records an allowed charge as a pending attempt: it holds a velocity slot from `now` on.
pub fn record_attempt(
    agreement: &Agreement,
    history: &History,
    request: &ChargeRequest,
    decision: &Decision,
    attempt_id: &str,
    now: Timestamp,
) -> Result<History, StateError> {
    if decision.outcome != Verdict::Allowed {
        return Err(StateError::NotAllowed);
    }
    let mut next = history.clone();
    record_attempt_in_place(agreement, &mut next, request, decision, attempt_id, now)?;
    Ok(next)
}

/// [`record_attempt`] on a history the caller owns (an agreement handle): on an error it is unchanged.
pub fn record_attempt_in_place(
    agreement: &Agreement,
    history: &mut History,
    request: &ChargeRequest,
    decision: &Decision,
    attempt_id: &str,
    now: Timestamp,
) -> Result<(), StateError> {
    if decision.outcome != Verdict::Allowed {
        return Err(StateError::NotAllowed);
    }
    if history.attempts.iter().any(|a| a.id == attempt_id) {
        return Err(StateError::DuplicateAttempt(attempt_id.to_string()));
    }
    history.attempts.push(Attempt {
        id: attempt_id.to_string(),
        at: now,
        amount: request.amount,
        status: AttemptStatus::Pending,
        payment_id: None,
        credential_token: Some(agreement.credential.token.clone()),
        decline: None,
        resolved_at: None,
    });
    Ok(())
}

/// Applies a processor outcome to its attempt, and to the agreement's status where the outcome demands:
/// soft decline 8026 (or reason `authentication_required`) and an expired card both require a new
/// authenticated CIT. Applying the same outcome twice is a no-op (webhooks are delivered at least once).
pub fn apply_outcome(
    agreement: &Agreement,
    history: &History,
    outcome: &Outcome,
) -> Result<(Agreement, History), StateError> {
    let (mut next_agreement, mut next_history) = (agreement.clone(), history.clone());
    apply_outcome_in_place(&mut next_agreement, &mut next_history, outcome)?;
    Ok((next_agreement, next_history))
}

/// [`apply_outcome`] on an agreement and history the caller owns (an agreement handle): on an error
/// both are unchanged.
pub fn apply_outcome_in_place(
    agreement: &mut Agreement,
    history: &mut History,
    outcome: &Outcome,
) -> Result<(), StateError> {
    let Some(attempt) = history.attempts.iter_mut().find(|a| a.id == outcome.attempt_id) else {
        return Err(StateError::UnknownAttempt(outcome.attempt_id.clone()));
    };
    let status = match outcome.result {
        OutcomeResult::Approved => AttemptStatus::Approved,
        OutcomeResult::Declined => AttemptStatus::Declined,
        OutcomeResult::NotSent => AttemptStatus::Released,
    };
    if attempt.status != AttemptStatus::Pending {
        let same = attempt.status == status
            && attempt.decline == outcome.decline
            && (outcome.payment_id.is_none() || attempt.payment_id == outcome.payment_id);
        return if same { Ok(()) } else { Err(StateError::AlreadyResolved(outcome.attempt_id.clone())) };
    }
    if status == AttemptStatus::Declined && outcome.decline.is_none() {
        return Err(StateError::MissingDecline);
    }
    // INVARIANT: every error is returned above; from here on the transition is applied whole.
    attempt.status = status;
    attempt.resolved_at = Some(outcome.at);
    attempt.payment_id = outcome.payment_id.clone().or(attempt.payment_id.take());
    attempt.decline = if status == AttemptStatus::Declined { outcome.decline.clone() } else { None };

    if let Some(d) = outcome.decline.as_ref().filter(|_| status == AttemptStatus::Declined) {
        let reason = if d.reason == DeclineReason::AuthenticationRequired
            || d.code.as_deref() == Some(decline_codes::SOFT_DECLINE_AUTHENTICATION_REQUIRED)
        {
            Some("soft_decline_8026")
        } else if d.reason == DeclineReason::CardExpired {
            Some("card_expired")
        } else {
            None
        };
        if let Some(reason) = reason {
            if agreement.status == AgreementStatus::Active {
                agreement.status = AgreementStatus::ReauthenticationRequired;
                agreement.status_reason = Some(reason.to_string());
                agreement.status_changed_at = Some(outcome.at);
            }
        }
    }
    Ok(())
}

/// Revokes an agreement (the customer removed the card or withdrew consent). Idempotent.
pub fn revoke(agreement: &Agreement, at: Timestamp, reason: &str) -> Agreement {
    if agreement.status == AgreementStatus::Revoked {
        return agreement.clone();
    }
    let mut next = agreement.clone();
    next.status = AgreementStatus::Revoked;
    next.status_reason = Some(reason.to_string());
    next.status_changed_at = Some(at);
    next
}
