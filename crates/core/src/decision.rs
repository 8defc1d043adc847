//! The decision: allowed or refused, every violated rule with its stable code, HTTP status, message and
//! the numbers behind it, and the limits that still apply. A refusal is data, never an error.

use serde::Serialize;

use crate::model::{AgreementStatus, CardBrand, Interval, MandateCategory, MitType};
use crate::money::{Currency, Money};
use crate::time::{Timestamp, ValidUntil, YearMonth};

/// The engine's answer for one charge request.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// `allowed` or `refused`.
    pub outcome: Verdict,
    /// 200 when allowed; otherwise the status of the first violation in rule order.
    pub http_status: u16,
    /// Every violated rule, in rule order (empty when allowed).
    pub violations: Vec<Violation>,
    /// When every violation is temporary: the earliest instant all of them have cleared.
    pub retry_at: Option<Timestamp>,
    /// `retry_at - now` in whole seconds, rounded up (an HTTP `Retry-After`).
    pub retry_after_seconds: Option<u64>,
    /// The agreement's limits at `now` (absent when the agreement is unknown or not the caller's).
    pub limits: Option<Limits>,
    /// The network rule-set version that judged the charge (`"2026-10-25"`): the policy's pin, or the
    /// version in force at `now`. Past declines are categorised by the version in force when they happened.
    pub rules_version: &'static str,
}

/// Allowed or refused.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The charge may go ahead.
    Allowed,
    /// The charge must not be sent.
    Refused,
}

/// One violated rule.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    /// Stable machine-readable code.
    pub code: Code,
    /// The rule module that found it (`amount_ceiling`, `velocity`, ...).
    pub rule: &'static str,
    /// The HTTP status a processor would answer with.
    pub http_status: u16,
    /// A sentence for people.
    pub message: String,
    /// When the violation is temporary: the instant it clears by itself. `None`: waiting won't help.
    pub retry_at: Option<Timestamp>,
    /// The numbers behind it.
    pub details: Details,
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $text:literal, $rule:literal, $status:literal; )*) => {
        /// Stable violation codes. Never renamed once released; new ones may be added.
        #[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum Code { $( $(#[$doc])* $variant, )* }

        impl Code {
            /// Every code, in rule order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The code as it appears in JSON.
            pub fn as_str(&self) -> &'static str { match self { $( Code::$variant => $text, )* } }

            /// The rule module that owns the code.
            pub fn rule(&self) -> &'static str { match self { $( Code::$variant => $rule, )* } }

            /// The canonical HTTP status (dialects may render another).
            pub fn http_status(&self) -> u16 { match self { $( Code::$variant => $status, )* } }
        }
    };
}

codes! {
    /// MIT is not switched on for the merchant.
    MitNotEnabled = "mit_not_enabled", "merchant_enabled", 403;
    /// No agreement matches the reference.
    AgreementNotFound = "agreement_not_found", "agreement_lookup", 404;
    /// The agreement belongs to another merchant.
    MerchantMismatch = "merchant_mismatch", "agreement_lookup", 403;
    /// The agreement was made with another customer.
    CustomerMismatch = "customer_mismatch", "agreement_lookup", 403;
    /// The customer revoked the agreement (or removed the card).
    AgreementRevoked = "agreement_revoked", "agreement_status", 403;
    /// The chain needs a new authenticated CIT (after soft decline 8026 or an expired card).
    ReauthenticationRequired = "reauthentication_required", "agreement_status", 403;
    /// The request names a credential token other than the agreement's.
    CredentialMismatch = "credential_mismatch", "credential", 403;
    /// The credential cannot be used for MIT.
    CredentialNotMitCompatible = "credential_not_mit_compatible", "credential", 422;
    /// The storing CIT's approval said the card must not be stored for MITs (Mastercard MAC 40/41).
    CredentialNotStorable = "credential_not_storable", "network_credential", 403;
    /// The agreement lacks a storing-CIT reference the network requires on MITs (policy
    /// `requireNetworkReferences`).
    NetworkReferenceMissing = "network_reference_missing", "network_credential", 422;
    /// The reference is itself an MIT (chaining).
    ReferenceIsMit = "reference_is_mit", "reference", 403;
    /// The reference is a mobile-wallet payment.
    ReferenceIsWallet = "reference_is_wallet", "reference", 403;
    /// The initial CIT lacks the customer's consent flags.
    ConsentMissing = "consent_missing", "consent", 403;
    /// A grandfathered reference where none is allowed.
    GrandfatheredNotAllowed = "grandfathered_not_allowed", "grandfathered", 403;
    /// The request declares another MIT type than the agreement's.
    MitTypeMismatch = "mit_type_mismatch", "mit_type", 422;
    /// The repeated original datetime differs from the original's.
    ReferenceDatetimeMismatch = "reference_datetime_mismatch", "reference_datetime", 422;
    /// The reference window (`expiration`) has passed.
    ReferenceExpired = "reference_expired", "reference_window", 410;
    /// The agreement's validity has ended.
    AgreementExpired = "agreement_expired", "validity", 410;
    /// Before the schedule's initial date.
    ScheduleNotStarted = "schedule_not_started", "schedule", 422;
    /// After the schedule's final date.
    ScheduleEnded = "schedule_ended", "schedule", 410;
    /// Every agreed installment has been charged.
    InstallmentsExhausted = "installments_exhausted", "installments", 410;
    /// The card has expired.
    CardExpired = "card_expired", "card_expiry", 422;
    /// The charge's currency differs from the agreement's.
    CurrencyMismatch = "currency_mismatch", "currency", 422;
    /// The amount is above the ceiling.
    AmountAboveCeiling = "amount_above_ceiling", "amount_ceiling", 410;
    /// India: an INR charge above the RBI limit for the mandate's category needs additional
    /// authentication by the customer (policy `indiaProfile`).
    AdditionalAuthenticationRequired = "additional_authentication_required", "india_afa", 403;
    /// `maxCount` MITs within `period` already.
    VelocityExceeded = "velocity_exceeded", "velocity", 429;
    /// Too soon after the previous charge.
    IntervalTooShort = "interval_too_short", "min_interval", 429;
    /// The card network forbids retrying this credential (Visa category 1, Mastercard MAC 03/21).
    RetryForbidden = "retry_forbidden", "network_retry", 403;
    /// The network asks to wait before retrying (Mastercard MAC 24-30).
    RetryTooEarly = "retry_too_early", "network_retry", 429;
    /// The network's reattempt budget is spent (Visa 15, 20 from 2025-05-25; Mastercard 35 in 30 days).
    RetryLimitReached = "retry_limit_reached", "network_retry", 429;
    /// Mastercard: the card already has 10 declines in the trailing 24 hours (across the merchant's
    /// agreements on the credential).
    CardDeclineLimitReached = "card_decline_limit_reached", "network_retry", 429;
    /// The policy needs a pre-debit notice and none was sent.
    PreDebitNoticeMissing = "pre_debit_notice_missing", "pre_debit_notice", 422;
    /// The notice was sent too recently.
    PreDebitNoticeTooRecent = "pre_debit_notice_too_recent", "pre_debit_notice", 429;
    /// The network requires a reminder before this charge and none was sent (policy `trialReminders`).
    TrialReminderMissing = "trial_reminder_missing", "trial_reminder", 422;
    /// The reminder was sent too recently: the charge may follow later.
    TrialReminderTooRecent = "trial_reminder_too_recent", "trial_reminder", 429;
    /// The reminder was sent outside the network's window: a new one is needed.
    TrialReminderOutsideWindow = "trial_reminder_outside_window", "trial_reminder", 422;
}

/// The numbers behind a violation. Each variant's fields are documented on its type.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Details {
    /// Nothing beyond the code.
    None {},
    /// Status rules.
    Status(StatusDetails),
    /// The requested and the agreed value of something that must match.
    Mismatch(MismatchDetails),
    /// Expiry of the reference, agreement, schedule or card.
    Expiry(ExpiryDetails),
    /// The amount ceiling.
    Ceiling(CeilingDetails),
    /// Velocity.
    Velocity(VelocityLimit),
    /// Minimum interval.
    Interval(IntervalDetails),
    /// Installments.
    Installments(InstallmentLimit),
    /// Network retry rules.
    Retry(RetryDetails),
    /// Pre-debit notice.
    Notice(NoticeDetails),
    /// A storing CIT's advice code that forbids MITs.
    Storage(StorageDetails),
    /// Network references missing from the agreement.
    References(ReferenceDetails),
    /// India's additional-authentication limit.
    Authentication(AuthenticationDetails),
    /// Trial and long-interval reminders.
    Reminder(ReminderDetails),
}

/// The storing CIT's approval forbids MITs on the card.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageDetails {
    /// `agreement.established.adviceCode` (`40` consumer non-reloadable prepaid, `41` consumer single-use
    /// virtual card).
    pub advice_code: String,
    /// The rule-set version that lists it (in force when the agreement was established).
    pub rules_version: &'static str,
}

/// References the network requires on an MIT.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceDetails {
    /// The agreement fields missing (`established.networkTransactionId`, `established.transactionLinkId`),
    /// as the decision's `rulesVersion` requires them.
    pub missing: Vec<&'static str>,
}

/// An INR charge above the additional-authentication limit.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationDetails {
    /// The amount asked for.
    pub requested: Money,
    /// The largest amount without additional authentication.
    pub limit: Money,
    /// The mandate's category (`general` when the agreement gives none); the limit is the decision's
    /// `rulesVersion`'s.
    pub mandate_category: MandateCategory,
}

/// A reminder the network requires before a charge.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReminderDetails {
    /// The trial's end, for the first charge after a trial (`null`: a charge billed 6 months or more after
    /// the previous one); the network is the agreement's card brand.
    pub trial_ends_at: Option<Timestamp>,
    /// When the reminder went out (`request.reminderSentAt`).
    pub reminder_sent_at: Option<Timestamp>,
    /// The earliest instant a reminder may go out, when the window has one.
    pub window_start: Option<Timestamp>,
    /// The latest instant a reminder may go out (the window is the decision's `rulesVersion`'s).
    pub window_end: Option<Timestamp>,
}

/// Details of a status violation.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusDetails {
    /// The agreement's status.
    pub status: AgreementStatus,
    /// Why it changed.
    pub reason: Option<String>,
    /// When it changed.
    pub since: Option<Timestamp>,
}

/// A value that must match the agreement's.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MismatchDetails {
    /// The field compared.
    pub field: &'static str,
    /// What the request gave.
    pub requested: String,
    /// What the agreement holds (omitted when revealing it would leak another party's data).
    pub expected: Option<String>,
}

/// An instant something expires or starts.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpiryDetails {
    /// What it is about: `reference`, `agreement`, `schedule_start`, `schedule_end`, `card`.
    pub subject: &'static str,
    /// The first instant the charge is refused (for starts: the first instant it is allowed).
    pub at: Timestamp,
    /// The configured window in seconds, when one applies (`expiration`).
    pub window_seconds: Option<u64>,
    /// The instant the window is counted from.
    pub from: Option<Timestamp>,
}

/// The amount ceiling against the request.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CeilingDetails {
    /// The amount asked for.
    pub requested: Money,
    /// The ceiling and how it was derived.
    pub ceiling: Ceiling,
}

/// Minimum-interval details.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntervalDetails {
    /// The previous charge.
    pub last_charge_at: Timestamp,
    /// The agreement's `minIntervalDays`, when that is the binding rule.
    pub min_interval_days: Option<u32>,
    /// The schedule interval, when that is the binding rule.
    pub schedule_interval: Option<Interval>,
    /// The first instant a charge is allowed again.
    pub next_eligible_at: Timestamp,
}

/// Network retry-rule details.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryDetails {
    /// The network whose rule applies.
    pub network: CardBrand,
    /// The decline that triggered the rule.
    pub declined_at: Timestamp,
    /// Its response code.
    pub decline_code: Option<String>,
    /// Its Merchant Advice Code.
    pub advice_code: Option<String>,
    /// The Visa decline category (1-4), when the network is Visa.
    pub category: Option<u8>,
    /// Reattempts counted in the trailing window.
    pub reattempts_used: Option<u32>,
    /// Reattempts the network allows in that window.
    pub reattempts_allowed: Option<u32>,
    /// The window, days.
    pub window_days: Option<u32>,
    /// The budget that binds: `visa_reattempts`, `mastercard_reattempts` or `mastercard_declines_per_day`.
    pub budget: Option<&'static str>,
    /// Declines counted in the trailing 24 hours (`mastercard_declines_per_day`).
    pub declines_used: Option<u32>,
    /// Declines the network allows in 24 hours. (When a budget frees: the violation's `retryAt`.)
    pub declines_allowed: Option<u32>,
    /// The rule-set version of the rule: for budgets the one judging `now`, for a decline's category
    /// or advice the one in force when it was declined.
    pub rules_version: &'static str,
}

/// Pre-debit notice details.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeDetails {
    /// The hours the policy requires.
    pub min_hours: u32,
    /// When the notice went out.
    pub notice_sent_at: Option<Timestamp>,
}

/// Everything that limits the next charge on an agreement at `now`.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// The agreement's currency.
    pub currency: Currency,
    /// The largest amount one charge may be, and how it was derived.
    pub ceiling: Ceiling,
    /// Velocity use in the sliding window (`None` without `maxCount`).
    pub velocity: Option<VelocityLimit>,
    /// Installments used of the agreed count.
    pub installments: Option<InstallmentLimit>,
    /// The first instant the reference can no longer be used (`None`: it does not expire).
    pub reference_expires_at: Option<Timestamp>,
    /// The agreement's inclusive validity end as agreed.
    pub agreement_valid_until: Option<ValidUntil>,
    /// The first instant the agreement has ended.
    pub agreement_expires_at: Option<Timestamp>,
    /// The card's expiry month.
    pub card_expiry: Option<YearMonth>,
    /// The first instant the card no longer works.
    pub card_expires_at: Option<Timestamp>,
    /// The earliest instant, `now` or later, at which a charge could be allowed (within the ceiling);
    /// `None` when no charge can ever be allowed on this agreement again.
    pub next_eligible_at: Option<Timestamp>,
    /// The agreed MIT type.
    pub mit_type: MitType,
}

/// The amount ceiling and its derivation.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ceiling {
    /// The ceiling (`None`: no ceiling applies).
    pub amount: Option<Money>,
    /// Which component binds: `cvv_verified_history`, `zero_auth_default`, `agreement_maximum`,
    /// `no_basis` (policy multiple set but nothing to multiply: zero), or `none`.
    pub source: CeilingSource,
    /// The policy's part: base times `maxMultiple`.
    pub policy: Option<PolicyCeiling>,
    /// The agreement's own maximum (`authenticationAmount`).
    pub agreement_maximum: Option<Money>,
}

/// Which component of the ceiling binds.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CeilingSource {
    /// The largest CVV-verified payment in the lookback, times `maxMultiple`.
    CvvVerifiedHistory,
    /// `maxZeroAuthAmount` times `maxMultiple`.
    ZeroAuthDefault,
    /// The agreement's maximum amount.
    AgreementMaximum,
    /// A multiple is configured but there is no base: nothing may be charged.
    NoBasis,
    /// No ceiling applies.
    None,
}

/// The policy's ceiling: `base * multiple`.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyCeiling {
    /// `base * multiple`, floored to the minor unit.
    pub amount: Money,
    /// The base amount.
    pub base: Money,
    /// Where the base came from: `cvv_verified_history`, `zero_auth_default` or `no_basis`.
    pub base_source: CeilingSource,
    /// The payment that set the base.
    pub base_payment_id: Option<String>,
    /// When that payment was made.
    pub base_payment_at: Option<Timestamp>,
    /// The `maxMultiple`, as a decimal string.
    pub multiple: String,
    /// Payments before this instant were not considered (`maxAmountLookback`).
    pub lookback_start: Option<Timestamp>,
    /// CVV-verified payments considered.
    pub payments_considered: u32,
}

/// Velocity in the sliding window `(now - period, now]`.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VelocityLimit {
    /// Attempts holding a slot in the window.
    pub used: u32,
    /// `maxCount`.
    pub allowed: u32,
    /// `allowed - used`, at least 0.
    pub remaining: u32,
    /// `period`, seconds.
    pub period_seconds: u64,
    /// Attempts at or before this instant no longer count.
    pub window_start: Timestamp,
    /// When the window is full: the instant the next slot frees.
    pub next_slot_at: Option<Timestamp>,
}

/// Installments used of the agreed count.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallmentLimit {
    /// Charges made (approved or pending).
    pub used: u32,
    /// The agreed count.
    pub allowed: u32,
}
