//! The charge request: what the merchant asks to charge, on which reference.

use serde::Serialize;

use crate::json::FromJson;

use crate::model::agreement::{check_id, MitType};
use crate::money::Money;
use crate::time::Timestamp;
use crate::validate::FieldError;

/// The reference value that marks a grandfathered chain (003 `bankTransactionID: -100`).
pub const GRANDFATHERED_REFERENCE: &str = "-100";

/// One MIT charge request, in canonical form.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChargeRequest {
    /// The merchant asking.
    pub merchant_id: String,
    /// The customer, when the dialect names one (001 `x-user-id`, 000 `purchaser_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The reference given: the initial CIT's id, or `-100` for a grandfathered chain.
    pub reference: String,
    /// The original transaction's timestamp as the request repeats it (002 `originalTransaction.datetime`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_at: Option<Timestamp>,
    /// The credential token the request names (000 `credentials[0]`, 003 `tokenValue`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_token: Option<String>,
    /// The MIT type the request declares (003 `01N`/`03N`, 002 `RCRR`/`UCOF`).
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub mit_type: Option<MitType>,
    /// The amount to charge.
    pub amount: Money,
    /// When the customer was notified of this charge (pre-debit notification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_sent_at: Option<Timestamp>,
    /// When the customer was sent the networks' reminder for this charge (a trial ending, or a
    /// subscription billed 6 months apart or more; policy `trialReminders`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder_sent_at: Option<Timestamp>,
    /// The caller's idempotency key; the engine does not interpret it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

impl ChargeRequest {
    /// Checks values that parse but cannot be right; each error names its field.
    pub fn validate(&self, path: &str, errors: &mut Vec<FieldError>) {
        let field = |name: &str| format!("{path}.{name}");
        check_id(&self.merchant_id, || field("merchantId"), errors);
        check_id(&self.reference, || field("reference"), errors);
        if let Some(c) = &self.customer_id {
            check_id(c, || field("customerId"), errors);
        }
        if let Some(t) = &self.credential_token {
            check_id(t, || field("credentialToken"), errors);
        }
        if let Some(k) = &self.idempotency_key {
            check_id(k, || field("idempotencyKey"), errors);
        }
        if self.amount.is_zero() {
            errors.push(FieldError::new(field("amount.amount"), "must be greater than zero"));
        }
    }
}
