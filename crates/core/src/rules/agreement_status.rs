//! A revoked agreement stops every MIT; a chain that needs re-authentication (soft decline 8026, expired
//! card) stops until the customer completes a new authenticated CIT, which starts a new agreement.

use super::{network_retry::decline_codes, violation, Context};
use crate::decision::{Code, Details, StatusDetails, Violation};
use crate::model::{AgreementStatus, Attempt, AttemptStatus, DeclineReason};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let a = ctx.agreement;
    let details =
        |status, reason: Option<String>, since| Details::Status(StatusDetails { status, reason, since });
    match a.status {
        AgreementStatus::Revoked => {
            out.push(violation(
                Code::AgreementRevoked,
                "The agreement has been revoked; no merchant-initiated charge may follow.".to_string(),
                None,
                details(a.status, a.status_reason.clone(), a.status_changed_at),
            ));
            return;
        }
        AgreementStatus::ReauthenticationRequired => {
            out.push(reauth(details(a.status, a.status_reason.clone(), a.status_changed_at)));
            return;
        }
        AgreementStatus::Active => {}
    }
    // The history speaks even when a store failed to update the status.
    let soft = ctx.attempts.iter().rev().find(|att| is_soft_decline(att));
    if let Some(att) = soft {
        out.push(reauth(details(
            AgreementStatus::ReauthenticationRequired,
            Some("soft_decline_8026".to_string()),
            Some(att.resolved_at.unwrap_or(att.at)),
        )));
    }
}

/// A declined attempt whose decline asks for a new authenticated chain (soft decline 8026).
pub(crate) fn is_soft_decline(att: &Attempt) -> bool {
    att.status == AttemptStatus::Declined
        && att.decline.as_ref().is_some_and(|d| {
            d.reason == DeclineReason::AuthenticationRequired
                || d.code.as_deref() == Some(decline_codes::SOFT_DECLINE_AUTHENTICATION_REQUIRED)
        })
}

fn reauth(details: Details) -> Violation {
    violation(
        Code::ReauthenticationRequired,
        "Soft decline - Cardholder authentication required: start a new chain with an authenticated customer-initiated transaction.".to_string(),
        None,
        details,
    )
}
