//! How each model type is read from JSON (see [`crate::json`]): the field names and defaults mirror the
//! `#[serde(...)]` attributes the types are written with, and unknown fields are refused.
//!
//! INVARIANT: every name here is the one the type serializes to, so that any answer or stored record
//! reads back to the same value (checked by the round-trip property tests and the vectors).

use super::agreement::{
    Agreement, AgreementStatus, AmountQualifier, CardBrand, Consent, Credential, Establishment,
    EstablishmentMethod, Interval, MitType, PaymentMethod, PaymentMethodKind, Schedule, Terms,
};
use super::history::{Attempt, AttemptStatus, Decline, DeclineReason, History, Payment, PaymentKind};
use super::outcome::{Outcome, OutcomeResult};
use super::request::ChargeRequest;
use crate::json::{FromJson, Path, Value};
use crate::json_string_enum;
use crate::validate::FieldError;

impl FromJson for Agreement {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        const FIELDS: &[&str] = &[
            "id",
            "merchantId",
            "customerId",
            "type",
            "established",
            "currency",
            "paymentMethod",
            "credential",
            "consent",
            "terms",
            "status",
            "statusReason",
            "statusChangedAt",
        ];
        let o = value.object(path, FIELDS, true)?;
        Ok(Agreement {
            id: o.req("id")?,
            merchant_id: o.req("merchantId")?,
            customer_id: o.opt("customerId")?,
            mit_type: o.req("type")?,
            established: o.req("established")?,
            currency: o.req("currency")?,
            payment_method: o.req("paymentMethod")?,
            credential: o.req("credential")?,
            consent: o.req("consent")?,
            terms: o.or_default("terms")?,
            status: o.or_default("status")?,
            status_reason: o.opt("statusReason")?,
            status_changed_at: o.opt("statusChangedAt")?,
        })
    }
}

impl FromJson for Establishment {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let o = value.object(path, &["method", "at", "amount"], true)?;
        Ok(Establishment { method: o.req("method")?, at: o.req("at")?, amount: o.opt("amount")? })
    }
}

impl FromJson for PaymentMethod {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let o = value.object(path, &["type", "brand", "mitCompatible"], true)?;
        Ok(PaymentMethod {
            kind: o.req("type")?,
            brand: o.opt("brand")?,
            mit_compatible: o.or_else("mitCompatible", super::agreement::yes)?,
        })
    }
}

impl FromJson for Credential {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let o = value.object(path, &["token", "cardExpiry", "last4"], true)?;
        Ok(Credential { token: o.req("token")?, card_expiry: o.opt("cardExpiry")?, last4: o.opt("last4")? })
    }
}

impl FromJson for Consent {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let o = value.object(path, &["storeCredential", "merchantInitiated"], true)?;
        Ok(Consent {
            store_credential: o.req("storeCredential")?,
            merchant_initiated: o.req("merchantInitiated")?,
        })
    }
}

impl FromJson for Terms {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        const FIELDS: &[&str] = &[
            "maxAmount",
            "amountQualifier",
            "minIntervalDays",
            "validUntil",
            "schedule",
            "installmentCount",
        ];
        let o = value.object(path, FIELDS, true)?;
        Ok(Terms {
            max_amount: o.opt("maxAmount")?,
            amount_qualifier: o.opt("amountQualifier")?,
            min_interval_days: o.opt("minIntervalDays")?,
            valid_until: o.opt("validUntil")?,
            schedule: o.opt("schedule")?,
            installment_count: o.opt("installmentCount")?,
        })
    }
}

impl FromJson for Schedule {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let o = value.object(path, &["initialDate", "finalDate", "interval"], true)?;
        Ok(Schedule {
            initial_date: o.req("initialDate")?,
            final_date: o.opt("finalDate")?,
            interval: o.opt("interval")?,
        })
    }
}

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

impl FromJson for History {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let o = value.object(path, &["payments", "attempts"], true)?;
        Ok(History { payments: o.or_default("payments")?, attempts: o.or_default("attempts")? })
    }
}

impl FromJson for Payment {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let o = value.object(path, &["id", "at", "amount", "cvvVerified", "kind"], true)?;
        Ok(Payment {
            id: o.req("id")?,
            at: o.req("at")?,
            amount: o.req("amount")?,
            cvv_verified: o.req("cvvVerified")?,
            kind: o.or_else("kind", super::history::purchase)?,
        })
    }
}

json_string_enum!(PaymentKind {
    "purchase" => PaymentKind::Purchase,
    "zero_auth" => PaymentKind::ZeroAuth,
});

impl FromJson for Attempt {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        const FIELDS: &[&str] =
            &["id", "at", "amount", "status", "paymentId", "credentialToken", "decline", "resolvedAt"];
        let o = value.object(path, FIELDS, true)?;
        Ok(Attempt {
            id: o.req("id")?,
            at: o.req("at")?,
            amount: o.req("amount")?,
            status: o.req("status")?,
            payment_id: o.opt("paymentId")?,
            credential_token: o.opt("credentialToken")?,
            decline: o.opt("decline")?,
            resolved_at: o.opt("resolvedAt")?,
        })
    }
}

json_string_enum!(AttemptStatus {
    "pending" => AttemptStatus::Pending,
    "approved" => AttemptStatus::Approved,
    "declined" => AttemptStatus::Declined,
    "released" => AttemptStatus::Released,
});

impl FromJson for Decline {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let o = value.object(path, &["network", "code", "adviceCode", "reason"], true)?;
        Ok(Decline {
            network: o.opt("network")?,
            code: o.opt("code")?,
            advice_code: o.opt("adviceCode")?,
            reason: o.or_else("reason", super::history::other_reason)?,
        })
    }
}

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

impl FromJson for Outcome {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let o = value.object(path, &["attemptId", "at", "result", "paymentId", "decline"], true)?;
        Ok(Outcome {
            attempt_id: o.req("attemptId")?,
            at: o.req("at")?,
            result: o.req("result")?,
            payment_id: o.opt("paymentId")?,
            decline: o.opt("decline")?,
        })
    }
}

json_string_enum!(OutcomeResult {
    "approved" => OutcomeResult::Approved,
    "declined" => OutcomeResult::Declined,
    "not_sent" => OutcomeResult::NotSent,
});

impl FromJson for ChargeRequest {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        const FIELDS: &[&str] = &[
            "merchantId",
            "customerId",
            "reference",
            "referenceAt",
            "credentialToken",
            "type",
            "amount",
            "noticeSentAt",
            "idempotencyKey",
        ];
        let o = value.object(path, FIELDS, true)?;
        Ok(ChargeRequest {
            merchant_id: o.req("merchantId")?,
            customer_id: o.opt("customerId")?,
            reference: o.req("reference")?,
            reference_at: o.opt("referenceAt")?,
            credential_token: o.opt("credentialToken")?,
            mit_type: o.opt("type")?,
            amount: o.req("amount")?,
            notice_sent_at: o.opt("noticeSentAt")?,
            idempotency_key: o.opt("idempotencyKey")?,
        })
    }
}
