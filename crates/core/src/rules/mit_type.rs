//! A request that declares its MIT type (003 `01N`/`03N`, 002 `RCRR`/`UCOF`) must match the agreement.
//! A recurring request is accepted on an installment agreement (both are fixed-schedule charges; the
//! dialects have no separate installment code). An agreement whose initial CIT declared no type
//! (`typeDeclared: false`, 002's plain `AUTH`) accepts any declared type: there is nothing to contradict.

use super::{violation, Context};
use crate::decision::{Code, Details, MismatchDetails, Violation};
use crate::model::MitType;

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let Some(asked) = ctx.request.and_then(|r| r.mit_type) else { return };
    if !ctx.agreement.type_declared {
        return;
    }
    let agreed = ctx.agreement.mit_type;
    let compatible = asked == agreed || (asked == MitType::Recurring && agreed == MitType::Installment);
    if !compatible {
        out.push(violation(
            Code::MitTypeMismatch,
            format!("The request is a {} MIT but the agreement is {}.", asked.as_str(), agreed.as_str()),
            None,
            Details::Mismatch(MismatchDetails {
                field: "type",
                requested: asked.as_str().to_string(),
                expected: Some(agreed.as_str().to_string()),
            }),
        ));
    }
}
