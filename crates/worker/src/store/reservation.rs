//! The step a reservation runs wherever the ledger lives (the Worker with KV, the agreement's Durable
//! Object): decide, and when the decision allows the charge, record the pending attempt.

use mitgate_core::decision::{Decision, Verdict};
use mitgate_core::engine::{self, Evaluation};
use mitgate_core::model::History;
use mitgate_core::state;

/// The decision on `evaluation` (its history holds the ledger as stored) and, when it allows the charge,
/// the history with the pending attempt `attempt_id` at `evaluation.now`.
///
/// INVARIANT: pure. The Worker and the Durable Object run it on the same input and get the same answer,
/// which is how the Worker learns the object's decision without the object sending it.
pub(crate) fn decide_and_reserve(
    evaluation: &Evaluation,
    attempt_id: &str,
) -> Result<(Decision, Option<History>), state::StateError> {
    let decision = engine::evaluate(evaluation);
    let history = match (&decision.outcome, &evaluation.agreement) {
        (Verdict::Allowed, Some(agreement)) => Some(state::record_attempt(
            agreement,
            &evaluation.history,
            &evaluation.request,
            &decision,
            attempt_id,
            evaluation.now,
        )?),
        _ => None,
    };
    Ok((decision, history))
}
