//! Card-network retry rules on the agreement's credential: Visa's excessive-reattempt rules, Mastercard's
//! Merchant Advice Codes and excessive attempts. The numbers and code lists are dated data in
//! [`crate::network_rules`]; a decline is categorised by the version in force when it happened,
//! budgets come from the version judging `now` (or the policy's pin and overrides).
//!
//! The networks count per card, so these rules read the credential's attempts across the merchant's
//! agreements (`history.credentialAttempts` besides this agreement's own).
//!
//! A *reattempt* is an attempt made right after a declined attempt on the same credential. The
//! request being judged is a reattempt when the latest attempt was declined; it is refused when the
//! trailing window already holds the network's budget of reattempts, until the oldest leaves the window.
//! Mastercard also charges every attempt once the card has 10 declines in the trailing 24 hours: refused
//! until the oldest of them leaves that window.

pub mod decline_codes;

use super::{violation, Context};
use crate::decision::{Code, Details, RetryDetails, Violation};
use crate::model::{Agreement, Attempt, AttemptStatus, CardBrand, Decline};
use crate::network_rules::{self, RuleSet};
use crate::policy::Policy;
use crate::time::Timestamp;

const DAY_SECONDS: u64 = 86_400;

fn network_of(ctx: &Context<'_>, d: &Decline) -> Option<CardBrand> {
    d.network.or(ctx.agreement.payment_method.brand)
}

fn declined_at(a: &Attempt) -> Timestamp {
    a.resolved_at.unwrap_or(a.at)
}

/// A declined attempt's decline.
fn decline_of(a: &Attempt) -> Option<&Decline> {
    a.decline.as_ref().filter(|_| a.status == AttemptStatus::Declined)
}

/// A decline that forbids any retry on its credential (Visa category 1, a Mastercard never-retry advice
/// code), judged as [`check`] judges it: by the policy's pinned version or the one in force when it
/// happened, on the decline's network or the agreement's card brand.
pub(crate) fn forbids_retry(policy: &Policy, agreement: &Agreement, a: &Attempt) -> bool {
    let Some(d) = decline_of(a) else { return false };
    let then = super::pinned_rules(policy).unwrap_or_else(|| network_rules::in_force(declined_at(a)));
    match d.network.or(agreement.payment_method.brand) {
        Some(CardBrand::Visa) => decline_codes::visa_category(&then.visa, d.code.as_deref(), d.reason) == 1,
        Some(CardBrand::Mastercard) => {
            d.advice_code.as_deref().is_some_and(|m| then.mastercard.never_retry(m))
        }
        _ => false,
    }
}

fn base_details(network: CardBrand, a: &Attempt, d: &Decline, rules: &'static RuleSet) -> RetryDetails {
    RetryDetails {
        network,
        declined_at: declined_at(a),
        decline_code: d.code.clone(),
        advice_code: d.advice_code.clone(),
        category: None,
        reattempts_used: None,
        reattempts_allowed: None,
        window_days: None,
        budget: None,
        declines_used: None,
        declines_allowed: None,
        rules_version: rules.version,
    }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    if !ctx.policy.network_retry_rules {
        return;
    }
    let token = ctx.agreement.credential.token.as_str();
    let mut attempts: Vec<&Attempt> = Vec::with_capacity(ctx.credential_attempts.len());
    attempts.extend(
        ctx.credential_attempts
            .iter()
            .copied()
            .filter(|a| a.credential_token.as_deref().is_none_or(|t| t == token))
            .filter(|a| a.status != AttemptStatus::Released),
    );

    // Never-retry declines anywhere in the credential's history, by the tables of their day.
    for a in &attempts {
        let Some(d) = decline_of(a) else { continue };
        let then = ctx.rules_at(declined_at(a));
        // INVARIANT: a branch below reports `a` exactly when `forbids_retry` holds for it (the ledger
        // bound keeps the earliest such decline on the strength of that function).
        match network_of(ctx, d) {
            Some(CardBrand::Visa) => {
                let category = decline_codes::visa_category(&then.visa, d.code.as_deref(), d.reason);
                if category == 1 {
                    let mut details = base_details(CardBrand::Visa, a, d, then);
                    details.category = Some(1);
                    out.push(violation(
                        Code::RetryForbidden,
                        format!(
                            "Visa category 1 decline{} at {}: the issuer will never approve this credential; do not retry, ask the customer for another payment method.",
                            d.code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(),
                            declined_at(a)
                        ),
                        None,
                        Details::Retry(details),
                    ));
                    return;
                }
            }
            Some(CardBrand::Mastercard) => {
                if let Some(mac) = d.advice_code.as_deref().filter(|m| then.mastercard.never_retry(m)) {
                    out.push(violation(
                        Code::RetryForbidden,
                        format!(
                            "Mastercard Merchant Advice Code {mac} at {}: do not try again on this credential.",
                            declined_at(a)
                        ),
                        None,
                        Details::Retry(base_details(CardBrand::Mastercard, a, d, then)),
                    ));
                    return;
                }
            }
            _ => {}
        }
    }

    let rules = ctx.rules();
    let overrides = ctx.policy.network_rules.as_ref();
    mastercard_declines_per_day(ctx, &attempts, rules, out);

    // Only a reattempt (the latest attempt was declined) is subject to waits and budgets.
    let Some(last) = attempts.last().filter(|a| a.status == AttemptStatus::Declined) else { return };
    let Some(d) = last.decline.as_ref() else { return };
    let Some(network) = network_of(ctx, d) else { return };
    let (budget, window_days, name) = match network {
        CardBrand::Visa => (
            overrides.and_then(|o| o.visa_max_reattempts).unwrap_or(rules.visa.max_reattempts),
            rules.visa.window_days,
            "visa_reattempts",
        ),
        CardBrand::Mastercard => {
            (rules.mastercard.max_reattempts, rules.mastercard.window_days, "mastercard_reattempts")
        }
        _ => return,
    };
    let then = ctx.rules_at(declined_at(last));

    if network == CardBrand::Mastercard {
        if let Some((mac, wait)) =
            d.advice_code.as_deref().and_then(|m| then.mastercard.wait_seconds(m).map(|w| (m, w)))
        {
            let until = declined_at(last).plus_seconds(wait);
            if ctx.now < until {
                out.push(violation(
                    Code::RetryTooEarly,
                    format!("Mastercard Merchant Advice Code {mac}: retry no earlier than {until}."),
                    Some(until),
                    Details::Retry(base_details(network, last, d, then)),
                ));
            }
        }
    }

    // Reattempts in the trailing window: attempts whose predecessor was a decline on this network.
    let window_seconds = u64::from(window_days) * DAY_SECONDS;
    let window_start = ctx.now.minus_seconds(window_seconds);
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
        let frees = reattempts.get(index).map(|t| t.plus_seconds(window_seconds));
        let mut retry = base_details(network, last, d, rules);
        retry.category = (network == CardBrand::Visa)
            .then(|| decline_codes::visa_category(&then.visa, d.code.as_deref(), d.reason));
        retry.reattempts_used = Some(used);
        retry.reattempts_allowed = Some(budget);
        retry.window_days = Some(window_days);
        retry.budget = Some(name);
        out.push(violation(
            Code::RetryLimitReached,
            format!(
                "{} allows {budget} reattempts of a declined charge in {window_days} days; {used} have been made.",
                if network == CardBrand::Visa { "Visa" } else { "Mastercard" },
            ),
            frees,
            Details::Retry(retry),
        ));
    }
}

/// Mastercard excessive attempts: with `max` declined attempts on the card in the trailing 24 hours
/// `(now - 24 h, now]` (by each attempt's instant), any further attempt is charged; refused until the
/// oldest counted one leaves.
fn mastercard_declines_per_day(
    ctx: &Context<'_>,
    attempts: &[&Attempt],
    rules: &'static RuleSet,
    out: &mut Vec<Violation>,
) {
    let o = ctx.policy.network_rules.as_ref().and_then(|o| o.mastercard_max_declines_per_day);
    let Some(max) = o.or(rules.mastercard.max_declines_per_day) else { return };
    let window_start = ctx.now.minus_seconds(DAY_SECONDS);
    // Counted at each attempt's own instant (when the authorization was asked for): `attempts` is in that
    // order already.
    let declines: Vec<(&Attempt, &Decline)> = attempts
        .iter()
        .filter(|a| a.at > window_start)
        .filter_map(|a| decline_of(a).map(|d| (*a, d)))
        .filter(|(_, d)| network_of(ctx, d) == Some(CardBrand::Mastercard))
        .collect();
    let used = u32::try_from(declines.len()).unwrap_or(u32::MAX);
    if used < max {
        return;
    }
    let index = usize::try_from(used - max).unwrap_or(usize::MAX);
    let frees = declines.get(index).map(|(a, _)| a.at.plus_seconds(DAY_SECONDS));
    let Some((last, d)) = declines.last() else { return };
    let mut details = base_details(CardBrand::Mastercard, last, d, rules);
    details.budget = Some("mastercard_declines_per_day");
    details.declines_used = Some(used);
    details.declines_allowed = Some(max);
    out.push(violation(
        Code::CardDeclineLimitReached,
        format!(
            "Mastercard charges every attempt on a card after {max} declines in 24 hours; the card has {used}.",
        ),
        frees,
        Details::Retry(details),
    ));
}
