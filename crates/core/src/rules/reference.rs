//! The reference must be the original CIT: not an MIT (no chaining) and not a mobile-wallet payment (001).

use super::{violation, Context};
use crate::decision::{Code, Details, MismatchDetails, Violation};
use crate::model::GRANDFATHERED_REFERENCE;

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    if let Some(req) = ctx.request {
        // The lookup admitted the reference: it is the initial CIT, `-100`, or the payment id of one of
        // the agreement's MITs, whatever its timestamp (an MIT stamped a little after `now` by a skewed
        // clock is still an MIT). Anything but the first two is chaining.
        let chained = req.reference != ctx.agreement.id && req.reference != GRANDFATHERED_REFERENCE;
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
