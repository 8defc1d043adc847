//! The amount ceiling (001 "Maximum MIT Amount", 410): the largest CVV-verified customer payment within
//! `maxAmountLookback` times `maxMultiple`; with no such payment, `maxZeroAuthAmount` times
//! `maxMultiple`; and never above the agreement's own maximum (003 `authenticationAmount`).
//! Exactly at the ceiling is allowed; one minor unit above is refused.
//!
//! When the policy has nothing to multiply (no CVV-verified payment in the lookback and no
//! `maxZeroAuthAmount`) its part is zero, which refuses every charge; but an agreement whose own maximum
//! was authenticated by the customer (a recurring chain's `authenticationAmount`) is bounded by that
//! maximum instead: the customer agreed to it explicitly.

use super::{violation, Context};
use crate::decision::{Ceiling, CeilingDetails, CeilingSource, Code, Details, PolicyCeiling, Violation};
use crate::model::EstablishmentMethod;
use crate::money::Money;
use crate::policy::Multiple;
use crate::time::Timestamp;

/// The ceiling at `ctx.now` and how it was derived. Rules and the engine read it through
/// [`Context::ceiling`], which computes it once per context.
pub(crate) fn ceiling(ctx: &Context<'_>) -> Ceiling {
    let policy = ctx.policy.max_multiple.map(|m| policy_ceiling(ctx, m));
    let agreement_maximum = ctx.agreement.terms.max_amount;
    let (amount, source) = match (&policy, agreement_maximum) {
        (None, None) => (None, CeilingSource::None),
        (Some(p), None) => (Some(p.amount), p.base_source),
        (None, Some(max)) => (Some(max), CeilingSource::AgreementMaximum),
        (Some(p), Some(max)) => {
            if p.base_source == CeilingSource::NoBasis || max.amount() < p.amount.amount() {
                (Some(max), CeilingSource::AgreementMaximum)
            } else {
                (Some(p.amount), p.base_source)
            }
        }
    };
    Ceiling { amount, source, policy, agreement_maximum }
}

fn policy_ceiling(ctx: &Context<'_>, multiple: Multiple) -> PolicyCeiling {
    let currency = ctx.agreement.currency;
    let lookback_start = ctx.policy.max_amount_lookback.map(|l| ctx.now.minus_seconds(l));
    let in_window = |at: Timestamp| at <= ctx.now && lookback_start.is_none_or(|s| at > s);

    // The initial CIT counts when it was a CVV-verified purchase, even if the caller's history omits it;
    // when the history lists it, the history's entry stands for it (never counted twice). Every history
    // entry counts, duplicates included, so the result cannot depend on the order of the entries.
    let est = &ctx.agreement.established;
    let listed = ctx.payments.iter().any(|p| p.cvv_verified && p.id == ctx.agreement.id);
    let initial = (est.method == EstablishmentMethod::CvvPurchase && !listed)
        .then_some(est.amount)
        .flatten()
        .map(|amount| (ctx.agreement.id.as_str(), est.at, amount));
    let from_history =
        ctx.payments.iter().filter(|p| p.cvv_verified).map(|p| (p.id.as_str(), p.at, p.amount));
    let mut considered = 0u32;
    // Largest amount; ties go to the latest payment, then the smallest id (order-independent).
    let mut best: Option<(&str, Timestamp, Money)> = None;
    for (id, at, amount) in from_history.chain(initial) {
        if amount.currency() != currency || amount.is_zero() || !in_window(at) {
            continue;
        }
        considered = considered.saturating_add(1);
        let better = match &best {
            None => true,
            Some((bid, bat, bamount)) => {
                (amount.amount(), at, std::cmp::Reverse(id))
                    > (bamount.amount(), *bat, std::cmp::Reverse(*bid))
            }
        };
        if better {
            best = Some((id, at, amount));
        }
    }
    let zero_auth =
        ctx.policy.max_zero_auth_amount.and_then(|c| c.in_currency(currency)).and_then(Result::ok);
    let (base, base_source, base_payment_id, base_payment_at) = match (best, zero_auth) {
        (Some((id, at, amount)), _) => {
            (amount, CeilingSource::CvvVerifiedHistory, Some(id.to_string()), Some(at))
        }
        (None, Some(z)) => (z, CeilingSource::ZeroAuthDefault, None, None),
        (None, None) => (Money::zero(currency), CeilingSource::NoBasis, None, None),
    };
    // A product beyond the representable range caps at the largest amount: no request can exceed it.
    let amount = base.checked_mul_floor(multiple.0).unwrap_or_else(|| Money::max_value(currency));
    PolicyCeiling {
        amount,
        base,
        base_source,
        base_payment_id,
        base_payment_at,
        multiple: multiple.0.normalize().to_string(),
        lookback_start,
        payments_considered: considered,
    }
}

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let Some(req) = ctx.request else { return };
    if !super::currency::matches(ctx) {
        return;
    }
    let ceiling = ctx.ceiling();
    let Some(limit) = ceiling.amount else { return };
    if req.amount.amount() <= limit.amount() {
        return;
    }
    let message = match (&ceiling.source, &ceiling.policy) {
        (CeilingSource::AgreementMaximum, _) => format!(
            "Amount exceeds limit: {} is above the agreement's maximum amount of {}.",
            req.amount.display(),
            limit.display()
        ),
        (CeilingSource::NoBasis, Some(p)) => format!(
            "Amount exceeds limit: there is no CVV-verified payment within the lookback and no maxZeroAuthAmount, so the limit is {} (multiplier {}).",
            p.amount.display(),
            p.multiple
        ),
        (_, Some(p)) => format!(
            "Amount exceeds limit: the total for a card-on-file transaction cannot exceed {} (the allowed multiplier of {}) of the original payment amount ({}).",
            p.amount.display(),
            p.multiple,
            p.base.display()
        ),
        (_, None) => format!("Amount exceeds limit of {}.", limit.display()),
    };
    out.push(violation(
        Code::AmountAboveCeiling,
        message,
        None,
        Details::Ceiling(CeilingDetails { requested: req.amount, ceiling: ceiling.clone() }),
    ));
}
