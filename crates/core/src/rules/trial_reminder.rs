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
    // (network, reason, window start, window end, how long a too-recent reminder must age: None when a
    // reminder after the window cannot become valid).
    let (network, reason, start, stop, age) = match (a.payment_method.brand, first_after_trial) {
        (Some(CardBrand::Visa), Some(_)) => {
            let Some(min) = rules.visa.trial_reminder_min_days else { return };
            let age = u64::from(min) * DAY;
            (CardBrand::Visa, "trial", None, ctx.now.minus_seconds(age), Some(age))
        }
        (Some(CardBrand::Mastercard), Some(end)) => {
            let Some(m) = rules.mastercard.trial_reminder else { return };
            if a.established.at.plus_seconds(u64::from(m.trials_longer_than_days) * DAY) >= end {
                return;
            }
            let start = end.minus_seconds(u64::from(m.max_days_before) * DAY);
            (
                CardBrand::Mastercard,
                "trial",
                Some(start),
                end.minus_seconds(u64::from(m.min_days_before) * DAY),
                None,
            )
        }
        (Some(CardBrand::Mastercard), None) => {
            let Some(m) = rules.mastercard.trial_reminder else { return };
            let months = match a.terms.schedule.and_then(|s| s.interval) {
                Some(Interval::Yearly) => 12,
                Some(Interval::SemiAnnually) => 6,
                Some(Interval::Quarterly) => 3,
                _ => 1,
            };
            if a.mit_type != MitType::Recurring || months < m.long_interval_months {
                return;
            }
            let age = u64::from(m.min_days_before) * DAY;
            let start = ctx.now.minus_seconds(u64::from(m.max_days_before) * DAY);
            (CardBrand::Mastercard, "long_interval", Some(start), ctx.now.minus_seconds(age), Some(age))
        }
        _ => return,
    };
    let (code, retry_at, message) = match sent {
        None => (
            Code::TrialReminderMissing,
            None,
            "This charge needs the network's reminder first: none was sent.",
        ),
        Some(s) if s > stop => match age {
            Some(age) => (
                Code::TrialReminderTooRecent,
                Some(s.plus_seconds(age)),
                "The reminder was sent too recently: the charge may follow at retryAt.",
            ),
            None => (
                Code::TrialReminderOutsideWindow,
                None,
                "The reminder was sent after the network's window: a new one is needed.",
            ),
        },
        Some(s) if start.is_some_and(|w| s < w) => (
            Code::TrialReminderOutsideWindow,
            None,
            "The reminder was sent before the network's window: a new one is needed.",
        ),
        Some(_) => return,
    };
    out.push(violation(
        code,
        message.to_string(),
        retry_at,
        Details::Reminder(ReminderDetails {
            network,
            reason,
            trial_ends_at: first_after_trial,
            reminder_sent_at: sent,
            window_start: start,
            window_end: Some(stop),
        }),
    ));
}
