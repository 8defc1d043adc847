//! The JSON entry points: one string in, one tagged answer out. The same functions run natively, in
//! Node and browsers (through the wasm package) and in the Worker, so the same input gives
//! byte-identical output everywhere.
//!
//! Every answer is `{"type":"success", ...}` or `{"type":"failure","errors":[{"path","message"}]}`.
//! Nothing here panics on any input.

use serde::Serialize;

use crate::json::FromJson;

use crate::decision::{Decision, Limits};
use crate::engine::{self, Evaluation, LimitsQuery};
use crate::model::{Agreement, ChargeRequest, History, Outcome};
use crate::state;
use crate::time::Timestamp;
use crate::validate::{parse_json, FieldError};

/// A tagged answer.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Answer<T> {
    /// The call worked.
    Success(T),
    /// The input was bad; nothing was decided.
    Failure {
        /// Every problem found, each naming its field.
        errors: Vec<FieldError>,
    },
}

/// The success payload of [`evaluate_json`].
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionAnswer {
    /// The decision.
    pub decision: Decision,
}

/// The success payload of [`limits_json`].
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LimitsAnswer {
    /// The limits.
    pub limits: Limits,
}

/// The success payload of the state transitions.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateAnswer {
    /// The agreement after the transition.
    pub agreement: Agreement,
    /// The history after the transition.
    pub history: History,
}

/// Input of [`record_attempt_json`]: an evaluation plus the attempt id to record it under.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EvaluationWithId {
    /// The instant.
    pub now: Timestamp,
    /// The policy.
    pub policy: crate::policy::Policy,
    /// The agreement.
    pub agreement: Agreement,
    /// Its history.
    #[serde(default)]
    pub history: History,
    /// The request.
    pub request: ChargeRequest,
    /// The id to record the attempt under.
    pub attempt_id: String,
}

/// Input of [`apply_outcome_json`].
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApplyOutcomeInput {
    /// The agreement.
    pub agreement: Agreement,
    /// Its history.
    #[serde(default)]
    pub history: History,
    /// The outcome to apply.
    pub outcome: Outcome,
}

impl<T: Serialize> Answer<T> {
    /// The answer as JSON text: what every entry point returns, natively, in Node and in the Worker.
    pub fn to_json(&self) -> String {
        #[cfg(feature = "speed")]
        if let Ok(text) = crate::json::to_string(self) {
            return text;
        }
        serde_json::to_string(self).unwrap_or_else(|e| {
            // Serializing these types cannot fail (no maps with non-string keys, no custom errors); if it
            // ever did, answer with a failure rather than panic.
            format!(
                r#"{{"type":"failure","errors":[{{"path":"","message":"internal serialization error: {e}"}}]}}"#
            )
        })
    }
}

impl<T> Answer<T> {
    /// The same answer with no error quoting a position in the input text: for callers that handed
    /// values, not text (the wasm package's object forms).
    pub fn without_positions(self) -> Self {
        match self {
            Answer::Failure { errors } => {
                Answer::Failure { errors: errors.into_iter().map(FieldError::without_position).collect() }
            }
            success => success,
        }
    }
}

impl<T> From<Result<T, Vec<FieldError>>> for Answer<T> {
    fn from(result: Result<T, Vec<FieldError>>) -> Self {
        match result {
            Ok(value) => Answer::Success(value),
            Err(errors) => Answer::Failure { errors },
        }
    }
}

fn failure<T>(errors: Vec<FieldError>) -> Answer<T> {
    Answer::Failure { errors }
}

/// Parses and validates an [`Evaluation`], then decides.
pub fn evaluate_value(text: &str) -> Answer<DecisionAnswer> {
    let input: Evaluation = match parse_json(text) {
        Ok(i) => i,
        Err(e) => return failure(vec![e]),
    };
    if let Err(errors) = input.validate() {
        return failure(errors);
    }
    Answer::Success(DecisionAnswer { decision: engine::evaluate(&input) })
}

/// `evaluate` over JSON text: `{"now","policy","agreement","history","request"}` to a tagged decision.
pub fn evaluate_json(text: &str) -> String {
    evaluate_value(text).to_json()
}

/// `limits` over JSON text: `{"now","policy","agreement","history"}` to tagged limits.
pub fn limits_json(text: &str) -> String {
    limits_value(text).to_json()
}

/// [`limits_json`]'s answer before it is written as JSON.
pub fn limits_value(text: &str) -> Answer<LimitsAnswer> {
    match parse_json::<LimitsQuery>(text) {
        Err(e) => failure(vec![e]),
        Ok(q) => match q.validate() {
            Err(errors) => failure(errors),
            Ok(()) => Answer::Success(LimitsAnswer { limits: engine::limits(&q) }),
        },
    }
}

/// Decides and, when allowed, records the attempt: `{...evaluation, "attemptId"}` to the new state, or
/// a failure whose error explains the refusal (path `request`).
pub fn record_attempt_json(text: &str) -> String {
    record_attempt_value(text).to_json()
}

/// [`record_attempt_json`]'s answer before it is written as JSON.
pub fn record_attempt_value(text: &str) -> Answer<StateAnswer> {
    match parse_json::<EvaluationWithId>(text) {
        Err(e) => failure(vec![e]),
        Ok(e) => {
            let evaluation = Evaluation {
                now: e.now,
                policy: e.policy,
                agreement: Some(e.agreement.clone()),
                history: e.history,
                request: e.request,
            };
            let mut errors = evaluation.validate().err().unwrap_or_default();
            crate::model::check_id(&e.attempt_id, || "attemptId".to_string(), &mut errors);
            if !errors.is_empty() {
                failure(errors)
            } else {
                let decision = engine::evaluate(&evaluation);
                match state::record_attempt(
                    &e.agreement,
                    &evaluation.history,
                    &evaluation.request,
                    &decision,
                    &e.attempt_id,
                    evaluation.now,
                ) {
                    Ok(history) => Answer::Success(StateAnswer { agreement: e.agreement, history }),
                    Err(err) => failure(vec![record_failure(&err)]),
                }
            }
        }
    }
}

/// The error of a refused recording: a duplicate id names `attemptId`, anything else the request.
pub(crate) fn record_failure(err: &state::StateError) -> FieldError {
    let path = if matches!(err, state::StateError::DuplicateAttempt(_)) { "attemptId" } else { "request" };
    FieldError::new(path, err.to_string())
}

/// Applies a processor outcome: `{"agreement","history","outcome"}` to the new state.
pub fn apply_outcome_json(text: &str) -> String {
    apply_outcome_value(text).to_json()
}

/// [`apply_outcome_json`]'s answer before it is written as JSON.
pub fn apply_outcome_value(text: &str) -> Answer<StateAnswer> {
    match parse_json::<ApplyOutcomeInput>(text) {
        Err(e) => failure(vec![e]),
        Ok(input) => {
            let mut errors = Vec::new();
            input.agreement.validate("agreement", &mut errors);
            input.history.validate("history", &mut errors);
            input.outcome.validate("outcome", &mut errors);
            if !errors.is_empty() {
                failure(errors)
            } else {
                match state::apply_outcome(&input.agreement, &input.history, &input.outcome) {
                    Ok((agreement, history)) => Answer::Success(StateAnswer { agreement, history }),
                    Err(err) => failure(vec![FieldError::new("outcome", err.to_string())]),
                }
            }
        }
    }
}
