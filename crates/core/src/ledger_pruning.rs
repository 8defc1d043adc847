//! The bounded ledger: which history entries no rule can read any more, as a pure function of
//! (policy, agreement, history, now). A store calls [`prune`] at each ledger write, so an agreement's
//! stored history stays bounded by what its rules can see, not by its age.
//!
//! # The bound
//!
//! An attempt is kept when any of these holds; every other attempt is dropped:
//! 1. it is at or after the *horizon* `now - W`, where `W` is the longest trailing window of a rule in
//!    force: the velocity `period`, and with the network retry rules on, the longest reattempt window of
//!    any rule-set version (30 days) and Mastercard's 24 hours ([`window_seconds`]);
//! 2. it is pending (its outcome may still change what every other rule counts);
//! 3. it is the latest approved attempt at or before `now` (with the pending ones it is the latest charge, which the minimum
//!    interval, the schedule interval and the first-charge-after-a-trial rule read, at any age);
//! 4. it is the latest soft decline at or before `now` (8026 / `authentication_required`: it stops the chain for ever);
//! 5. per credential token, the latest attempt before the horizon that is not released (the
//!    predecessor of the oldest attempt in the window decides whether that one is a reattempt, and with
//!    no newer attempt it is the one a retry follows) and the earliest decline that forbids any retry
//!    (Visa category 1, Mastercard advice 03/21: the first one found is the one the refusal explains);
//! 6. the agreement is an installment agreement and the attempt is a charge (the count has no window).
//!
//! A payment is kept when it is the establishing payment (its id is the agreement's), when the policy has
//! no `maxAmountLookback` (every CVV-verified payment counts, at any age), or when it is after
//! `now - maxAmountLookback`.
//!
//! So after pruning, an agreement's ledger holds at most the attempts of the last `W` seconds plus a
//! handful (its pending attempts, and one or two per rule above), whatever its age.
//!
//! # What it preserves
//!
//! For the policy and agreement it was given, every decision and every limits query at any instant at or
//! after `now` is byte-identical on the pruned history (crates/core/tests/ledger_pruning.rs checks it
//! with proptest), with one exception: a request whose reference is the processor payment id of a
//! *dropped* attempt (a chained reference to an old MIT) is no longer recognised as this agreement's
//! (`agreement_not_found`, 404) instead of `reference_is_mit` (403). Both refuse.
//!
//! The bound is relative to the policy and agreement of the write: a later policy with a longer window
//! (a longer `period` or `maxAmountLookback`, network rules switched on) sees only what was kept.

use crate::model::{Agreement, Attempt, AttemptStatus, History, MitType, Payment};
use crate::network_rules::RULE_SETS;
use crate::policy::Policy;
use crate::rules::{agreement_status, network_retry};
use crate::time::Timestamp;

const DAY_SECONDS: u64 = 86_400;

/// The longest trailing window, in seconds, of a rule that counts attempts under `policy`.
pub fn window_seconds(policy: &Policy) -> u64 {
    let velocity = policy.period.unwrap_or(0);
    let network = if policy.network_retry_rules {
        let reattempts =
            RULE_SETS.iter().map(|r| r.visa.window_days.max(r.mastercard.window_days)).max().unwrap_or(0);
        (u64::from(reattempts) * DAY_SECONDS).max(DAY_SECONDS)
    } else {
        0
    };
    velocity.max(network)
}

/// The history with every entry no rule can read any more dropped (see the module documentation for
/// the bound). The order of the kept entries is unchanged; applying it twice changes nothing more.
pub fn prune(policy: &Policy, agreement: &Agreement, history: &History, now: Timestamp) -> History {
    let horizon = now.minus_seconds(window_seconds(policy));
    let keep = |attempts: &[Attempt], own: bool| -> Vec<Attempt> {
        let marks = keep_marks(policy, agreement, attempts, (horizon, now), own);
        attempts.iter().zip(marks).filter(|(_, k)| *k).map(|(a, _)| a.clone()).collect()
    };
    let lookback = policy.max_amount_lookback.map(|l| now.minus_seconds(l));
    let payments =
        history.payments.iter().filter(|p| keep_payment(p, agreement, lookback)).cloned().collect();
    History {
        payments,
        attempts: keep(&history.attempts, true),
        credential_attempts: keep(&history.credential_attempts, false),
    }
}

fn keep_payment(p: &Payment, agreement: &Agreement, lookback_start: Option<Timestamp>) -> bool {
    p.id == agreement.id || lookback_start.is_none_or(|start| p.at > start)
}

/// `(at, id)`: the engine's order of attempts.
fn key(a: &Attempt) -> (Timestamp, &str) {
    (a.at, a.id.as_str())
}

/// Which attempts to keep. `own`: this agreement's attempts (the per-agreement rules read them); the
/// other agreements' attempts on the credential are read by the network retry rules only.
fn keep_marks(
    policy: &Policy,
    agreement: &Agreement,
    attempts: &[Attempt],
    (horizon, now): (Timestamp, Timestamp),
    own: bool,
) -> Vec<bool> {
    // 1, 2, 6: by the attempt alone.
    let installments = own && agreement.mit_type == MitType::Installment;
    let mut marks: Vec<bool> = attempts
        .iter()
        .map(|a| {
            a.at > horizon || a.status == AttemptStatus::Pending || (installments && a.status.is_charge())
        })
        .collect();
    // Marks every attempt whose (at, id) is the best one `pick` chooses among those `filter` admits
    // (ties keep all: equal keys may sort either way).
    let mut mark_best = |filter: &dyn Fn(&Attempt) -> bool, latest: bool| {
        let best =
            attempts.iter().filter(|a| filter(a)).map(key).reduce(
                |x, y| {
                    if (y > x) == latest {
                        y
                    } else {
                        x
                    }
                },
            );
        if let Some(best) = best {
            for (a, mark) in attempts.iter().zip(marks.iter_mut()) {
                if filter(a) && key(a) == best {
                    *mark = true;
                }
            }
        }
    };
    if own {
        // 3, 4: the latest at or before `now`; those after it are all kept (1), and a later instant sees
        // the latest of both.
        mark_best(&|a| a.at <= now && a.status == AttemptStatus::Approved, true);
        mark_best(&|a| a.at <= now && agreement_status::is_soft_decline(a), true);
    }
    // 5: per credential token (`None` included: the rules read it as the agreement's own card).
    let mut tokens: Vec<Option<&str>> = attempts.iter().map(|a| a.credential_token.as_deref()).collect();
    tokens.sort_unstable();
    tokens.dedup();
    for token in tokens {
        let same = move |a: &Attempt| a.credential_token.as_deref() == token;
        mark_best(&|a| same(a) && a.at <= horizon && a.status != AttemptStatus::Released, true);
        mark_best(&|a| same(a) && network_retry::forbids_retry(policy, agreement, a), false);
    }
    marks
}
