//! MIT must be switched on for the merchant (001: 403 "Merchant Initiated Transaction not enabled").

use super::{violation, Context};
use crate::decision::{Code, Details, Violation};
use crate::policy::Policy;

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    check_policy(ctx.policy, out);
}

/// Also used before the agreement is known.
pub(crate) fn check_policy(policy: &Policy, out: &mut Vec<Violation>) {
    if !policy.enabled {
        out.push(violation(
            Code::MitNotEnabled,
            "Merchant Initiated Transaction not enabled for this merchant.".to_string(),
            None,
            Details::None {},
        ));
    }
}
