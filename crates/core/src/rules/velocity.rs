//! Velocity (001, 429): at most `maxCount` MITs per reference within any `period` seconds, as an exact
//! sliding window `(now - period, now]`. An attempt at `t` holds its slot until `t + period`, exclusive:
//! at `t + period` exactly the slot is free again. Released attempts (never sent) hold no slot.

use super::{violation, Context};
use crate::decision::{Code, Details, VelocityLimit, Violation};

/// Velocity use at `ctx.now`, or `None` when the policy sets no `maxCount`.
pub(crate) fn limit(ctx: &Context<'_>) -> Option<VelocityLimit> {
    let allowed = ctx.policy.max_count?;
    let period = ctx.policy.period?;
    let window_start = ctx.now.minus_seconds(period);
    // INVARIANT: ctx.attempts is sorted by time, so the holding attempts are too. Counted without
    // collecting them: the decision path allocates nothing here.
    // Sorted by time: the attempts after the window's start are a suffix, found by binary search.
    let start = ctx.attempts.partition_point(|a| a.at <= window_start);
    let recent = ctx.attempts.get(start..).unwrap_or_default();
    let holding = || {
        recent
            .iter()
            .filter(move |a| a.status.holds_slot() && a.at > window_start && a.at <= ctx.now)
            .map(|a| a.at)
    };
    let used = u32::try_from(holding().count()).unwrap_or(u32::MAX);
    let next_slot_at = if used >= allowed && allowed > 0 {
        // The slot that must free for used < allowed again.
        let index = usize::try_from(used - allowed).unwrap_or(usize::MAX);
        holding().nth(index).map(|at| at.plus_seconds(period))
    } else {
        None
    };
    Some(VelocityLimit {
        used,
        allowed,
        remaining: allowed.saturating_sub(used),
        period_seconds: period,
        window_start,
        next_slot_at,
    })
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let Some(limit) = limit(ctx) else { return };
    if limit.used >= limit.allowed {
        out.push(violation(
            Code::VelocityExceeded,
            format!(
                "Max number of Card-on-File payments reached. ({} payments in {} seconds)",
                limit.used, limit.period_seconds
            ),
            limit.next_slot_at,
            Details::Velocity(limit),
        ));
    }
}
