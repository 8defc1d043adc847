//! The engine: a pure function from (now, policy, agreement, history, request) to a [`Decision`].

use serde::Serialize;

use crate::json::FromJson;

use crate::decision::{Decision, Limits, Verdict, Violation};
use crate::model::{Agreement, ChargeRequest, History};
use crate::policy::Policy;
use crate::rules::{self, agreement_lookup, Context, Sorted};
use crate::time::Timestamp;
use crate::validate::FieldError;

/// Everything one decision depends on. There is no other input: no clock, no store.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Evaluation {
    /// The instant of the charge.
    pub now: Timestamp,
    /// The merchant's policy.
    pub policy: Policy,
    /// The agreement the reference resolved to (`null`: none was found).
    pub agreement: Option<Agreement>,
    /// The agreement's history.
    #[serde(default)]
    pub history: History,
    /// The charge asked for.
    pub request: ChargeRequest,
}

/// What a limits query needs: a decision without a request.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitsQuery {
    /// The instant.
    pub now: Timestamp,
    /// The merchant's policy.
    pub policy: Policy,
    /// The agreement.
    pub agreement: Agreement,
    /// Its history.
    #[serde(default)]
    pub history: History,
}

impl Evaluation {
    /// Checks values that parse but cannot be right; each error names its field.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        self.policy.validate("policy", &mut errors);
        if let Some(a) = &self.agreement {
            a.validate("agreement", &mut errors);
        }
        self.history.validate("history", &mut errors);
        self.request.validate("request", &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

impl LimitsQuery {
    /// Checks values that parse but cannot be right.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        self.policy.validate("policy", &mut errors);
        self.agreement.validate("agreement", &mut errors);
        self.history.validate("history", &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Decides one charge. Every violated rule is listed, in rule order.
pub fn evaluate(input: &Evaluation) -> Decision {
    evaluate_parts(input.now, &input.policy, input.agreement.as_ref(), &input.history, &input.request)
}

/// [`evaluate`] on borrowed parts: what a caller holding the policy, agreement and history parsed
/// (an agreement handle) decides with, without assembling an [`Evaluation`].
pub fn evaluate_parts(
    now: Timestamp,
    policy: &Policy,
    agreement: Option<&Agreement>,
    history: &History,
    request: &ChargeRequest,
) -> Decision {
    let mut violations = Vec::new();
    let lookup = agreement_lookup::check(agreement, history, request, &mut violations);
    let agreement = match (lookup, agreement) {
        (agreement_lookup::Lookup::Proceed, Some(a)) => a,
        _ => {
            let mut all = Vec::new();
            rules::merchant_enabled::check_policy(policy, &mut all);
            all.extend(violations);
            return finish(now, all, None, rules::rules_for(policy, now).version);
        }
    };
    let sorted = Sorted::new(history, now);
    let ctx = Context::new(now, policy, agreement, &sorted, Some(request));
    let before = violations.len();
    rules::check_all(&ctx, &mut violations);
    // Every rule that reads the request only adds violations because of it (without a request it skips
    // itself), so when no rule objected to the request, none objects at `now` without it either: the
    // charge is eligible now, and `next_eligible` need not run the rules again at `now`.
    let eligible_now = violations.len() == before;
    // Keep rule order: the lookup's customer check belongs after merchant_enabled.
    violations.sort_by_key(|v| v.code);
    let version = ctx.rules().version;
    let limits = limits_for(ctx.without_request(), eligible_now);
    finish(now, violations, Some(limits), version)
}

/// An agreement's limits at `now`, without a specific charge.
pub fn limits(query: &LimitsQuery) -> Limits {
    let sorted = Sorted::new(&query.history, query.now);
    let ctx = Context::new(query.now, &query.policy, &query.agreement, &sorted, None);
    limits_for(ctx, false)
}

/// The limits of a context without a request. `eligible_now`: the rules are known to pass at `ctx.now`.
fn limits_for(mut ctx: Context<'_>, eligible_now: bool) -> Limits {
    let a = ctx.agreement;
    let ceiling = ctx.take_ceiling();
    // A zero ceiling never grows by waiting (payments only leave the lookback): nothing can be charged.
    let next_eligible_at = if ceiling.amount.is_some_and(|m| m.is_zero()) {
        None
    } else if eligible_now {
        Some(ctx.now)
    } else {
        next_eligible(&ctx)
    };
    Limits {
        currency: a.currency,
        ceiling,
        velocity: rules::velocity::limit(&ctx),
        installments: rules::installments::limit(&ctx),
        reference_expires_at: rules::reference_window::expires_at(&ctx),
        agreement_valid_until: a.terms.valid_until,
        agreement_expires_at: a.terms.valid_until.map(|v| v.ends_at()),
        card_expiry: a.credential.card_expiry,
        card_expires_at: a.credential.card_expiry.map(|e| e.ends_at()),
        next_eligible_at,
        mit_type: a.mit_type,
    }
}

/// The earliest instant at or after `now` when the request-independent rules all pass: advance to the
/// latest `retry_at` until nothing blocks, or a violation that waiting cannot clear appears. The caller
/// has ruled out a zero ceiling.
fn next_eligible(ctx: &Context<'_>) -> Option<Timestamp> {
    let mut t = ctx.now;
    let mut v = Vec::new();
    // Each step moves t forward to a rule's own boundary; a handful of steps always settles.
    for _ in 0..16 {
        v.clear();
        rules::check_all(&ctx.at(t), &mut v);
        if v.is_empty() {
            return Some(t);
        }
        let mut latest = t;
        for violation in &v {
            latest = latest.max(violation.retry_at?);
        }
        if latest <= t {
            return None;
        }
        t = latest;
    }
    None
}

fn finish(
    now: Timestamp,
    violations: Vec<Violation>,
    limits: Option<Limits>,
    rules_version: &'static str,
) -> Decision {
    if violations.is_empty() {
        return Decision {
            outcome: Verdict::Allowed,
            http_status: 200,
            violations,
            retry_at: None,
            retry_after_seconds: None,
            limits,
            rules_version,
        };
    }
    let http_status = violations.first().map_or(400, |v| v.http_status);
    let retry_at = violations.iter().try_fold(now, |acc, v| v.retry_at.map(|r| acc.max(r)));
    Decision {
        outcome: Verdict::Refused,
        http_status,
        retry_after_seconds: retry_at.map(|r| now.seconds_until_ceil(r)),
        retry_at,
        violations,
        limits,
        rules_version,
    }
}
