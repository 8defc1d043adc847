//! The agreement's validity end (002 `validityDate`, 003 `expiry`) is inclusive: charges are allowed up
//! to and including that instant, or through the whole UTC day when given as a date.

use super::{violation, Context};
use crate::decision::{Code, Details, ExpiryDetails, Violation};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let Some(valid_until) = ctx.agreement.terms.valid_until else { return };
    if !valid_until.covers(ctx.now) {
        let at = valid_until.ends_at();
        out.push(violation(
            Code::AgreementExpired,
            format!("The agreement was valid until {valid_until:?}; no further charge may be made on it."),
            None,
            Details::Expiry(ExpiryDetails { subject: "agreement", at, window_seconds: None, from: None }),
        ));
    }
}
