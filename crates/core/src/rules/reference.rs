//! The reference must be the original CIT: not an MIT (no chaining) and not a mobile-wallet payment (001).

use super::{violation, Context};
use crate::decision::{Code, Details, MismatchDetails, Violation};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    if let Some(req) = ctx.request {
        let chained = req.reference != ctx.agreement.id
            && ctx.attempts.iter().any(|a| a.payment_id.as_deref() == Some(req.reference.as_str()));
        if chained {
            out.push(violation(
                Code::ReferenceIsMit,
                "Cannot perform card on file operations for a originalPaymentId which is a card on file transaction, please pass the originalPaymentId which processed with the CVV Verification.".to_string(),
                None,
                Details::Mismatch(MismatchDetails {
                    field: "reference",
                    requested: req.reference.clone(),
                    expected: Some(ctx.agreement.id.clone()),
                }),
            ));
        }
    }
    if ctx.agreement.payment_method.kind.is_wallet() {
        out.push(violation(
            Code::ReferenceIsWallet,
            "Cannot perform card on file operations for mobile wallet payments.".to_string(),
            None,
            Details::None {},
        ));
    }
}
