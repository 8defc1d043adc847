//! The step a reservation runs wherever the ledger lives (the Worker with KV, the agreement's Durable
//! Object): decide, and when the decision allows the charge, record the pending attempt.

use mitgate_core::decision::{Decision, Verdict};
use mitgate_core::engine::{self, Evaluation};
use mitgate_core::ledger_pruning;
use mitgate_core::model::History;
use mitgate_core::state;

/// The decision on `evaluation` (its history holds the ledger as stored) and, when it allows the charge,
/// the history with the pending attempt `attempt_id` at `evaluation.now`, its attempts pruned to what a
/// rule can still read (`mitgate_core::ledger_pruning`, docs/ledger.md): this is the write that adds an
/// attempt, so both stores keep every ledger bounded by the policy's longest window.
///
/// INVARIANT: pure. The Worker and the Durable Object run it on the same input and get the same answer,
/// which is how the Worker learns the object's decision without the object sending it.
pub(crate) fn decide_and_reserve(
    evaluation: &Evaluation,
    attempt_id: &str,
) -> Result<(Decision, Option<History>), state::StateError> {
    let decision = engine::evaluate(evaluation);
    let history = match (&decision.outcome, &evaluation.agreement) {
        (Verdict::Allowed, Some(agreement)) => {
            let recorded = state::record_attempt(
                agreement,
                &evaluation.history,
                &evaluation.request,
                &decision,
                attempt_id,
                evaluation.now,
            )?;
            // Only the attempts are the ledger; payments and other agreements' attempts are stored elsewhere.
            let pruned = ledger_pruning::prune(&evaluation.policy, agreement, &recorded, evaluation.now);
            Some(History { attempts: pruned.attempts, ..recorded })
        }
        _ => None,
    };
    Ok((decision, history))
}
