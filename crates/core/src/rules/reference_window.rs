//! A reference is usable for `expiration` seconds after the original payment (001: 410). The window is
//! half-open: at `establishedAt + expiration` exactly, the reference has expired. Grandfathered chains
//! (003) have no original payment to reference, so the window does not apply to them.

use super::{violation, Context};
use crate::decision::{Code, Details, ExpiryDetails, Violation};
use crate::model::EstablishmentMethod;
use crate::time::Timestamp;

/// The first instant the reference can no longer be used.
pub(crate) fn expires_at(ctx: &Context<'_>) -> Option<Timestamp> {
    if ctx.agreement.established.method == EstablishmentMethod::Grandfathered {
        return None;
    }
    ctx.policy.expiration.map(|e| ctx.agreement.established.at.plus_seconds(e))
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let (Some(window), Some(at)) = (ctx.policy.expiration, expires_at(ctx)) else {
        return;
    };
    if ctx.now >= at {
        out.push(violation(
            Code::ReferenceExpired,
            format!(
                "This original payment can no longer be used as a card-on-file reference because it has exceeded the allowed {}-minute reference window (expired {at}).",
                window / 60
            ),
            None,
            Details::Expiry(ExpiryDetails {
                subject: "reference",
                at,
                window_seconds: Some(window),
                from: Some(ctx.agreement.established.at),
            }),
        ));
    }
}
