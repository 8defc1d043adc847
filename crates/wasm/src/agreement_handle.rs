//! Parse once, decide many, for JavaScript: [`AgreementHandle`] holds an agreement's policy, agreement and
//! history parsed (`mitgate_core::agreement_handle`); each call reads only its own small JSON input.
//!
//! A handle owns memory in the wasm instance: free it with `free()` (or `using`), or leave it to the
//! garbage collector (the package is built with wasm-bindgen's `--weak-refs`: a `FinalizationRegistry`
//! frees a handle nothing refers to any more).

use mitgate_core::agreement_handle as core;
use mitgate_core::api;
use wasm_bindgen::prelude::*;

/// An agreement's state parsed once: decide, and record an allowed charge (`evaluateJson`), apply an
/// outcome (`applyOutcomeJson`), read the state (`stateJson`), without reading the policy, agreement and
/// history again.
/// Open one with `openAgreementJson`.
#[wasm_bindgen]
pub struct AgreementHandle(core::AgreementHandle);

/// Opens an agreement handle from `{"policy","agreement","history"}` JSON text (a `HandleInput`): the
/// handle, or the failure answer `{type: "failure", errors}` naming each bad field. Never throws.
#[wasm_bindgen(
    js_name = "openAgreementJson",
    unchecked_return_type = "AgreementHandle | { type: \"failure\"; errors: FieldError[] }"
)]
pub fn open_agreement_json(input: &str) -> JsValue {
    match core::AgreementHandle::open(input) {
        Ok(handle) => AgreementHandle(handle).into(),
        Err(errors) => {
            let text = api::Answer::<()>::Failure { errors }.to_json();
            js_sys::JSON::parse(&text).unwrap_or_else(|_| JsValue::from_str(&text))
        }
    }
}

#[wasm_bindgen]
impl AgreementHandle {
    /// Decides `request` (a `ChargeRequest` as JSON text) at `now` (RFC 3339) on the held state; the
    /// answer text is byte-identical to `evaluateJson` on `{"now","policy","agreement","history","request"}`.
    /// With an `attemptId`, an allowed charge is also recorded as that pending attempt (the next decision
    /// counts it; an id already recorded is a failure at `attemptId` and records nothing).
    #[wasm_bindgen(js_name = "evaluateJson")]
    pub fn evaluate_json(&mut self, now: &str, request: &str, attempt_id: Option<String>) -> String {
        match attempt_id {
            None => self.0.evaluate_json(now, request),
            Some(id) => self.0.record_attempt_json(now, request, &id),
        }
    }

    /// Applies an `Outcome` (`{"attemptId","at","result",...}` as JSON text): `{"type":"success"}` or a
    /// failure naming `outcome` (the state unchanged).
    #[wasm_bindgen(js_name = "applyOutcomeJson")]
    pub fn apply_outcome_json(&mut self, outcome: &str) -> String {
        self.0.apply_outcome_json(outcome)
    }

    /// The held agreement and history: `Answer<StateAnswer>` as JSON text.
    #[wasm_bindgen(js_name = "stateJson")]
    pub fn state_json(&self) -> String {
        self.0.state_json()
    }
}
