//! Infinic (document 000): payment intents that may store a credential for MIT, `PaymentCredential` and
//! `StatusChange` webhooks, and `auto-attempt` charges on the stored credential token.
//!
//! ## Endpoints and webhooks
//! | request | kind |
//! | --- | --- |
//! | `POST /api/intents` | CIT (the agreement is captured from its webhooks) |
//! | `POST /api/intents/auto-attempt` | MIT |
//! | webhook `PaymentCredential`, `StatusChange` | see [`classify_webhook`] |
//!
//! ## CIT to agreement ([`capture_cit`])
//! - `credentialEvent.content.intent_id` → `agreement.id` and `payment.id`; `credential_token` →
//!   `credential.token`; `card_expiry` (`YYYY-MM`) → `credential.cardExpiry`; `card_last4` → `last4`;
//!   `brand` → `paymentMethod.brand`; `method` (`card`; `apple_pay`, `google_pay`, anything else is a
//!   wallet) → `paymentMethod.type`; `is_mit_compatible` → `paymentMethod.mitCompatible` (absent: false,
//!   fail closed); the event's `created` → `established.at`.
//! - `request.amount` (integer minor units: `10000` ZAR is 100.00) and `currency` → the CIT amount and
//!   the agreement's currency; `purchaser_id` → `customerId`; `allow_remember_credentials` →
//!   `consent.storeCredential`; `request_unscheduled_mit` or `require_unscheduled_mit` →
//!   `consent.merchantInitiated` (missing consent is kept as such: the engine refuses with
//!   `consent_missing`, rendered 422).
//! - type `unscheduled` (the flags are `*_unscheduled_mit`); method `cvv_purchase` (`zero_auth` for an
//!   amount of 0); the payment counts as CVV-verified when the method is a card (the customer paid on
//!   Infinic's page).
//! - The request and the event must agree on `reference_id` and `purchaser_id`. A `StatusChange` event,
//!   when given, must say `success` for the same intent.
//!
//! ## MIT to charge request ([`parse_mit`])
//! `credentials` must hold exactly one token (mitgate checks one credential per attempt; with several the
//! processor could fall through to one mitgate did not check). It is the lookup key
//! ([`AgreementLookup::CredentialToken`]) and `credentialToken`; `amount` + `currency` → `amount`;
//! `purchaser_id` → `customerId`; `reference_id` → `idempotencyKey` (header `idempotency-key` wins).
//!
//! ## Refusals ([`render_refusal`])
//! Body `{"detail": "...", "mitgate": <decision>}`, with the document's three errors: 404 "Credential
//! not found" (no agreement; a revoked one, i.e. a deleted credential), 403 "Not authorized to use this
//! credential" (another merchant's, customer's or token), 422 "Credential cannot be used for MIT
//! transactions" (not MIT-compatible, no MIT consent, a wallet). Every other violation keeps its own
//! sentence: 403 when MIT is not enabled, 429 with `Retry-After` for wait-and-retry rules, 422 otherwise.
//!
//! ## Outcomes ([`read_outcome`], [`read_status_change`])
//! `intent_status` / `status`: `success` → approved, `failed` → declined with `failure_reason`
//! (`CardExpired`, `InsufficientFunds`, ...) mapped onto the canonical reason, and (not in the document;
//! read when present) `decline_code` and `merchant_advice_code`; anything else is still in progress.
//! 4xx `{"detail"}` → not sent; 5xx → unknown.

use mitgate_core::decision::{Code, Decision, Violation};
use mitgate_core::json::{FromJson, Kind, Path, Value};
use mitgate_core::model::{
    Agreement, AgreementStatus, ChargeRequest, Consent, Credential, DeclineReason, Establishment,
    EstablishmentMethod, MitType, Outcome, Payment, PaymentKind, PaymentMethod, PaymentMethodKind, Terms,
};
use mitgate_core::money::Currency;
use mitgate_core::time::YearMonth;

use crate::common::{self, header, remap, required};
use crate::envelope::{self, Envelope, Field, Wording};
use crate::{
    AgreementLookup, CitCapture, CitContext, DialectResponse, FieldError, MitContext, OutcomeContext,
    ParsedMit, RequestKind,
};

/// The Infinic dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Infinic;

/// The documents of an Infinic CIT.
#[derive(Debug, Clone, Copy)]
pub struct CitInput<'a> {
    /// The `POST /api/intents` body.
    pub request: &'a str,
    /// The `PaymentCredential` webhook event.
    pub credential_event: &'a str,
    /// The `StatusChange` webhook event of the intent, when received.
    pub status_event: Option<&'a str>,
}

/// Webhook event types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebhookKind {
    /// `PaymentCredential`: a credential was stored (capture the agreement).
    PaymentCredential,
    /// `StatusChange`: an intent succeeded or failed (an MIT's outcome, or a CIT's confirmation).
    StatusChange,
    /// Any other event, or not an event.
    Other,
}

#[derive(FromJson)]
struct IntentBody {
    amount: Option<u64>,
    currency: Option<Currency>,
    reference_id: Option<String>,
    purchaser_id: Option<String>,
    allow_remember_credentials: Option<bool>,
    request_unscheduled_mit: Option<bool>,
    require_unscheduled_mit: Option<bool>,
}

#[derive(FromJson)]
struct AutoAttemptBody {
    amount: Option<u64>,
    currency: Option<Currency>,
    reference_id: Option<String>,
    purchaser_id: Option<String>,
    credentials: Option<Vec<String>>,
}

struct Event<C> {
    kind: Option<String>,
    created: Option<String>,
    content: Option<C>,
}

impl<C: FromJson> FromJson for Event<C> {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let o = value.object(path, &["type", "created", "content"], false)?;
        Ok(Event { kind: o.opt("type")?, created: o.opt("created")?, content: o.opt("content")? })
    }
}

#[derive(FromJson)]
struct CredentialContent {
    intent_id: Option<String>,
    reference_id: Option<String>,
    purchaser_id: Option<String>,
    credential_token: Option<String>,
    is_mit_compatible: Option<bool>,
    method: Option<String>,
    brand: Option<String>,
    card_last4: Option<String>,
    card_expiry: Option<String>,
}

#[derive(FromJson)]
struct StatusContent {
    intent_id: Option<String>,
    status: Option<String>,
    failure_reason: Option<String>,
    decline_code: Option<String>,
    merchant_advice_code: Option<String>,
}

#[derive(FromJson)]
struct AttemptResponse {
    intent_id: Option<String>,
    id: Option<String>,
    intent_status: Option<String>,
    failure_reason: Option<String>,
    decline_code: Option<String>,
    merchant_advice_code: Option<String>,
}

/// Classifies a request: intents are CITs, auto-attempts MITs.
pub fn classify(method: &str, path: &str, _body: &str) -> RequestKind {
    if !method.eq_ignore_ascii_case("POST") {
        return RequestKind::Other;
    }
    match crate::path_only(path).trim_end_matches('/') {
        "/api/intents" => RequestKind::Cit,
        "/api/intents/auto-attempt" => RequestKind::Mit,
        _ => RequestKind::Other,
    }
}

/// Tells a webhook event's type (`Other` for anything that is not a JSON object with a string `type`).
pub fn classify_webhook(body: &str) -> WebhookKind {
    let Ok(value) = mitgate_core::json::parse(body) else { return WebhookKind::Other };
    let root = Path::root(body);
    let Ok(event) = value.object(&root, &["type"], false) else { return WebhookKind::Other };
    match event.get("type").map(|t| &t.kind) {
        Some(Kind::String(s)) if s == "PaymentCredential" => WebhookKind::PaymentCredential,
        Some(Kind::String(s)) if s == "StatusChange" => WebhookKind::StatusChange,
        _ => WebhookKind::Other,
    }
}

/// Parses `POST /api/intents/auto-attempt`.
pub fn parse_mit(body: &str, ctx: &MitContext<'_>) -> Result<ParsedMit, Vec<FieldError>> {
    let b: AutoAttemptBody = common::parse(body, "")?;
    let mut errors = Vec::new();
    let minor = required(b.amount, "amount", &mut errors);
    let currency = required(b.currency, "currency", &mut errors);
    let token = match required(b.credentials, "credentials", &mut errors) {
        Some(list) => match list.as_slice() {
            [one] => Some(one.clone()),
            [] => {
                errors.push(FieldError::new("credentials", "must hold one credential token"));
                None
            }
            _ => {
                errors.push(FieldError::new(
                    "credentials",
                    "must hold exactly one credential token: mitgate checks one credential per attempt",
                ));
                None
            }
        },
        None => None,
    };
    let amount = match (minor, currency) {
        (Some(m), Some(c)) => common::minor_amount(m, c, "amount").map_err(|e| errors.push(e)).ok(),
        _ => None,
    };
    let (Some(amount), Some(token)) = (amount, token) else { return Err(errors) };
    let request = ChargeRequest {
        merchant_id: ctx.merchant_id.to_string(),
        customer_id: b.purchaser_id,
        reference: token.clone(),
        reference_at: None,
        credential_token: Some(token.clone()),
        mit_type: None,
        amount,
        notice_sent_at: ctx.notice_sent_at,
        reminder_sent_at: None,
        idempotency_key: header(ctx.headers, "idempotency-key").map(str::to_string).or(b.reference_id),
    };
    request.validate("request", &mut errors);
    let errors = remap(
        errors,
        &[
            ("request.merchantId", "merchantId"),
            ("request.reference", "credentials[0]"),
            ("request.credentialToken", "credentials[0]"),
            ("request.customerId", "purchaser_id"),
            ("request.idempotencyKey", "reference_id"),
            ("request.amount.amount", "amount"),
        ],
    );
    common::finish(ParsedMit { request, lookup: AgreementLookup::CredentialToken(token) }, errors)
}

#[cfg(feature = "outbound")]
pub use outbound::render_mit;

/// The MIT request mitgate sends for a canonical charge (the Worker's `POST /v1/charges`): typed
/// structs written by serde_json, the inverse of [`parse_mit`]. Feature `outbound`.
#[cfg(feature = "outbound")]
mod outbound {
    use mitgate_core::money::Currency;
    use serde::Serialize;

    use crate::{common, MitOrder, MitRequest};

    /// The auto-attempt mitgate renders: `{"amount", "currency", "reference_id", "purchaser_id", "credentials"}`.
    #[derive(Serialize)]
    struct AutoAttemptOut<'a> {
        amount: u64,
        currency: Currency,
        reference_id: &'a str,
        purchaser_id: &'a str,
        credentials: [&'a str; 1],
    }

    /// Renders a canonical charge as `POST /api/intents/auto-attempt` ([`parse_mit`](super::parse_mit)'s inverse): `amount` in
    /// integer minor units, the attempt id as `reference_id` (its `StatusChange` webhook names it), the
    /// customer (the request's, else the agreement's; empty when neither names one) as `purchaser_id`, the
    /// credential token (the request's, else the agreement's) as the one `credentials` entry.
    pub fn render_mit(order: &MitOrder<'_>) -> Result<MitRequest, serde_json::Error> {
        let amount = &order.request.amount;
        let body = AutoAttemptOut {
            amount: amount.minor_units(),
            currency: amount.currency(),
            reference_id: order.attempt_id,
            purchaser_id: order.customer().unwrap_or(""),
            credentials: [order.token()],
        };
        Ok(common::json_request("/api/intents/auto-attempt", serde_json::to_string(&body)?))
    }
}

fn method_kind(method: &str) -> PaymentMethodKind {
    match method.trim().to_ascii_lowercase().as_str() {
        "card" => PaymentMethodKind::Card,
        "apple_pay" | "applepay" => PaymentMethodKind::ApplePay,
        "google_pay" | "googlepay" => PaymentMethodKind::GooglePay,
        _ => PaymentMethodKind::OtherWallet,
    }
}

fn check_same(a: Option<&String>, b: Option<&String>, path: &str, what: &str, errors: &mut Vec<FieldError>) {
    if let (Some(a), Some(b)) = (a, b) {
        if a != b {
            errors.push(FieldError::new(path, format!("does not match the {what}")));
        }
    }
}

/// Builds the agreement and the history entry from an intent and its `PaymentCredential` event (and
/// optionally its `StatusChange` event).
pub fn capture_cit(input: &CitInput<'_>, ctx: &CitContext<'_>) -> Result<CitCapture, Vec<FieldError>> {
    let req: IntentBody = common::parse(input.request, "request")?;
    let event: Event<CredentialContent> = common::parse(input.credential_event, "credentialEvent")?;
    let status: Option<Event<StatusContent>> = match input.status_event {
        Some(text) => Some(common::parse(text, "statusEvent")?),
        None => None,
    };
    let mut errors = Vec::new();
    if event.kind.as_deref() != Some("PaymentCredential") {
        errors.push(FieldError::new("credentialEvent.type", "must be \"PaymentCredential\""));
    }
    let at = required(event.created, "credentialEvent.created", &mut errors)
        .and_then(|t| common::timestamp(&t, "credentialEvent.created").map_err(|e| errors.push(e)).ok());
    let content = required(event.content, "credentialEvent.content", &mut errors);
    let minor = required(req.amount, "request.amount", &mut errors);
    let currency = required(req.currency, "request.currency", &mut errors);
    let amount = match (minor, currency) {
        (Some(m), Some(c)) => common::minor_amount(m, c, "request.amount").map_err(|e| errors.push(e)).ok(),
        _ => None,
    };
    let Some(c) = content else { return Err(errors) };
    let intent_id = required(c.intent_id, "credentialEvent.content.intent_id", &mut errors);
    let token = required(c.credential_token, "credentialEvent.content.credential_token", &mut errors);
    let card_expiry = c.card_expiry.as_deref().and_then(|e| {
        let parsed = YearMonth::parse(e);
        if parsed.is_none() {
            errors.push(FieldError::new(
                "credentialEvent.content.card_expiry",
                "must be a card expiry like \"2025-12\"",
            ));
        }
        parsed
    });
    check_same(
        c.reference_id.as_ref(),
        req.reference_id.as_ref(),
        "credentialEvent.content.reference_id",
        "intent's reference_id",
        &mut errors,
    );
    check_same(
        c.purchaser_id.as_ref(),
        req.purchaser_id.as_ref(),
        "credentialEvent.content.purchaser_id",
        "intent's purchaser_id",
        &mut errors,
    );
    if let Some(s) = status {
        if s.kind.as_deref() != Some("StatusChange") {
            errors.push(FieldError::new("statusEvent.type", "must be \"StatusChange\""));
        }
        match s.content {
            None => errors.push(FieldError::new("statusEvent.content", "is required")),
            Some(sc) => {
                check_same(
                    sc.intent_id.as_ref(),
                    intent_id.as_ref(),
                    "statusEvent.content.intent_id",
                    "credential's intent_id",
                    &mut errors,
                );
                match sc.status.as_deref() {
                    Some("success") => {}
                    Some(other) => errors.push(FieldError::new(
                        "statusEvent.content.status",
                        format!(
                            "is `{}`: only a successful payment establishes an agreement",
                            truncate(other)
                        ),
                    )),
                    None => errors.push(FieldError::new("statusEvent.content.status", "is required")),
                }
            }
        }
    }
    let (Some(at), Some(amount), Some(intent_id), Some(token), true) =
        (at, amount, intent_id, token, errors.is_empty())
    else {
        return Err(errors);
    };
    let kind = c.method.as_deref().map_or(PaymentMethodKind::Card, method_kind);
    let zero = amount.is_zero();
    let agreement = Agreement {
        id: intent_id.clone(),
        merchant_id: ctx.merchant_id.to_string(),
        customer_id: req.purchaser_id.or(c.purchaser_id),
        mit_type: MitType::Unscheduled,
        type_declared: true,
        established: Establishment {
            method: if zero { EstablishmentMethod::ZeroAuth } else { EstablishmentMethod::CvvPurchase },
            at,
            amount: Some(amount),
            advice_code: None,
            network_transaction_id: None,
            transaction_link_id: None,
        },
        currency: amount.currency(),
        payment_method: PaymentMethod {
            kind,
            brand: c.brand.as_deref().map(common::brand_from_name),
            mit_compatible: c.is_mit_compatible.unwrap_or(false),
        },
        credential: Credential { token, card_expiry, last4: c.card_last4 },
        consent: Consent {
            store_credential: req.allow_remember_credentials.unwrap_or(false),
            merchant_initiated: req.request_unscheduled_mit.unwrap_or(false)
                || req.require_unscheduled_mit.unwrap_or(false),
        },
        terms: Terms::default(),
        status: AgreementStatus::Active,
        status_reason: None,
        status_changed_at: None,
    };
    let payment = Payment {
        id: intent_id,
        at,
        amount,
        cvv_verified: kind == PaymentMethodKind::Card,
        kind: if zero { PaymentKind::ZeroAuth } else { PaymentKind::Purchase },
    };
    agreement.validate("agreement", &mut errors);
    let errors = remap(
        errors,
        &[
            ("agreement.id", "credentialEvent.content.intent_id"),
            ("agreement.merchantId", "merchantId"),
            ("agreement.customerId", "request.purchaser_id"),
            ("agreement.credential.token", "credentialEvent.content.credential_token"),
            ("agreement.credential.last4", "credentialEvent.content.card_last4"),
        ],
    );
    common::finish(CitCapture { agreement, payment }, errors)
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Infinic's status for a violation: 404, 403, 422, or 429 for wait-and-retry rules.
pub fn status_for(code: Code) -> u16 {
    if common::is_rate_code(code) {
        return 429;
    }
    match code {
        Code::AgreementNotFound | Code::AgreementRevoked => 404,
        Code::MitNotEnabled | Code::MerchantMismatch | Code::CustomerMismatch | Code::CredentialMismatch => {
            403
        }
        _ => 422,
    }
}

/// The document's `detail` for a violation.
pub fn message_for(v: &Violation) -> String {
    match v.code {
        Code::AgreementNotFound | Code::AgreementRevoked => "Credential not found".to_string(),
        Code::MerchantMismatch | Code::CustomerMismatch | Code::CredentialMismatch => {
            "Not authorized to use this credential".to_string()
        }
        Code::CredentialNotMitCompatible
        | Code::CredentialNotStorable
        | Code::ConsentMissing
        | Code::ReferenceIsWallet => "Credential cannot be used for MIT transactions".to_string(),
        _ => v.message.clone(),
    }
}

/// Infinic's error object: `{"detail"}` (then `mitgate`).
pub(crate) const ENVELOPE: Envelope = Envelope(&[Field::Message("detail")]);

fn wording(v: &Violation) -> Wording {
    Wording { status: status_for(v.code), code: None, message: message_for(v) }
}

/// Renders a refusal: `{"detail", "mitgate"}` with 404 / 403 / 422 (429 + `Retry-After` for waits).
pub fn render_refusal(decision: &Decision) -> Option<DialectResponse> {
    ENVELOPE.refusal(decision, wording)
}

/// The canonical reason of a `failure_reason`.
pub fn reason_from_failure(reason: &str) -> DeclineReason {
    match reason.trim() {
        "CardExpired" | "ExpiredCard" => DeclineReason::CardExpired,
        "InsufficientFunds" => DeclineReason::InsufficientFunds,
        "AuthenticationRequired" | "SoftDecline" => DeclineReason::AuthenticationRequired,
        "LostCard" | "StolenCard" | "LostOrStolen" => DeclineReason::LostOrStolen,
        "AccountClosed" => DeclineReason::AccountClosed,
        "Fraud" | "SuspectedFraud" => DeclineReason::SuspectedFraud,
        "CardDeclined" | "Declined" | "DoNotHonor" => DeclineReason::DoNotHonor,
        "IssuerUnavailable" => DeclineReason::IssuerUnavailable,
        "AuthorizationRevoked" | "MandateRevoked" => DeclineReason::AuthorizationRevoked,
        _ => DeclineReason::Other,
    }
}

struct StatusFacts {
    payment_id: Option<String>,
    status: Option<String>,
    failure_reason: Option<String>,
    decline_code: Option<String>,
    advice_code: Option<String>,
}

fn outcome_from(
    f: StatusFacts,
    path: &str,
    ctx: &OutcomeContext<'_>,
) -> Result<Option<Outcome>, Vec<FieldError>> {
    match f.status.as_deref() {
        Some("success") => Ok(Some(common::approved(ctx, f.payment_id))),
        Some("failed") => {
            let reason = f.failure_reason.as_deref().map(reason_from_failure);
            Ok(Some(common::declined(ctx, f.payment_id, f.decline_code, f.advice_code, reason)))
        }
        Some(_) => Ok(None),
        None => Err(vec![FieldError::new(path, "is required")]),
    }
}

/// Renders bad input: 400 `{"detail": "<path>: <message>", "mitgate": {"code": "bad_input", "errors"}}`.
pub fn render_errors(errors: &[FieldError]) -> DialectResponse {
    ENVELOPE.bad_input(errors)
}

/// Reads the answer to `POST /api/intents/auto-attempt` (`intent_status`).
pub fn read_outcome(
    status: u16,
    body: &str,
    ctx: &OutcomeContext<'_>,
) -> Result<Option<Outcome>, Vec<FieldError>> {
    envelope::settle(status, ctx, || {
        let r: AttemptResponse = common::parse(body, "")?;
        let facts = StatusFacts {
            payment_id: r.intent_id.or(r.id),
            status: r.intent_status,
            failure_reason: r.failure_reason,
            decline_code: r.decline_code,
            advice_code: r.merchant_advice_code,
        };
        outcome_from(facts, "intent_status", ctx)
    })
}

/// Reads a `StatusChange` webhook event about an auto-attempt.
pub fn read_status_change(body: &str, ctx: &OutcomeContext<'_>) -> Result<Option<Outcome>, Vec<FieldError>> {
    let e: Event<StatusContent> = common::parse(body, "")?;
    if e.kind.as_deref() != Some("StatusChange") {
        return Err(vec![FieldError::new("type", "must be \"StatusChange\"")]);
    }
    let Some(c) = e.content else { return Err(vec![FieldError::new("content", "is required")]) };
    let facts = StatusFacts {
        payment_id: c.intent_id,
        status: c.status,
        failure_reason: c.failure_reason,
        decline_code: c.decline_code,
        advice_code: c.merchant_advice_code,
    };
    outcome_from(facts, "content.status", ctx)
}

delegate_dialect!(Infinic, "infinic");
