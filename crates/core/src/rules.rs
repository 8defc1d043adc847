//! Every rule the engine enforces, one module each. A rule reads the [`Context`] and pushes the
//! violations it finds; rules that need the charge request skip themselves when there is none
//! (a limits query).

pub(crate) mod agreement_lookup;
pub(crate) mod agreement_status;
pub(crate) mod amount_ceiling;
pub(crate) mod card_expiry;
pub(crate) mod consent;
pub(crate) mod credential;
pub(crate) mod currency;
pub(crate) mod grandfathered;
pub(crate) mod india_afa;
pub(crate) mod installments;
pub(crate) mod merchant_enabled;
pub(crate) mod min_interval;
pub(crate) mod mit_type;
pub(crate) mod network_credential;
pub mod network_retry;
pub(crate) mod pre_debit_notice;
pub(crate) mod reference;
pub(crate) mod reference_datetime;
pub(crate) mod reference_window;
pub(crate) mod schedule;
pub(crate) mod trial_reminder;
pub(crate) mod validity;
pub(crate) mod velocity;

use std::cell::OnceCell;

use crate::decision::{Ceiling, Code, Details, Violation};
use crate::model::{Agreement, Attempt, ChargeRequest, History, Payment};
use crate::network_rules::{self, RuleSet};
use crate::policy::Policy;
use crate::time::Timestamp;

/// The rule-set version a policy pins, if any (validation has checked that it exists).
pub(crate) fn pinned_rules(policy: &Policy) -> Option<&'static RuleSet> {
    policy.network_rules.as_ref().and_then(|n| n.version.as_deref()).and_then(network_rules::by_version)
}

/// The rule-set version that judges a decision at `now`: the policy's pin, or the version in force.
pub fn rules_for(policy: &Policy, now: Timestamp) -> &'static RuleSet {
    pinned_rules(policy).unwrap_or_else(|| network_rules::in_force(now))
}

/// A history's entries at or before an instant, each kind sorted by `(at, id)`: built once per decision
/// and shared (borrowed) by every [`Context`] judged at a later instant.
pub(crate) struct Sorted<'a> {
    attempts: Vec<&'a Attempt>,
    payments: Vec<&'a Payment>,
    credential_attempts: Vec<&'a Attempt>,
}

impl<'a> Sorted<'a> {
    /// Sorting makes every decision independent of history order.
    pub fn new(history: &'a History, now: Timestamp) -> Self {
        // Sized up front: collecting a filter would grow (reallocate) the vectors step by step.
        let mut attempts: Vec<&Attempt> = Vec::with_capacity(history.attempts.len());
        attempts.extend(history.attempts.iter().filter(|a| a.at <= now));
        // A history is usually stored in order already: checking is cheaper than sorting.
        if !attempts.is_sorted_by(|a, b| (a.at, &a.id) <= (b.at, &b.id)) {
            attempts.sort_by(by_time);
        }
        let mut payments: Vec<&Payment> = Vec::with_capacity(history.payments.len());
        payments.extend(history.payments.iter().filter(|p| p.at <= now));
        if !payments.is_sorted_by(|a, b| (a.at, &a.id) <= (b.at, &b.id)) {
            payments.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
        }
        // The card's attempts across the merchant's agreements: this agreement's first, then the others'.
        let mut credential_attempts: Vec<&Attempt> =
            Vec::with_capacity(attempts.len() + history.credential_attempts.len());
        credential_attempts.extend(attempts.iter().copied());
        if !history.credential_attempts.is_empty() {
            credential_attempts.extend(history.credential_attempts.iter().filter(|a| a.at <= now));
            // Stable: on equal (at, id) this agreement's attempt stays first.
            credential_attempts.sort_by(by_time);
        }
        Sorted { attempts, payments, credential_attempts }
    }
}

/// Attempts in time order, then by id. One function for every attempt sort: each distinct comparator
/// would compile the sort again (bytes in the browser's .wasm).
fn by_time(a: &&Attempt, b: &&Attempt) -> std::cmp::Ordering {
    (a.at, &a.id).cmp(&(b.at, &b.id))
}

/// What every rule sees: the instant, the policy, the agreement, its history in a canonical order,
/// and (for a decision, not a limits query) the request.
pub(crate) struct Context<'a> {
    /// The instant being judged.
    pub now: Timestamp,
    pub policy: &'a Policy,
    pub agreement: &'a Agreement,
    /// Attempts made at or before the evaluation's `now`, sorted by `(at, id)`.
    // INVARIANT: sorted ascending by (at, id); none after the original `now`. Rules may rely on it.
    pub attempts: &'a [&'a Attempt],
    /// Customer payments at or before `now`, sorted by `(at, id)`.
    pub payments: &'a [&'a Payment],
    /// Attempts on this agreement's credential across the merchant's agreements (this agreement's and
    /// `history.credentialAttempts`), at or before `now`, sorted by `(at, id)`.
    // INVARIANT: sorted ascending by (at, id); none after the original `now`.
    pub credential_attempts: &'a [&'a Attempt],
    /// The policy's pinned rule-set version, if any.
    pub pinned: Option<&'static RuleSet>,
    pub request: Option<&'a ChargeRequest>,
    /// The amount ceiling at `now`, computed on first use (it does not depend on the request).
    ceiling: OnceCell<Ceiling>,
}

impl<'a> Context<'a> {
    /// The context of a decision (or, without a request, a limits query) at `now`.
    pub fn new(
        now: Timestamp,
        policy: &'a Policy,
        agreement: &'a Agreement,
        sorted: &'a Sorted<'a>,
        request: Option<&'a ChargeRequest>,
    ) -> Self {
        Context {
            now,
            policy,
            agreement,
            attempts: &sorted.attempts,
            payments: &sorted.payments,
            credential_attempts: &sorted.credential_attempts,
            pinned: pinned_rules(policy),
            request,
            ceiling: OnceCell::new(),
        }
    }

    /// The same context judged at a later instant (used to find the next eligible instant).
    pub fn at(&self, now: Timestamp) -> Context<'a> {
        Context {
            now,
            policy: self.policy,
            agreement: self.agreement,
            attempts: self.attempts,
            payments: self.payments,
            credential_attempts: self.credential_attempts,
            pinned: self.pinned,
            request: self.request,
            ceiling: OnceCell::new(),
        }
    }

    /// The same context without the request (a limits query at the same instant); keeps the ceiling.
    pub fn without_request(self) -> Context<'a> {
        Context { request: None, ..self }
    }

    /// The network rules judging `now`.
    pub fn rules(&self) -> &'static RuleSet {
        self.rules_at(self.now)
    }

    /// The network rules in force at an instant (for categorising a past decline), unless pinned.
    pub fn rules_at(&self, at: Timestamp) -> &'static RuleSet {
        self.pinned.unwrap_or_else(|| network_rules::in_force(at))
    }

    /// The amount ceiling at `now` and how it was derived, computed once per context.
    pub fn ceiling(&self) -> &Ceiling {
        self.ceiling.get_or_init(|| amount_ceiling::ceiling(self))
    }

    /// Takes the ceiling out (computing it if no rule needed it).
    pub fn take_ceiling(&mut self) -> Ceiling {
        self.ceiling.take().unwrap_or_else(|| amount_ceiling::ceiling(self))
    }
}

/// Builds a violation with the code's rule and canonical status.
pub(crate) fn violation(
    code: Code,
    message: String,
    retry_at: Option<Timestamp>,
    details: Details,
) -> Violation {
    Violation { code, rule: code.rule(), http_status: code.http_status(), message, retry_at, details }
}

/// Runs every rule that applies once the agreement is known to be the caller's, in rule order.
pub(crate) fn check_all(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    merchant_enabled::check(ctx, out);
    agreement_status::check(ctx, out);
    credential::check(ctx, out);
    network_credential::check(ctx, out);
    reference::check(ctx, out);
    consent::check(ctx, out);
    grandfathered::check(ctx, out);
    mit_type::check(ctx, out);
    reference_datetime::check(ctx, out);
    reference_window::check(ctx, out);
    validity::check(ctx, out);
    schedule::check(ctx, out);
    installments::check(ctx, out);
    card_expiry::check(ctx, out);
    currency::check(ctx, out);
    amount_ceiling::check(ctx, out);
    india_afa::check(ctx, out);
    velocity::check(ctx, out);
    min_interval::check(ctx, out);
    network_retry::check(ctx, out);
    pre_debit_notice::check(ctx, out);
    trial_reminder::check(ctx, out);
}
