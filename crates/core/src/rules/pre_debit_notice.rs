//! Pre-debit notification (policy extension, off by default): each charge needs a customer notice sent at
//! least `minHours` before it, as India's e-mandate rules require (24 hours).

use super::{violation, Context};
use crate::decision::{Code, Details, NoticeDetails, Violation};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let (Some(rule), Some(req)) = (ctx.policy.pre_debit_notice, ctx.request) else { return };
    let details =
        Details::Notice(NoticeDetails { min_hours: rule.min_hours, notice_sent_at: req.notice_sent_at });
    match req.notice_sent_at {
        None => out.push(violation(
            Code::PreDebitNoticeMissing,
            format!(
                "A pre-debit notice must reach the customer at least {} hours before the charge.",
                rule.min_hours
            ),
            None,
            details,
        )),
        Some(sent) => {
            let eligible = sent.plus_seconds(u64::from(rule.min_hours) * 3600);
            if ctx.now < eligible {
                out.push(violation(
                    Code::PreDebitNoticeTooRecent,
                    format!(
                        "The pre-debit notice was sent at {sent}; the charge may follow from {eligible} ({} hours later).",
                        rule.min_hours
                    ),
                    Some(eligible),
                    details,
                ));
            }
        }
    }
}
