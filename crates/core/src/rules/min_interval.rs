//! Minimum interval between charges: the agreement's `minIntervalDays` (003 `frequency`, whole days of
//! 86 400 s) and the schedule's `interval` (calendar months are added on the calendar, clamped to the
//! month's end). Declined and released attempts do not count; approved and pending ones do. For
//! `minIntervalDays` the initial CIT counts too when it moved money (003: the minimum applies "within the
//! same chain", whose first payment is the `01F`; a zero-amount authorization is not a payment). A
//! schedule anchors its own first charge at `initialDate`, so its interval runs between MITs only.

use super::{violation, Context};
use crate::decision::{Code, Details, IntervalDetails, Violation};
use crate::model::Interval;
use crate::time::Timestamp;

/// The first instant a charge may follow the last one, and the last charge's instant.
pub(crate) fn next_allowed(ctx: &Context<'_>) -> Option<(Timestamp, Timestamp)> {
    let terms = &ctx.agreement.terms;
    let days = terms.min_interval_days;
    let interval = terms.schedule.and_then(|s| s.interval);
    if days.is_none() && interval.is_none() {
        return None;
    }
    let last_mit = ctx.attempts.iter().rev().find(|a| a.status.is_charge()).map(|a| a.at);
    let est = &ctx.agreement.established;
    let initial_payment = est.amount.filter(|m| !m.is_zero()).map(|_| est.at).filter(|at| *at <= ctx.now);
    let last_in_chain = last_mit.into_iter().chain(initial_payment).max();
    let by_days = days.zip(last_in_chain).map(|(d, last)| (last.plus_seconds(u64::from(d) * 86_400), last));
    let by_interval = interval.zip(last_mit).map(|(i, last)| (add_interval(last, i), last));
    by_days.into_iter().chain(by_interval).max()
}

fn add_interval(t: Timestamp, interval: Interval) -> Timestamp {
    match interval {
        Interval::Daily => t.plus_seconds(86_400),
        Interval::Weekly => t.plus_seconds(7 * 86_400),
        Interval::Biweekly => t.plus_seconds(14 * 86_400),
        Interval::Monthly => t.plus_months(1),
        Interval::Quarterly => t.plus_months(3),
        Interval::SemiAnnually => t.plus_months(6),
        Interval::Yearly => t.plus_months(12),
    }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let Some((next, last)) = next_allowed(ctx) else { return };
    if ctx.now < next {
        let terms = &ctx.agreement.terms;
        out.push(violation(
            Code::IntervalTooShort,
            format!("The previous charge was at {last}; the agreement allows the next one from {next}."),
            Some(next),
            Details::Interval(IntervalDetails {
                last_charge_at: last,
                min_interval_days: terms.min_interval_days,
                schedule_interval: terms.schedule.and_then(|s| s.interval),
                next_eligible_at: next,
            }),
        ));
    }
}
