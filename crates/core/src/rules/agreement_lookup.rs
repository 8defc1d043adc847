//! The agreement must exist, match the reference, belong to the merchant and (when the request names one)
//! to the customer (000: 404 "Credential not found", 403 "Not authorized to use this credential").

use super::violation;
use crate::decision::{Code, Details, MismatchDetails, Violation};
use crate::model::{Agreement, ChargeRequest, History, GRANDFATHERED_REFERENCE};

/// What the lookup concluded.
pub(crate) enum Lookup {
    /// The agreement is the caller's; evaluation goes on.
    Proceed,
    /// Evaluation must stop: the agreement is missing or not the caller's.
    Stop,
}

pub(crate) fn check(
    agreement: Option<&Agreement>,
    history: &History,
    request: &ChargeRequest,
    out: &mut Vec<Violation>,
) -> Lookup {
    let Some(agreement) = agreement else {
        out.push(not_found(&request.reference));
        return Lookup::Stop;
    };
    if agreement.merchant_id != request.merchant_id {
        // Reveal nothing about the owner.
        out.push(violation(
            Code::MerchantMismatch,
            "Not authorized to use this credential: it belongs to another merchant.".to_string(),
            None,
            Details::None {},
        ));
        return Lookup::Stop;
    }
    let names_agreement = request.reference == agreement.id
        || request.reference == GRANDFATHERED_REFERENCE
        || history.attempts.iter().any(|a| a.payment_id.as_deref() == Some(request.reference.as_str()));
    if !names_agreement {
        out.push(not_found(&request.reference));
        return Lookup::Stop;
    }
    if let (Some(asked), Some(owner)) = (&request.customer_id, &agreement.customer_id) {
        if asked != owner {
            out.push(violation(
                Code::CustomerMismatch,
                "The reference was not made by this customer.".to_string(),
                None,
                Details::Mismatch(MismatchDetails {
                    field: "customerId",
                    requested: asked.clone(),
                    expected: None,
                }),
            ));
        }
    }
    Lookup::Proceed
}

fn not_found(reference: &str) -> Violation {
    violation(
        Code::AgreementNotFound,
        format!(
            "Credential not found: no agreement for reference `{}`.",
            crate::money::truncate_for_message(reference)
        ),
        None,
        Details::None {},
    )
}
