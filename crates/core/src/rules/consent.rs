//! The initial CIT must carry the customer's consent to store the credential and to be charged by the
//! merchant (000: `allow_remember_credentials` and `request_unscheduled_mit` / `require_unscheduled_mit`).

use super::{violation, Context};
use crate::decision::{Code, Details, Violation};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let c = ctx.agreement.consent;
    let missing: Vec<&str> =
        [("storeCredential", c.store_credential), ("merchantInitiated", c.merchant_initiated)]
            .into_iter()
            .filter(|(_, given)| !given)
            .map(|(name, _)| name)
            .collect();
    if !missing.is_empty() {
        out.push(violation(
            Code::ConsentMissing,
            format!(
                "The initial payment lacks the customer's consent ({}); use credentials from a payment made with MIT enabled.",
                missing.join(", ")
            ),
            None,
            Details::None {},
        ));
    }
}
