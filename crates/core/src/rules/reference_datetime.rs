//! Where the request repeats the original transaction's timestamp (002 `originalTransaction.datetime`),
//! it must equal the original's exactly (the same instant, to the nanosecond; offsets are normalized).

use super::{violation, Context};
use crate::decision::{Code, Details, MismatchDetails, Violation};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let Some(given) = ctx.request.and_then(|r| r.reference_at) else { return };
    let original = ctx.agreement.established.at;
    if given != original {
        out.push(violation(
            Code::ReferenceDatetimeMismatch,
            format!("originalTransaction.datetime {given} does not match the original transaction timestamp {original}."),
            None,
            Details::Mismatch(MismatchDetails {
                field: "referenceAt",
                requested: given.to_rfc3339(),
                expected: Some(original.to_rfc3339()),
            }),
        ));
    }
}
