//! How each model type is read from JSON (see [`crate::json`]): the field names and defaults mirror the
//! `#[serde(...)]` attributes the types are written with, and unknown fields are refused.
//!
//! INVARIANT: every name here is the one the type serializes to, so that any answer or stored record
//! reads back to the same value (checked by the round-trip property tests and the vectors).

use super::agreement::{
    Agreement, AgreementStatus, AmountQualifier, CardBrand, Consent, Credential, Establishment,
    EstablishmentMethod, Interval, MandateCategory, MitType, PaymentMethod, PaymentMethodKind, Schedule,
    Terms,
};
use super::history::{Attempt, AttemptStatus, Decline, DeclineReason, History, Payment, PaymentKind};
use super::outcome::{Outcome, OutcomeResult};
use super::request::ChargeRequest;
use crate::{json_string_enum, json_struct};

json_struct!(Agreement, deny_unknown {
    id: req "id",
    merchant_id: req "merchantId",
    customer_id: opt "customerId",
    mit_type: req "type",
    established: req "established",
    currency: req "currency",
    payment_method: req "paymentMethod",
    credential: req "credential",
    consent: req "consent",
    terms: default "terms",
    status: default "status",
    status_reason: opt "statusReason",
    status_changed_at: opt "statusChangedAt",
});

json_struct!(Establishment, deny_unknown {
    method: req "method",
    at: req "at",
    amount: opt "amount",
    advice_code: opt "adviceCode",
    network_transaction_id: opt "networkTransactionId",
    transaction_link_id: opt "transactionLinkId",
});

json_struct!(PaymentMethod, deny_unknown {
    kind: req "type",
    brand: opt "brand",
    mit_compatible: or "mitCompatible" => super::agreement::yes,
});

json_struct!(Credential, deny_unknown {
    token: req "token",
    card_expiry: opt "cardExpiry",
    last4: opt "last4",
});

json_struct!(Consent, deny_unknown {
    store_credential: req "storeCredential",
    merchant_initiated: req "merchantInitiated",
});

json_struct!(Terms, deny_unknown {
    max_amount: opt "maxAmount",
    amount_qualifier: opt "amountQualifier",
    min_interval_days: opt "minIntervalDays",
    valid_until: opt "validUntil",
    schedule: opt "schedule",
    installment_count: opt "installmentCount",
    trial_ends_at: opt "trialEndsAt",
    mandate_category: opt "mandateCategory",
});

json_string_enum!(MandateCategory {
    "general" => MandateCategory::General,
    "mutual_fund" => MandateCategory::MutualFund,
    "insurance_premium" => MandateCategory::InsurancePremium,
    "credit_card_bill" => MandateCategory::CreditCardBill,
});

json_struct!(Schedule, deny_unknown {
    initial_date: req "initialDate",
    final_date: opt "finalDate",
    interval: opt "interval",
});

json_string_enum!(MitType {
    "recurring" => MitType::Recurring,
    "installment" => MitType::Installment,
    "unscheduled" => MitType::Unscheduled,
});

json_string_enum!(EstablishmentMethod {
    "cvv_purchase" => EstablishmentMethod::CvvPurchase,
    "zero_auth" => EstablishmentMethod::ZeroAuth,
    "sca" => EstablishmentMethod::Sca,
    "grandfathered" => EstablishmentMethod::Grandfathered,
});

json_string_enum!(PaymentMethodKind {
    "card" => PaymentMethodKind::Card,
    "apple_pay" => PaymentMethodKind::ApplePay,
    "google_pay" => PaymentMethodKind::GooglePay,
    "other_wallet" => PaymentMethodKind::OtherWallet,
});

json_string_enum!(CardBrand {
    "visa" => CardBrand::Visa,
    "mastercard" => CardBrand::Mastercard,
    "amex" => CardBrand::Amex,
    "discover" => CardBrand::Discover,
    "jcb" => CardBrand::Jcb,
    "unionpay" => CardBrand::Unionpay,
    "diners" => CardBrand::Diners,
    "other" => CardBrand::Other,
});

json_string_enum!(AmountQualifier {
    "actual" => AmountQualifier::Actual,
    "estimated" => AmountQualifier::Estimated,
});

json_string_enum!(Interval {
    "daily" => Interval::Daily,
    "weekly" => Interval::Weekly,
    "biweekly" => Interval::Biweekly,
    "monthly" => Interval::Monthly,
    "quarterly" => Interval::Quarterly,
    "semi_annually" => Interval::SemiAnnually,
    "yearly" => Interval::Yearly,
});

json_string_enum!(AgreementStatus {
    "active" => AgreementStatus::Active,
    "revoked" => AgreementStatus::Revoked,
    "reauthentication_required" => AgreementStatus::ReauthenticationRequired,
});

json_struct!(History, deny_unknown {
    payments: default "payments",
    attempts: default "attempts",
    credential_attempts: default "credentialAttempts",
});

json_struct!(Payment, deny_unknown {
    id: req "id",
    at: req "at",
    amount: req "amount",
    cvv_verified: req "cvvVerified",
    kind: or "kind" => super::history::purchase,
});

json_string_enum!(PaymentKind {
    "purchase" => PaymentKind::Purchase,
    "zero_auth" => PaymentKind::ZeroAuth,
});

json_struct!(Attempt, deny_unknown {
    id: req "id",
    at: req "at",
    amount: req "amount",
    status: req "status",
    payment_id: opt "paymentId",
    credential_token: opt "credentialToken",
    decline: opt "decline",
    resolved_at: opt "resolvedAt",
});

json_string_enum!(AttemptStatus {
    "pending" => AttemptStatus::Pending,
    "approved" => AttemptStatus::Approved,
    "declined" => AttemptStatus::Declined,
    "released" => AttemptStatus::Released,
});

json_struct!(Decline, deny_unknown {
    network: opt "network",
    code: opt "code",
    advice_code: opt "adviceCode",
    reason: or "reason" => super::history::other_reason,
});

json_string_enum!(DeclineReason {
    "insufficient_funds" => DeclineReason::InsufficientFunds,
    "card_expired" => DeclineReason::CardExpired,
    "authentication_required" => DeclineReason::AuthenticationRequired,
    "lost_or_stolen" => DeclineReason::LostOrStolen,
    "account_closed" => DeclineReason::AccountClosed,
    "authorization_revoked" => DeclineReason::AuthorizationRevoked,
    "suspected_fraud" => DeclineReason::SuspectedFraud,
    "do_not_honor" => DeclineReason::DoNotHonor,
    "issuer_unavailable" => DeclineReason::IssuerUnavailable,
    "other" => DeclineReason::Other,
});

json_struct!(Outcome, deny_unknown {
    attempt_id: req "attemptId",
    at: req "at",
    result: req "result",
    payment_id: opt "paymentId",
    decline: opt "decline",
});

json_string_enum!(OutcomeResult {
    "approved" => OutcomeResult::Approved,
    "declined" => OutcomeResult::Declined,
    "not_sent" => OutcomeResult::NotSent,
});

json_struct!(ChargeRequest, deny_unknown {
    merchant_id: req "merchantId",
    customer_id: opt "customerId",
    reference: req "reference",
    reference_at: opt "referenceAt",
    credential_token: opt "credentialToken",
    mit_type: opt "type",
    amount: req "amount",
    notice_sent_at: opt "noticeSentAt",
    reminder_sent_at: opt "reminderSentAt",
    idempotency_key: opt "idempotencyKey",
});
