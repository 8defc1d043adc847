//! # mitgate-wasm
//!
//! The mitgate engine for JavaScript (Node 20+ and browsers), as a thin wasm-bindgen layer over
//! [`mitgate_core::api`] and `mitgate_dialects` (through [`dialects`]). It adds no rules of its own.
//!
//! Two forms of every call:
//! - **JSON strings** (`evaluateJson`, `limitsJson`, `recordAttemptJson`, `applyOutcomeJson`, and the
//!   dialect calls `parseCitJson`, `parseMitJson`, `readOutcomeJson`, `renderRefusalJson`): one JSON
//!   string in, one JSON string out, byte-identical to the native `api::*_json` functions. This is the
//!   primary API: what a Worker, a Node backend and a browser compare byte for byte.
//! - **Objects** (`evaluate`, `limits`, `recordAttempt`, `applyOutcome`): the same calls on plain
//!   JavaScript objects typed with the generated declarations (`Evaluation`, `Answer<DecisionAnswer>`,
//!   ...). They go through `JSON.stringify` / `JSON.parse`, so they accept and answer exactly what the
//!   JSON form does: the same field-path errors, the same refusal of fractional JSON numbers as money.
//!
//! - **A handle** (`openAgreementJson`, then `AgreementHandle.evaluateJson`, `recordAttemptJson`,
//!   `applyOutcomeJson`): the state parsed once, each decision reading only the instant and the request
//!   ([`agreement_handle`]). Its decisions are byte-identical to `evaluateJson`'s on the same state.
//!
//! The browser build leaves out the stateless transitions (`recordAttempt[Json]`, `applyOutcome[Json]`,
//! feature `state-transitions`): in a browser a handle records attempts and outcomes, and the file keeps
//! its 120 KiB budget. The Node build has everything.
//!
//! Every answer is tagged data: `{"type":"success",...}` or `{"type":"failure","errors":[{path,message}]}`.
//! Nothing throws or panics across the boundary, whatever the input.

use mitgate_core::api;
use mitgate_core::validate::FieldError;
use wasm_bindgen::prelude::*;

/// The tagged failure answer for a problem found before the engine saw the input.
fn failure_json(message: &str) -> String {
    let answer: api::Answer<()> = api::Answer::Failure { errors: vec![FieldError::new("", message)] };
    serde_json::to_string(&answer).unwrap_or_else(|_| {
        r#"{"type":"failure","errors":[{"path":"","message":"internal error"}]}"#.to_string()
    })
}

/// Runs a JSON entry point on a JavaScript value: `JSON.stringify`, the entry point, `JSON.parse`.
/// A value `JSON.stringify` cannot write (a `BigInt`, a cycle, `undefined`) gives a failure answer.
/// The entry points given here drop positions from their errors ([`api::Answer::without_positions`]):
/// the caller handed an object and never saw the text `JSON.stringify` wrote, so an error names the field
/// by its path only.
fn through_json(input: &JsValue, entry: fn(&str) -> String) -> JsValue {
    let text = match js_sys::JSON::stringify(input) {
        Ok(s) if input.is_undefined() || s.is_undefined() => {
            failure_json("expected a JSON object, got undefined")
        }
        Ok(s) => match s.as_string() {
            Some(text) => entry(&text),
            None => failure_json("expected a JSON object"),
        },
        Err(e) => {
            let why = js_sys::Error::from(e).message().as_string().unwrap_or_default();
            failure_json(&format!("input cannot be written as JSON: {why}"))
        }
    };
    js_sys::JSON::parse(&text).unwrap_or_else(|_| JsValue::from_str(&text))
}

/// The engine's version (the crate version of mitgate-core this package was built from).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Decides one MIT charge. Input: `{"now","policy","agreement","history","request"}` as JSON text.
/// Output: `{"type":"success","decision":{...}}` or `{"type":"failure","errors":[...]}`, byte-identical
/// to the native `mitgate_core::api::evaluate_json`.
#[wasm_bindgen(js_name = "evaluateJson")]
pub fn evaluate_json(input: &str) -> String {
    api::evaluate_json(input)
}

/// An agreement's limits at `now`. Input: `{"now","policy","agreement","history"}` as JSON text.
/// Output: `{"type":"success","limits":{...}}` or a failure, byte-identical to `api::limits_json`.
#[wasm_bindgen(js_name = "limitsJson")]
pub fn limits_json(input: &str) -> String {
    api::limits_json(input)
}

/// Decides a charge and, when allowed, records it as a pending attempt.
/// Input: an evaluation plus `"attemptId"`. Output: `{"type":"success","agreement","history"}` (the new
/// state) or a failure (a refused charge is a failure at path `request`). Same bytes as `api::record_attempt_json`.
#[cfg(feature = "state-transitions")]
#[wasm_bindgen(js_name = "recordAttemptJson")]
pub fn record_attempt_json(input: &str) -> String {
    api::record_attempt_json(input)
}

/// Applies a processor outcome to its attempt. Input: `{"agreement","history","outcome"}`.
/// Output: the new state or a failure, byte-identical to `api::apply_outcome_json`.
#[cfg(feature = "state-transitions")]
#[wasm_bindgen(js_name = "applyOutcomeJson")]
pub fn apply_outcome_json(input: &str) -> String {
    api::apply_outcome_json(input)
}

/// [`evaluate_json`] on objects: an `Evaluation` in, an `Answer<DecisionAnswer>` out.
#[wasm_bindgen(unchecked_return_type = "Answer<DecisionAnswer>")]
pub fn evaluate(#[wasm_bindgen(unchecked_param_type = "Evaluation")] input: JsValue) -> JsValue {
    through_json(&input, |t| api::evaluate_value(t).without_positions().to_json())
}

/// [`limits_json`] on objects: a `LimitsQuery` in, an `Answer<LimitsAnswer>` out.
#[wasm_bindgen(unchecked_return_type = "Answer<LimitsAnswer>")]
pub fn limits(#[wasm_bindgen(unchecked_param_type = "LimitsQuery")] input: JsValue) -> JsValue {
    through_json(&input, |t| api::limits_value(t).without_positions().to_json())
}

/// [`record_attempt_json`] on objects: an `EvaluationWithId` in, an `Answer<StateAnswer>` out.
#[cfg(feature = "state-transitions")]
#[wasm_bindgen(js_name = "recordAttempt", unchecked_return_type = "Answer<StateAnswer>")]
pub fn record_attempt(#[wasm_bindgen(unchecked_param_type = "EvaluationWithId")] input: JsValue) -> JsValue {
    through_json(&input, |t| api::record_attempt_value(t).without_positions().to_json())
}

/// [`apply_outcome_json`] on objects: an `ApplyOutcomeInput` in, an `Answer<StateAnswer>` out.
#[cfg(feature = "state-transitions")]
#[wasm_bindgen(js_name = "applyOutcome", unchecked_return_type = "Answer<StateAnswer>")]
pub fn apply_outcome(#[wasm_bindgen(unchecked_param_type = "ApplyOutcomeInput")] input: JsValue) -> JsValue {
    through_json(&input, |t| api::apply_outcome_value(t).without_positions().to_json())
}

pub mod agreement_handle;

/// The dialect JSON entry points, from `mitgate_dialects` (feature `wasm`).
pub use mitgate_dialects::ffi as dialects;

/// Captures the agreement a successful CIT established, from a processor's own documents.
/// Input: a `CitInput` as JSON text (`{"dialect","merchantId","at","headers","request","response",...}`).
/// Output: `{"type":"success","agreement","payment"}` or a failure whose paths name the input's fields.
#[wasm_bindgen(js_name = "parseCitJson")]
pub fn parse_cit_json(input: &str) -> String {
    dialects::parse_cit_json(input)
}

/// Parses an MIT request in a dialect: `MitInput` JSON text to `{"type":"success","request","lookup"}`.
#[wasm_bindgen(js_name = "parseMitJson")]
pub fn parse_mit_json(input: &str) -> String {
    dialects::parse_mit_json(input)
}

/// Reads a processor's MIT response (with `status`) or an Infinic `StatusChange` webhook (without):
/// `OutcomeInput` JSON text to `{"type":"success","outcome"}` (`outcome` null: not settled yet).
#[wasm_bindgen(js_name = "readOutcomeJson")]
pub fn read_outcome_json(input: &str) -> String {
    dialects::read_outcome_json(input)
}

/// Decides an evaluation and renders the refusal in a dialect: `RenderInput` JSON text to
/// `{"type":"success","decision","response"}` (`response` null when the charge is allowed).
#[wasm_bindgen(js_name = "renderRefusalJson")]
pub fn render_refusal_json(input: &str) -> String {
    dialects::render_refusal_json(input)
}

/// [`parse_cit_json`] on objects: a `CitInput` in, an `Answer<CitAnswer>` out.
#[wasm_bindgen(js_name = "parseCit", unchecked_return_type = "Answer<CitAnswer>")]
pub fn parse_cit(#[wasm_bindgen(unchecked_param_type = "CitInput")] input: JsValue) -> JsValue {
    through_json(&input, |t| dialects::parse_cit_value(t).without_positions().to_json())
}

/// [`parse_mit_json`] on objects: an `MitInput` in, an `Answer<MitAnswer>` out.
#[wasm_bindgen(js_name = "parseMit", unchecked_return_type = "Answer<MitAnswer>")]
pub fn parse_mit(#[wasm_bindgen(unchecked_param_type = "MitInput")] input: JsValue) -> JsValue {
    through_json(&input, |t| dialects::parse_mit_value(t).without_positions().to_json())
}

/// [`read_outcome_json`] on objects: an `OutcomeInput` in, an `Answer<OutcomeAnswer>` out.
#[wasm_bindgen(js_name = "readOutcome", unchecked_return_type = "Answer<OutcomeAnswer>")]
pub fn read_outcome(#[wasm_bindgen(unchecked_param_type = "OutcomeInput")] input: JsValue) -> JsValue {
    through_json(&input, |t| dialects::read_outcome_value(t).without_positions().to_json())
}

/// [`render_refusal_json`] on objects: a `RenderInput` in, an `Answer<RefusalAnswer>` out.
#[wasm_bindgen(js_name = "renderRefusal", unchecked_return_type = "Answer<RefusalAnswer>")]
pub fn render_refusal(#[wasm_bindgen(unchecked_param_type = "RenderInput")] input: JsValue) -> JsValue {
    through_json(&input, |t| {
        dialects::render_refusal_written(t, |errors| {
            errors.into_iter().map(FieldError::without_position).collect()
        })
    })
}
