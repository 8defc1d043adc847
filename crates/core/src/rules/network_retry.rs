//! Card-network retry rules on the agreement's credential: Visa's excessive-reattempt rules and
//! Mastercard's Merchant Advice Codes. The tables are in [`decline_codes`].
//!
//! A *reattempt* is an attempt made right after a declined attempt on the same credential. The
//! request being judged is a reattempt when the latest attempt was declined; it is refused when the
//! trailing 30 days already hold the network's budget of reattempts, until the oldest leaves the window.

pub mod decline_codes;

use super::{violation, Context};
use crate::decision::{Code, Details, RetryDetails, Violation};
use crate::model::{Attempt, AttemptStatus, CardBrand, Decline};
use crate::time::Timestamp;

const WINDOW_SECONDS: u64 = decline_codes::REATTEMPT_WINDOW_DAYS as u64 * 86_400;

fn network_of(ctx: &Context<'_>, d: &Decline) -> Option<CardBrand> {
    d.network.or(ctx.agreement.payment_method.brand)
}

/// Declined attempts on this agreement's credential with their decline, in time order.
fn on_credential<'c>(ctx: &'c Context<'_>) -> impl Iterator<Item = &'c Attempt> + 'c {
    let token = ctx.agreement.credential.token.as_str();
    ctx.attempts
        .iter()
        .copied()
        .filter(move |a| a.credential_token.as_deref().is_none_or(|t| t == token))
        .filter(|a| a.status != AttemptStatus::Released)
}

fn declined_at(a: &Attempt) -> Timestamp {
    a.resolved_at.unwrap_or(a.at)
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    if !ctx.policy.network_retry_rules {
        return;
    }
    let mut attempts: Vec<&Attempt> = Vec::with_capacity(ctx.attempts.len());
    attempts.extend(on_credential(ctx));
    let details = |network, a: &Attempt, d: &Decline, category| RetryDetails {
        network,
        declined_at: declined_at(a),
        decline_code: d.code.clone(),
        advice_code: d.advice_code.clone(),
        category,
        reattempts_used: None,
        reattempts_allowed: None,
        window_days: None,
    };

    // Never-retry declines anywhere in the credential's history.
    for a in &attempts {
        let Some(d) = a.decline.as_ref().filter(|_| a.status == AttemptStatus::Declined) else { continue };
        match network_of(ctx, d) {
            Some(CardBrand::Visa) => {
                let category = decline_codes::visa_category(d.code.as_deref(), d.reason);
                if category == 1 {
                    out.push(violation(
                        Code::RetryForbidden,
                        format!(
                            "Visa category 1 decline{} at {}: the issuer will never approve this credential; do not retry, ask the customer for another payment method.",
                            d.code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(),
                            declined_at(a)
                        ),
                        None,
                        Details::Retry(details(CardBrand::Visa, a, d, Some(1))),
                    ));
                    return;
                }
            }
            Some(CardBrand::Mastercard) => {
                if let Some(mac) =
                    d.advice_code.as_deref().filter(|m| decline_codes::mastercard_never_retry(m))
                {
                    out.push(violation(
                        Code::RetryForbidden,
                        format!(
                            "Mastercard Merchant Advice Code {mac} at {}: do not try again on this credential.",
                            declined_at(a)
                        ),
                        None,
                        Details::Retry(details(CardBrand::Mastercard, a, d, None)),
                    ));
                    return;
                }
            }
            _ => {}
        }
    }

    // Only a reattempt (the latest attempt was declined) is subject to waits and budgets.
    let Some(last) = attempts.last().filter(|a| a.status == AttemptStatus::Declined) else { return };
    let Some(d) = last.decline.as_ref() else { return };
    let Some(network) = network_of(ctx, d) else { return };
    let budget = match network {
        CardBrand::Visa => decline_codes::VISA_MAX_REATTEMPTS,
        CardBrand::Mastercard => decline_codes::MASTERCARD_MAX_REATTEMPTS,
        _ => return,
    };

    if network == CardBrand::Mastercard {
        if let Some((mac, wait)) =
            d.advice_code.as_deref().and_then(|m| decline_codes::mastercard_wait_seconds(m).map(|w| (m, w)))
        {
            let until = declined_at(last).plus_seconds(wait);
            if ctx.now < until {
                out.push(violation(
                    Code::RetryTooEarly,
                    format!("Mastercard Merchant Advice Code {mac}: retry no earlier than {until}."),
                    Some(until),
                    Details::Retry(details(network, last, d, None)),
                ));
            }
        }
    }

    // Reattempts in the trailing window: attempts whose predecessor was a decline on this network.
    let window_start = ctx.now.minus_seconds(WINDOW_SECONDS);
    let reattempts: Vec<Timestamp> = attempts
        .windows(2)
        .filter_map(|pair| match pair {
            [prev, this]
                if prev.status == AttemptStatus::Declined
                    && prev.decline.as_ref().and_then(|pd| network_of(ctx, pd)) == Some(network)
                    && this.at > window_start =>
            {
                Some(this.at)
            }
            _ => None,
        })
        .collect();
    let used = u32::try_from(reattempts.len()).unwrap_or(u32::MAX);
    if used >= budget {
        let index = usize::try_from(used - budget).unwrap_or(usize::MAX);
        let frees = reattempts.get(index).map(|t| t.plus_seconds(WINDOW_SECONDS));
        let category =
            (network == CardBrand::Visa).then(|| decline_codes::visa_category(d.code.as_deref(), d.reason));
        let mut retry = details(network, last, d, category);
        retry.reattempts_used = Some(used);
        retry.reattempts_allowed = Some(budget);
        retry.window_days = Some(decline_codes::REATTEMPT_WINDOW_DAYS);
        out.push(violation(
            Code::RetryLimitReached,
            format!(
                "{} allows {budget} reattempts of a declined charge in {} days; {used} have been made.",
                if network == CardBrand::Visa { "Visa" } else { "Mastercard" },
                decline_codes::REATTEMPT_WINDOW_DAYS
            ),
            frees,
            Details::Retry(retry),
        ));
    }
}
