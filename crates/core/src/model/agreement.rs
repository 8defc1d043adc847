//! The agreement: the stored-credential consent, anchored on its initial customer-initiated transaction.

use serde::Serialize;

use crate::json::FromJson;

use crate::money::{Currency, Money};
use crate::time::{Timestamp, ValidUntil, YearMonth};
use crate::validate::FieldError;

/// A stored-credential agreement between a merchant and a customer.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Agreement {
    /// The initial CIT's identifier: the reference MITs give (001 `originalPaymentId`, 002
    /// `originalTransaction.id`, 003 `bankTransactionID`, 000 the intent id).
    pub id: String,
    /// The merchant that owns the agreement.
    pub merchant_id: String,
    /// The customer it was made with (`x-user-id`, `purchaser_id`); `None` when the dialect has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// What kind of MIT the agreement allows.
    #[serde(rename = "type")]
    pub mit_type: MitType,
    /// Whether the initial CIT declared that type. `false` when it declared none (002's section 1 `AUTH`
    /// without a `merchantInitiatedTransaction` block): `type` is then `unscheduled`, and an MIT may declare
    /// any type (002 section 3's `RCRR` on that `AUTH`) without a `mit_type_mismatch`. Written only when
    /// `false`.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub type_declared: bool,
    /// How and when the initial CIT established it.
    pub established: Establishment,
    /// The currency every charge must be in.
    pub currency: Currency,
    /// The card or wallet behind the credential.
    pub payment_method: PaymentMethod,
    /// The stored credential (a token, never a card number).
    pub credential: Credential,
    /// The customer's consent flags on the initial CIT.
    pub consent: Consent,
    /// The agreed terms.
    #[serde(default)]
    pub terms: Terms,
    /// Active, revoked, or waiting for a new authenticated CIT.
    #[serde(default)]
    pub status: AgreementStatus,
    /// Why the status last changed (`customer_removed_card`, `soft_decline_8026`, `card_expired`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// When the status last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_changed_at: Option<Timestamp>,
}

/// Whether a flag is `true`, its default (and so not written).
#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if passes a reference")]
fn is_true(flag: &bool) -> bool {
    *flag
}

/// The MIT categories of the documents and the card networks.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, FromJson)]
#[serde(rename_all = "snake_case")]
pub enum MitType {
    /// Fixed-interval charges (subscriptions; 003 `01F`/`01N`, 002 `RCRR`).
    Recurring,
    /// A fixed number of charges for one purchase.
    Installment,
    /// Charges at variable times and amounts (usage, top-ups, no-show fees; 003 `03F`/`03N`, 002 `UCOF`).
    Unscheduled,
}

impl MitType {
    /// The name used in messages and JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            MitType::Recurring => "recurring",
            MitType::Installment => "installment",
            MitType::Unscheduled => "unscheduled",
        }
    }
}

/// How the initial CIT verified the customer.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Establishment {
    /// The verification method.
    pub method: EstablishmentMethod,
    /// The initial CIT's exact timestamp (002 demands MITs repeat it exactly).
    pub at: Timestamp,
    /// The initial CIT's amount (zero for a zero-authorization).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    /// The Mastercard Merchant Advice Code on the storing CIT's approval (`40` non-reloadable prepaid and
    /// `41` single-use virtual card mean: do not store for MITs; the same name as `decline.adviceCode`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice_code: Option<String>,
    /// The network transaction id of the storing CIT (Visa transaction id, Mastercard trace id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_transaction_id: Option<String>,
    /// The Mastercard Transaction Link ID retained from the storing CIT (or, for a CIT before 2026-06-02,
    /// from the first approved MIT after it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_link_id: Option<String>,
}

pub use establishment_method::EstablishmentMethod;
mod establishment_method {
    use serde::Serialize;

    use crate::json::FromJson;
    /// The ways an agreement can be established.
    #[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, FromJson)]
    #[serde(rename_all = "snake_case")]
    pub enum EstablishmentMethod {
        /// A purchase where the customer entered the CVV (001 "initial purchase").
        CvvPurchase,
        /// A zero-amount authorization (001 zero auth, 002 `AUTH` with 0.00).
        ZeroAuth,
        /// A strongly authenticated (3-D Secure) first transaction (003 `01F`/`03F`).
        Sca,
        /// A chain set up before SCA rules; MITs reference it as `-100` (003).
        Grandfathered,
    }
}

/// The card or wallet the credential came from.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PaymentMethod {
    /// Card or mobile wallet.
    #[serde(rename = "type")]
    pub kind: PaymentMethodKind,
    /// Card network, which decides the retry rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<CardBrand>,
    /// Whether the processor marked the credential usable for MIT (000 `is_mit_compatible`).
    #[serde(default = "yes")]
    pub mit_compatible: bool,
}

pub(super) fn yes() -> bool {
    true
}

/// Card or mobile wallet.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, FromJson)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethodKind {
    /// A card.
    Card,
    /// Apple Pay: cannot be an MIT reference (001).
    ApplePay,
    /// Google Pay: cannot be an MIT reference (001).
    GooglePay,
    /// Another mobile wallet.
    OtherWallet,
}

impl PaymentMethodKind {
    /// Whether this is a mobile wallet payment.
    pub fn is_wallet(&self) -> bool {
        !matches!(self, PaymentMethodKind::Card)
    }
}

/// Card networks.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, FromJson)]
#[serde(rename_all = "snake_case")]
pub enum CardBrand {
    /// Visa.
    Visa,
    /// Mastercard.
    Mastercard,
    /// American Express.
    Amex,
    /// Discover.
    Discover,
    /// JCB.
    Jcb,
    /// UnionPay.
    Unionpay,
    /// Diners Club.
    Diners,
    /// Any other network.
    Other,
}

/// The stored credential: a processor token. Card numbers are never part of the model.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Credential {
    /// The processor's credential token (`cred_token_abc123xyz`, `TKN123456789`).
    pub token: String,
    /// Card expiry month, `YYYY-MM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_expiry: Option<YearMonth>,
    /// Last four digits, for display only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last4: Option<String>,
}

/// Consent flags on the initial CIT (000: `allow_remember_credentials` and
/// `request_unscheduled_mit` / `require_unscheduled_mit`).
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Consent {
    /// The customer agreed to have the credential stored.
    pub store_credential: bool,
    /// The customer agreed to merchant-initiated charges.
    pub merchant_initiated: bool,
}

/// The agreed terms; every field is optional.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Terms {
    /// The maximum amount of one charge (003 `authenticationAmount` for recurring chains).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_amount: Option<Money>,
    /// Whether agreed amounts are actual or estimated (002 `amountQualifier`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_qualifier: Option<AmountQualifier>,
    /// Minimum whole days between two charges (003 `frequency`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_interval_days: Option<u32>,
    /// Last instant (or day) of the agreement (002 `validityDate`, 003 `expiry`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<ValidUntil>,
    /// The recurring schedule (002 `schedule`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// For installment agreements: the number of charges agreed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installment_count: Option<u32>,
    /// The end of a free trial or introductory offer: the first charge at or after it needs the networks'
    /// trial reminder (policy `trialReminders`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trial_ends_at: Option<Timestamp>,
    /// What an Indian e-mandate pays for: decides the additional-authentication limit (policy
    /// `indiaProfile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandate_category: Option<MandateCategory>,
}

/// Purposes of an Indian e-mandate (RBI): mutual funds, insurance premiums and credit-card bills have a
/// higher additional-authentication limit than every other purpose.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, FromJson)]
#[serde(rename_all = "snake_case")]
pub enum MandateCategory {
    /// Any other purpose.
    General,
    /// A mutual-fund subscription.
    MutualFund,
    /// An insurance premium.
    InsurancePremium,
    /// A credit-card bill.
    CreditCardBill,
}

/// Actual or estimated amounts.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, FromJson)]
#[serde(rename_all = "snake_case")]
pub enum AmountQualifier {
    /// The agreed amount is the amount charged.
    Actual,
    /// The agreed amount is an estimate.
    Estimated,
}

/// A recurring schedule: charges between `initialDate` and `finalDate`, at most one per `interval`.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Schedule {
    /// No charge before this instant.
    pub initial_date: Timestamp,
    /// No charge after this instant (inclusive end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_date: Option<Timestamp>,
    /// The minimum spacing between charges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Interval>,
}

/// Schedule intervals (002 `interval`).
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, FromJson)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    /// Every day.
    Daily,
    /// Every 7 days.
    Weekly,
    /// Every 14 days.
    Biweekly,
    /// Every calendar month.
    Monthly,
    /// Every 3 calendar months.
    Quarterly,
    /// Every 6 calendar months.
    SemiAnnually,
    /// Every 12 calendar months.
    Yearly,
}

/// Where an agreement stands.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, FromJson)]
#[serde(rename_all = "snake_case")]
pub enum AgreementStatus {
    /// Usable.
    #[default]
    Active,
    /// The customer withdrew consent or removed the card: no MIT may follow.
    Revoked,
    /// A new authenticated CIT is needed (soft decline 8026, expired card).
    ReauthenticationRequired,
}

impl Agreement {
    /// Checks values that parse but cannot be right; each error names its field.
    pub fn validate(&self, path: &str, errors: &mut Vec<FieldError>) {
        let field = |name: &str| format!("{path}.{name}");
        check_id(&self.id, || field("id"), errors);
        check_id(&self.merchant_id, || field("merchantId"), errors);
        if let Some(c) = &self.customer_id {
            check_id(c, || field("customerId"), errors);
        }
        check_id(&self.credential.token, || field("credential.token"), errors);
        if let Some(l4) = &self.credential.last4 {
            if l4.len() != 4 || !l4.bytes().all(|b| b.is_ascii_digit()) {
                errors.push(FieldError::new(field("credential.last4"), "must be exactly four digits"));
            }
        }
        for (name, value) in [
            ("established.adviceCode", &self.established.advice_code),
            ("established.networkTransactionId", &self.established.network_transaction_id),
            ("established.transactionLinkId", &self.established.transaction_link_id),
        ] {
            if let Some(v) = value {
                check_id(v, || field(name), errors);
            }
        }
        if let Some(amount) = &self.established.amount {
            if amount.currency() != self.currency {
                errors.push(FieldError::new(
                    field("established.amount.currency"),
                    "must equal the agreement's currency",
                ));
            }
        }
        if let Some(max) = &self.terms.max_amount {
            if max.currency() != self.currency {
                errors.push(FieldError::new(
                    field("terms.maxAmount.currency"),
                    "must equal the agreement's currency",
                ));
            }
        }
        if let Some(days) = self.terms.min_interval_days {
            if days > 3660 {
                errors.push(FieldError::new(field("terms.minIntervalDays"), "must be at most 3660 days"));
            }
        }
        if let Some(n) = self.terms.installment_count {
            if n == 0 || n > 1000 {
                errors.push(FieldError::new(field("terms.installmentCount"), "must be between 1 and 1000"));
            }
        }
        if self.terms.installment_count.is_some() && self.mit_type != MitType::Installment {
            errors
                .push(FieldError::new(field("terms.installmentCount"), "is only for installment agreements"));
        }
        if let Some(s) = &self.terms.schedule {
            if s.final_date.is_some_and(|f| f < s.initial_date) {
                errors.push(FieldError::new(field("terms.schedule.finalDate"), "is before initialDate"));
            }
        }
    }
}

/// Identifiers: 1 to 256 printable ASCII characters, no control characters.
/// Refuses free text (a decline code, a reason) that carries a card number.
pub(crate) fn check_no_card(text: &str, path: impl FnOnce() -> String, errors: &mut Vec<FieldError>) {
    if crate::pan::looks_like_card_number(text) {
        errors.push(FieldError::new(path(), "looks like a card number; never send card data"));
    }
}

pub(crate) fn check_id(id: &str, path: impl FnOnce() -> String, errors: &mut Vec<FieldError>) {
    // The path is built only for an error: validating a valid input formats nothing.
    let problem = if id.is_empty() {
        "must not be empty"
    } else if id.len() > 256 {
        "must be at most 256 characters"
    } else if !id.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        "must be printable ASCII without spaces or control characters"
    } else if crate::pan::looks_like_card_number(id) {
        // Ids become storage keys and log fields: a card number must never be one.
        "looks like a card number; never send card data"
    } else {
        return;
    };
    errors.push(FieldError::new(path(), problem));
}
