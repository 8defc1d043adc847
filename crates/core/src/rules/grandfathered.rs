//! Grandfathered references (003: `bankTransactionID` `-100`) are accepted only for chains set up before
//! SCA, only for recurring (`01N`) and unscheduled (`03N`) types, and only while the policy allows them.

use super::{violation, Context};
use crate::decision::{Code, Details, Violation};
use crate::model::{EstablishmentMethod, MitType, GRANDFATHERED_REFERENCE};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let Some(req) = ctx.request else { return };
    if req.reference != GRANDFATHERED_REFERENCE {
        return;
    }
    let a = ctx.agreement;
    let reason = if !ctx.policy.allow_grandfathered {
        Some("the merchant policy does not accept grandfathered references".to_string())
    } else if a.established.method != EstablishmentMethod::Grandfathered {
        Some(format!(
            "the agreement was established by {} on {}; reference its first transaction `{}` instead",
            establishment_name(a.established.method),
            a.established.at,
            a.id
        ))
    } else if a.mit_type == MitType::Installment {
        Some(
            "grandfathered references exist only for recurring (01N) and unscheduled (03N) chains"
                .to_string(),
        )
    } else {
        None
    };
    if let Some(reason) = reason {
        out.push(violation(
            Code::GrandfatheredNotAllowed,
            format!("Grandfathered reference -100 not allowed: {reason}."),
            None,
            Details::None {},
        ));
    }
}

fn establishment_name(m: EstablishmentMethod) -> &'static str {
    match m {
        EstablishmentMethod::CvvPurchase => "a CVV-verified purchase",
        EstablishmentMethod::ZeroAuth => "a zero authorization",
        EstablishmentMethod::Sca => "an SCA-authenticated transaction",
        EstablishmentMethod::Grandfathered => "a grandfathered chain",
    }
}
