//! Parse once, decide many: an agreement's policy, agreement and history held parsed between calls.
//!
//! [`api::evaluate_json`] reads the whole state (policy, agreement, history) on every call, though only
//! the request changes. An [`AgreementHandle`] reads the state once; then [`AgreementHandle::evaluate_json`]
//! reads only the instant and the request, and [`AgreementHandle::record_attempt_json`] and
//! [`AgreementHandle::apply_outcome_json`] change the held state in place.
//!
//! INVARIANT: the held state is always valid (checked when opened, and every change is a state
//! transition of [`crate::state`] on validated input), so for the same state and request,
//! `evaluate_json` answers byte for byte what [`api::evaluate_json`] answers on the whole input.

use serde::Serialize;

use crate::api::{self, Answer, DecisionAnswer, StateAnswer};
use crate::decision::{Decision, Verdict};
use crate::engine;
use crate::json::FromJson;
use crate::model::{Agreement, ChargeRequest, History, Outcome};
use crate::policy::Policy;
use crate::state;
use crate::time::Timestamp;
use crate::validate::{parse_json, FieldError};

/// What an agreement handle is opened from: `{"policy","agreement","history"}`.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HandleInput {
    /// The merchant's policy.
    pub policy: Policy,
    /// The agreement.
    pub agreement: Agreement,
    /// Its history.
    #[serde(default)]
    pub history: History,
}

/// An agreement's state, parsed and validated once.
#[derive(Debug, Clone)]
pub struct AgreementHandle {
    policy: Policy,
    agreement: Agreement,
    history: History,
}

impl AgreementHandle {
    /// Reads and validates `{"policy","agreement","history"}`; each error names its field.
    pub fn open(text: &str) -> Result<Self, Vec<FieldError>> {
        let input: HandleInput = parse_json(text).map_err(|e| vec![e])?;
        let mut errors = Vec::new();
        input.policy.validate("policy", &mut errors);
        input.agreement.validate("agreement", &mut errors);
        input.history.validate("history", &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(AgreementHandle { policy: input.policy, agreement: input.agreement, history: input.history })
    }

    /// The held policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The held agreement.
    pub fn agreement(&self) -> &Agreement {
        &self.agreement
    }

    /// The held history.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Decides `request` (a `ChargeRequest` as JSON text) at `now` (RFC 3339) on the held state:
    /// [`api::evaluate_value`]'s answer for `{"now","policy","agreement","history","request"}`.
    pub fn evaluate_value(&self, now: &str, request: &str) -> Answer<DecisionAnswer> {
        match self.read(now, request) {
            Ok((now, request)) => Answer::Success(DecisionAnswer { decision: self.decide(now, &request) }),
            Err(errors) => Answer::Failure { errors },
        }
    }

    /// [`Self::evaluate_value`] as JSON text: byte-identical to [`api::evaluate_json`] on the whole state.
    pub fn evaluate_json(&self, now: &str, request: &str) -> String {
        self.evaluate_value(now, request).to_json()
    }

    /// Decides `request` at `now` and, when the decision allows it, records the pending attempt
    /// `attempt_id` on the held history (the next decision counts it). Answers the decision; a failure
    /// for bad input or an attempt id already recorded.
    pub fn record_attempt_json(&mut self, now: &str, request: &str, attempt_id: &str) -> String {
        self.record_attempt_value(now, request, attempt_id).to_json()
    }

    /// [`Self::record_attempt_json`]'s answer before it is written as JSON.
    pub fn record_attempt_value(
        &mut self,
        now: &str,
        request: &str,
        attempt_id: &str,
    ) -> Answer<DecisionAnswer> {
        let (now, request) = match self.read(now, request) {
            Ok(read) => read,
            Err(errors) => return Answer::Failure { errors },
        };
        let mut errors = Vec::new();
        crate::model::check_id(attempt_id, || "attemptId".to_string(), &mut errors);
        if !errors.is_empty() {
            return Answer::Failure { errors };
        }
        let decision = self.decide(now, &request);
        if decision.outcome == Verdict::Allowed {
            let recorded = state::record_attempt_in_place(
                &self.agreement,
                &mut self.history,
                &request,
                &decision,
                attempt_id,
                now,
            );
            if let Err(err) = recorded {
                return Answer::Failure { errors: vec![api::record_failure(&err)] };
            }
        }
        Answer::Success(DecisionAnswer { decision })
    }

    /// Applies an `Outcome` (`{"attemptId","at","result",...}` as JSON text) to the held state (the
    /// agreement's status changes where the outcome demands): `{"type":"success"}`, or a failure naming
    /// `outcome` that changed nothing.
    pub fn apply_outcome_json(&mut self, outcome: &str) -> String {
        self.apply_outcome_value(outcome).to_json()
    }

    /// [`Self::apply_outcome_json`]'s answer before it is written as JSON.
    pub fn apply_outcome_value(&mut self, outcome: &str) -> Answer<()> {
        let outcome: Outcome = match parse_json(outcome) {
            Ok(o) => o,
            Err(e) => return Answer::Failure { errors: vec![under("outcome", e)] },
        };
        let mut errors = Vec::new();
        outcome.validate("outcome", &mut errors);
        if !errors.is_empty() {
            return Answer::Failure { errors };
        }
        match state::apply_outcome_in_place(&mut self.agreement, &mut self.history, &outcome) {
            Ok(()) => Answer::Success(()),
            Err(err) => Answer::Failure { errors: vec![FieldError::new("outcome", err.to_string())] },
        }
    }

    /// Reads `now` and a request, each error naming `now` or `request...` as in a whole evaluation.
    fn read(&self, now: &str, request: &str) -> Result<(Timestamp, ChargeRequest), Vec<FieldError>> {
        let mut errors = Vec::new();
        let now = Timestamp::parse(now).map_err(|e| errors.push(FieldError::new("now", e))).ok();
        let request = parse_json::<ChargeRequest>(request).map_err(|e| errors.push(under("request", e))).ok();
        if let Some(r) = &request {
            r.validate("request", &mut errors);
        }
        match (now, request) {
            (Some(now), Some(request)) if errors.is_empty() => Ok((now, request)),
            _ => Err(errors),
        }
    }

    fn decide(&self, now: Timestamp, request: &ChargeRequest) -> Decision {
        engine::evaluate_parts(now, &self.policy, Some(&self.agreement), &self.history, request)
    }

    /// Drops the history no rule can read any more at `now` ([`crate::ledger_pruning`]): for a handle
    /// kept open across many charges.
    pub fn prune(&mut self, now: Timestamp) {
        self.history = crate::ledger_pruning::prune(&self.policy, &self.agreement, &self.history, now);
    }

    /// The held agreement and history, as [`api::record_attempt_json`] answers them:
    /// `{"type":"success","agreement","history"}`.
    pub fn state_json(&self) -> String {
        Answer::Success(StateAnswer { agreement: self.agreement.clone(), history: self.history.clone() })
            .to_json()
    }
}

/// The error of a part read on its own, with the path it has in a whole evaluation (`request.amount`).
fn under(prefix: &str, mut e: FieldError) -> FieldError {
    e.path = if e.path.is_empty() { prefix.to_string() } else { format!("{prefix}.{}", e.path) };
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = r#"{"policy": {"enabled": true, "maxCount": 2, "period": 86400, "maxMultiple": 3},
        "agreement": {"id": "pay_1", "merchantId": "m_1", "type": "unscheduled",
          "established": {"method": "cvv_purchase", "at": "2026-04-01T00:00:00Z", "amount": {"amount": "10.00", "currency": "USD"}},
          "currency": "USD", "paymentMethod": {"type": "card", "brand": "visa"}, "credential": {"token": "tok_1"},
          "consent": {"storeCredential": true, "merchantInitiated": true}},
        "history": {"payments": [], "attempts": []}}"#;

    fn request(amount: &str) -> String {
        format!(
            r#"{{"merchantId": "m_1", "reference": "pay_1", "amount": {{"amount": "{amount}", "currency": "USD"}}}}"#
        )
    }

    /// What `api::evaluate_json` answers on the handle's whole state and the same request.
    fn one_shot(handle: &AgreementHandle, at: &str, amount: &str) -> String {
        let state: serde_json::Value = serde_json::from_str(&handle.state_json()).unwrap();
        let whole = serde_json::json!({
            "now": at,
            "policy": serde_json::from_str::<serde_json::Value>(STATE).unwrap()["policy"],
            "agreement": state["agreement"], "history": state["history"],
            "request": serde_json::from_str::<serde_json::Value>(&request(amount)).unwrap(),
        });
        api::evaluate_json(&whole.to_string())
    }

    #[test]
    fn record_then_evaluate_answers_what_the_one_shot_call_answers() {
        let mut h = AgreementHandle::open(STATE).unwrap();
        for (i, at) in
            ["2026-04-02T10:00:00Z", "2026-04-02T11:00:00Z", "2026-04-02T12:00:00Z"].iter().enumerate()
        {
            let expected = one_shot(&h, at, "5.00");
            assert_eq!(h.evaluate_json(at, &request("5.00")), expected);
            // Recording answers the same decision; maxCount 2 per day: the third is refused, nothing recorded.
            assert_eq!(h.record_attempt_json(at, &request("5.00"), &format!("a{i}")), expected);
            assert_eq!(expected.contains(r#""outcome":"allowed""#), i < 2, "{expected}");
        }
        assert_eq!(h.history().attempts.len(), 2);
        let declined = h.apply_outcome_json(
            r#"{"attemptId": "a1", "at": "2026-04-02T11:00:05Z", "result": "declined", "decline": {"code": "8026"}}"#,
        );
        assert_eq!(declined, r#"{"type":"success"}"#);
        let later = "2026-04-05T00:00:00Z";
        assert_eq!(h.evaluate_json(later, &request("5.00")), one_shot(&h, later, "5.00"));
        assert!(h.evaluate_json(later, &request("5.00")).contains("reauthentication_required"));
    }

    #[test]
    fn bad_input_names_its_field_and_changes_nothing() {
        let errors =
            AgreementHandle::open(&STATE.replace(r#""maxCount": 2"#, r#""maxCount": "2""#)).unwrap_err();
        assert_eq!(errors[0].path, "policy.maxCount");
        let mut h = AgreementHandle::open(STATE).unwrap();
        let bad = h.evaluate_json("2026-04-02", &request("-1.00"));
        assert!(bad.contains(r#""path":"now""#) && bad.contains(r#""path":"request.amount"#), "{bad}");
        assert!(h
            .record_attempt_json("2026-04-02T10:00:00Z", &request("1.00"), "")
            .contains(r#""path":"attemptId""#));
        let unknown = h.apply_outcome_json(
            r#"{"attemptId": "nope", "at": "2026-04-02T10:00:00Z", "result": "approved"}"#,
        );
        assert!(unknown.contains(r#""path":"outcome""#) && unknown.contains("nope"), "{unknown}");
        assert!(h.history().attempts.is_empty());
    }
}
