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
pub(crate) mod installments;
pub(crate) mod merchant_enabled;
pub(crate) mod min_interval;
pub(crate) mod mit_type;
pub mod network_retry;
pub(crate) mod pre_debit_notice;
pub(crate) mod reference;
pub(crate) mod reference_datetime;
pub(crate) mod reference_window;
pub(crate) mod schedule;
pub(crate) mod validity;
pub(crate) mod velocity;

use crate::decision::{Code, Details, Violation};
use crate::model::{Agreement, Attempt, ChargeRequest, History, Payment};
use crate::policy::Policy;
use crate::time::Timestamp;

/// What every rule sees: the instant, the policy, the agreement, its history in a canonical order,
/// and (for a decision, not a limits query) the request.
pub(crate) struct Context<'a> {
    /// The instant being judged.
    pub now: Timestamp,
    pub policy: &'a Policy,
    pub agreement: &'a Agreement,
    /// Attempts made at or before the evaluation's `now`, sorted by `(at, id)`.
    // INVARIANT: sorted ascending by (at, id); none after the original `now`. Rules may rely on it.
    pub attempts: Vec<&'a Attempt>,
    /// Customer payments at or before `now`, sorted by `(at, id)`.
    pub payments: Vec<&'a Payment>,
    pub request: Option<&'a ChargeRequest>,
}

impl<'a> Context<'a> {
    /// Builds the context; sorting makes every decision independent of history order.
    pub fn new(
        now: Timestamp,
        policy: &'a Policy,
        agreement: &'a Agreement,
        history: &'a History,
        request: Option<&'a ChargeRequest>,
    ) -> Self {
        let mut attempts: Vec<&Attempt> = history.attempts.iter().filter(|a| a.at <= now).collect();
        attempts.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
        let mut payments: Vec<&Payment> = history.payments.iter().filter(|p| p.at <= now).collect();
        payments.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
        Context { now, policy, agreement, attempts, payments, request }
    }

    /// The same context judged at a later instant (used to find the next eligible instant).
    pub fn at(&self, now: Timestamp) -> Context<'a> {
        Context {
            now,
            policy: self.policy,
            agreement: self.agreement,
            attempts: self.attempts.clone(),
            payments: self.payments.clone(),
            request: self.request,
        }
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
    velocity::check(ctx, out);
    min_interval::check(ctx, out);
    network_retry::check(ctx, out);
    pre_debit_notice::check(ctx, out);
}
