//! An installment agreement allows exactly `installmentCount` charges (approved or pending).

use super::{violation, Context};
use crate::decision::{Code, Details, InstallmentLimit, Violation};
use crate::model::MitType;

/// Installments used of the agreed count.
pub(crate) fn limit(ctx: &Context<'_>) -> Option<InstallmentLimit> {
    if ctx.agreement.mit_type != MitType::Installment {
        return None;
    }
    let allowed = ctx.agreement.terms.installment_count?;
    let used = ctx.attempts.iter().filter(|a| a.status.is_charge()).count();
    Some(InstallmentLimit { used: u32::try_from(used).unwrap_or(u32::MAX), allowed })
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let Some(limit) = limit(ctx) else { return };
    if limit.used >= limit.allowed {
        out.push(violation(
            Code::InstallmentsExhausted,
            format!("All {} agreed installments have been charged.", limit.allowed),
            None,
            Details::Installments(limit),
        ));
    }
}
