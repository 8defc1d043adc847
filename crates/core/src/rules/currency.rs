//! Every charge is in the agreement's currency; mitgate never converts.

use super::{violation, Context};
use crate::decision::{Code, Details, MismatchDetails, Violation};

/// Whether the request's currency is the agreement's (true for a limits query).
pub(crate) fn matches(ctx: &Context<'_>) -> bool {
    ctx.request.is_none_or(|r| r.amount.currency() == ctx.agreement.currency)
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let Some(req) = ctx.request else { return };
    if !matches(ctx) {
        out.push(violation(
            Code::CurrencyMismatch,
            format!(
                "The charge is in {} but the agreement is in {}.",
                req.amount.currency(),
                ctx.agreement.currency
            ),
            None,
            Details::Mismatch(MismatchDetails {
                field: "amount.currency",
                requested: req.amount.currency().code().to_string(),
                expected: Some(ctx.agreement.currency.code().to_string()),
            }),
        ));
    }
}
