//! A scheduled agreement (002 `schedule`) allows charges from `initialDate` through `finalDate` inclusive.

use super::{violation, Context};
use crate::decision::{Code, Details, ExpiryDetails, Violation};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let Some(schedule) = ctx.agreement.terms.schedule else { return };
    if ctx.now < schedule.initial_date {
        out.push(violation(
            Code::ScheduleNotStarted,
            format!("The schedule starts at {}; no charge before then.", schedule.initial_date),
            Some(schedule.initial_date),
            Details::Expiry(ExpiryDetails {
                subject: "schedule_start",
                at: schedule.initial_date,
                window_seconds: None,
                from: None,
            }),
        ));
    }
    if let Some(final_date) = schedule.final_date {
        if ctx.now > final_date {
            out.push(violation(
                Code::ScheduleEnded,
                format!("The schedule ended at {final_date}."),
                None,
                Details::Expiry(ExpiryDetails {
                    subject: "schedule_end",
                    at: final_date,
                    window_seconds: None,
                    from: None,
                }),
            ));
        }
    }
}
