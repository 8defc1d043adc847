//! What has happened on an agreement: the customer's CIT payments and the MIT attempts with outcomes.

use serde::Serialize;

use crate::json::FromJson;

use crate::model::agreement::{check_id, CardBrand};
use crate::money::Money;
use crate::time::Timestamp;
use crate::validate::FieldError;

/// The agreement's history. Order of entries does not matter: the engine sorts by time, then id.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct History {
    /// The customer's customer-initiated payments (the base of the amount ceiling).
    #[serde(default)]
    pub payments: Vec<Payment>,
    /// MIT attempts on this agreement.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// MIT attempts on the same credential token under the merchant's *other* agreements. The networks
    /// count declines and reattempts per card, so only the network retry rules read them; velocity,
    /// intervals and installments stay per agreement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credential_attempts: Vec<Attempt>,
}

/// The most history entries of each kind an input may carry.
pub const MAX_HISTORY_ENTRIES: usize = 10_000;

/// A customer-initiated payment.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Payment {
    /// The processor's payment id.
    pub id: String,
    /// When it was made.
    pub at: Timestamp,
    /// Its amount.
    pub amount: Money,
    /// The customer entered the CVV (only such payments raise the ceiling, 001).
    pub cvv_verified: bool,
    /// Purchase or zero-authorization.
    #[serde(default = "purchase")]
    pub kind: PaymentKind,
}

pub(super) fn purchase() -> PaymentKind {
    PaymentKind::Purchase
}

/// Kinds of customer-initiated payment.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, FromJson)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    /// A purchase with an amount.
    Purchase,
    /// A zero-amount card verification.
    ZeroAuth,
}

/// One MIT attempt mitgate admitted.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Attempt {
    /// mitgate's attempt id (the idempotency key or one the caller assigns).
    pub id: String,
    /// When it was admitted.
    pub at: Timestamp,
    /// Its amount.
    pub amount: Money,
    /// Where it stands.
    pub status: AttemptStatus,
    /// The processor's id for the MIT payment, once known (using it as a reference is chaining).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    /// The credential token charged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_token: Option<String>,
    /// The decline, when declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline: Option<Decline>,
    /// When the outcome was learnt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<Timestamp>,
}

/// Attempt states. Every state but `released` holds a velocity slot.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, FromJson)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    /// Admitted and forwarded; outcome not known yet. Counts as a charge.
    Pending,
    /// The processor approved it.
    Approved,
    /// The processor declined it.
    Declined,
    /// Never reached the processor (connection refused before sending): the slot is given back.
    Released,
}

impl AttemptStatus {
    /// Holds a velocity slot.
    pub fn holds_slot(&self) -> bool {
        !matches!(self, AttemptStatus::Released)
    }

    /// Counts as a charge for minimum-interval and installment rules (may have moved money).
    pub fn is_charge(&self) -> bool {
        matches!(self, AttemptStatus::Pending | AttemptStatus::Approved)
    }
}

/// A processor decline, with whatever codes the processor gave.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Decline {
    /// The network the decline came through (decides which retry rules apply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<CardBrand>,
    /// The issuer's response code (`05`, `51`, `R1`, `8026`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Mastercard Merchant Advice Code (`03`, `21`, `24`..`30`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice_code: Option<String>,
    /// The canonical reason.
    #[serde(default = "other_reason")]
    pub reason: DeclineReason,
}

impl Decline {
    /// Refuses a code that carries a card number (codes are stored and shown).
    pub fn validate(&self, path: &str, errors: &mut Vec<FieldError>) {
        if let Some(c) = &self.code {
            crate::model::check_no_card(c, || format!("{path}.code"), errors);
        }
        if let Some(c) = &self.advice_code {
            crate::model::check_no_card(c, || format!("{path}.adviceCode"), errors);
        }
    }
}

pub(super) fn other_reason() -> DeclineReason {
    DeclineReason::Other
}

/// Canonical decline reasons the dialects map their failure reasons onto.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, FromJson)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeclineReason {
    /// Not enough funds (000 `InsufficientFunds`).
    InsufficientFunds,
    /// The card has expired (000 `CardExpired`).
    CardExpired,
    /// Soft decline: the cardholder must authenticate, a new chain is needed (003 `8026`).
    AuthenticationRequired,
    /// Lost or stolen card.
    LostOrStolen,
    /// Account closed.
    AccountClosed,
    /// The cardholder revoked the authorization (Visa `R0`/`R1`/`R3`).
    AuthorizationRevoked,
    /// Suspected fraud.
    SuspectedFraud,
    /// Generic do-not-honor.
    DoNotHonor,
    /// The issuer or network was unavailable.
    IssuerUnavailable,
    /// Anything else.
    Other,
}

impl History {
    /// Checks sizes and ids; each error names its field.
    pub fn validate(&self, path: &str, errors: &mut Vec<FieldError>) {
        for (name, len) in [
            ("payments", self.payments.len()),
            ("attempts", self.attempts.len()),
            ("credentialAttempts", self.credential_attempts.len()),
        ] {
            if len > MAX_HISTORY_ENTRIES {
                errors.push(FieldError::new(
                    format!("{path}.{name}"),
                    format!("must hold at most {MAX_HISTORY_ENTRIES} entries"),
                ));
            }
        }
        for (i, p) in self.payments.iter().enumerate() {
            check_id(&p.id, || format!("{path}.payments[{i}].id"), errors);
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, a) in self.attempts.iter().enumerate() {
            check_id(&a.id, || format!("{path}.attempts[{i}].id"), errors);
            if let Some(p) = &a.payment_id {
                check_id(p, || format!("{path}.attempts[{i}].paymentId"), errors);
            }
            if let Some(t) = &a.credential_token {
                check_id(t, || format!("{path}.attempts[{i}].credentialToken"), errors);
            }
            if let Some(d) = &a.decline {
                d.validate(&format!("{path}.attempts[{i}].decline"), errors);
            }
            if !seen.insert(a.id.as_str()) {
                errors.push(FieldError::new(
                    format!("{path}.attempts[{i}].id"),
                    "duplicates an earlier attempt id",
                ));
            }
        }
        for (i, a) in self.credential_attempts.iter().enumerate() {
            check_id(&a.id, || format!("{path}.credentialAttempts[{i}].id"), errors);
            if a.credential_token.is_none() {
                errors.push(FieldError::new(
                    format!("{path}.credentialAttempts[{i}].credentialToken"),
                    "is required: it names the shared credential",
                ));
            }
        }
    }
}
