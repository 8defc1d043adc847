//! Network reminder rules before a charge (policy `trialReminders`, off by default), by the card's brand
//! and the rule-set version judging `now`; the reminder's time is `request.reminderSentAt`.
//!
//! - The first charge at or after `agreement.terms.trialEndsAt` (no charge since the trial ended):
//!   - Visa: the reminder, with a cancellation link, at least 7 days before the charge. Sent later: the
//!     charge waits until 7 days after it (`trial_reminder_too_recent`, `retryAt`).
//!   - Mastercard, for a trial longer than 7 days (from `established.at` to `trialEndsAt`): the reminder
//!     no less than 3 and no more than 7 days before the trial ends, inclusive; outside that window a
//!     new trial end (and reminder) is needed (`trial_reminder_outside_window`).
//! - Mastercard, every other charge of a recurring agreement billed 6 months apart or more (schedule
//!   interval `semi_annually` or `yearly`): a reminder 3 to 7 days before the charge (the window is the
//!   trial window applied to the charge: the sources do not give it; unverified). Sent less than 3 days
//!   ago: wait until 3 days after it.
//!
//! Without a request (a limits query) nothing is checked.

use super::{violation, Context};
use crate::decision::{Code, Details, ReminderDetails, Violation};
use crate::model::{CardBrand, Interval, MitType};
use crate::time::Timestamp;

const DAY: u64 = 86_400;

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let Some(req) = ctx.request.filter(|_| ctx.policy.trial_reminders) else { return };
    let a = ctx.agreement;
    let rules = ctx.rules();
    let sent = req.reminder_sent_at;
    let first_after_trial = a
        .terms
        .trial_ends_at
        .filter(|&end| ctx.now >= end && !ctx.attempts.iter().any(|t| t.status.is_charge() && t.at >= end));
    let details = |trial_ends_at, window_start, window_end| ReminderDetails {
        trial_ends_at,
        reminder_sent_at: sent,
        window_start,
        window_end,
    };
    match (a.payment_method.brand, first_after_trial) {
        (Some(CardBrand::Visa), Some(end)) => {
            let Some(min) = rules.visa.trial_reminder_min_days else { return };
            let latest = ctx.now.minus_seconds(u64::from(min) * DAY);
            let d = details(Some(end), None, Some(latest));
            match sent {
                None => out.push(violation(
                    Code::TrialReminderMissing,
                    "Visa: the first charge after a trial needs a reminder sent by details.windowEnd."
                        .to_string(),
                    None,
                    Details::Reminder(d),
                )),
                Some(s) if s > latest => {
                    let eligible = s.plus_seconds(u64::from(min) * DAY);
                    out.push(violation(
                        Code::TrialReminderTooRecent,
                        "Visa: the trial reminder was sent too recently; the charge may follow at retryAt."
                            .to_string(),
                        Some(eligible),
                        Details::Reminder(d),
                    ));
                }
                Some(_) => {}
            }
        }
        (Some(CardBrand::Mastercard), Some(end)) => {
            let Some(m) = rules.mastercard.trial_reminder else { return };
            let longer = a.established.at.plus_seconds(u64::from(m.trials_longer_than_days) * DAY) < end;
            if !longer {
                return;
            }
            let start = end.minus_seconds(u64::from(m.max_days_before) * DAY);
            let stop = end.minus_seconds(u64::from(m.min_days_before) * DAY);
            window(out, sent, start, stop, None, details(Some(end), Some(start), Some(stop)));
        }
        (Some(CardBrand::Mastercard), None) => {
            let Some(m) = rules.mastercard.trial_reminder else { return };
            let long = a.mit_type == MitType::Recurring
                && a.terms.schedule.and_then(|s| s.interval).is_some_and(|i| {
                    let months = match i {
                        Interval::SemiAnnually => 6,
                        Interval::Yearly => 12,
                        Interval::Quarterly => 3,
                        Interval::Monthly => 1,
                        Interval::Daily | Interval::Weekly | Interval::Biweekly => 0,
                    };
                    months >= m.long_interval_months
                });
            if !long {
                return;
            }
            let start = ctx.now.minus_seconds(u64::from(m.max_days_before) * DAY);
            let stop = ctx.now.minus_seconds(u64::from(m.min_days_before) * DAY);
            let wait = sent.filter(|s| *s > stop).map(|s| s.plus_seconds(u64::from(m.min_days_before) * DAY));
            window(out, sent, start, stop, wait, details(None, Some(start), Some(stop)));
        }
        _ => {}
    }
}

/// A reminder that must fall in `[start, stop]`; `wait`: the instant a too-recent one becomes valid.
fn window(
    out: &mut Vec<Violation>,
    sent: Option<Timestamp>,
    start: Timestamp,
    stop: Timestamp,
    wait: Option<Timestamp>,
    d: ReminderDetails,
) {
    let Some(s) = sent else {
        out.push(violation(
            Code::TrialReminderMissing,
            "Mastercard: this charge needs a reminder sent within details.windowStart to windowEnd."
                .to_string(),
            None,
            Details::Reminder(d),
        ));
        return;
    };
    if let Some(w) = wait {
        out.push(violation(
            Code::TrialReminderTooRecent,
            "Mastercard: the reminder was sent too recently; the charge may follow at retryAt.".to_string(),
            Some(w),
            Details::Reminder(d),
        ));
    } else if s < start || s > stop {
        out.push(violation(
            Code::TrialReminderOutsideWindow,
            "Mastercard: the reminder was sent outside details.windowStart to windowEnd; a new one is needed.".to_string(),
            None,
            Details::Reminder(d),
        ));
    }
}
