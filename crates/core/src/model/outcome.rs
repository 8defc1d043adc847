//! A processor's answer to a forwarded MIT, as the state transition consumes it.

use serde::Serialize;

use crate::json::FromJson;

use crate::model::history::Decline;
use crate::time::Timestamp;
use crate::validate::FieldError;

/// The outcome of one attempt.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Outcome {
    /// The attempt it belongs to.
    pub attempt_id: String,
    /// When it was learnt.
    pub at: Timestamp,
    /// What happened.
    pub result: OutcomeResult,
    /// The processor's payment id for the MIT, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    /// The decline details, when declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline: Option<Decline>,
}

/// Outcome kinds.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, FromJson)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeResult {
    /// Approved.
    Approved,
    /// Declined (see `decline`; a reason of `authentication_required` or `card_expired`, or code `8026`,
    /// also changes the agreement's status).
    Declined,
    /// The request never reached the processor: the velocity slot is given back.
    NotSent,
}

impl Outcome {
    /// Checks the ids and codes an outcome stores: ids as every id (printable, no card number), decline
    /// codes free of card numbers; each error names its field under `path` (`""` for the top level).
    pub fn validate(&self, path: &str, errors: &mut Vec<FieldError>) {
        let field = |name: &str| if path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
        crate::model::check_id(&self.attempt_id, || field("attemptId"), errors);
        if let Some(p) = &self.payment_id {
            crate::model::check_id(p, || field("paymentId"), errors);
        }
        if let Some(d) = &self.decline {
            d.validate(&field("decline"), errors);
        }
    }
}
