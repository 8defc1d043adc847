//! The card works through the last day of its expiry month (UTC); from the first instant of the next
//! month it has expired (000: `CardExpired`, "request new card").

use super::{violation, Context};
use crate::decision::{Code, Details, ExpiryDetails, Violation};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let Some(expiry) = ctx.agreement.credential.card_expiry else { return };
    let at = expiry.ends_at();
    if ctx.now >= at {
        out.push(violation(
            Code::CardExpired,
            format!("The card expired at the end of {expiry:?}; ask the customer for a new card."),
            None,
            Details::Expiry(ExpiryDetails { subject: "card", at, window_seconds: None, from: None }),
        ));
    }
}
