//! Coinflow (document 001): zero-authorization or CVV-verified card checkout, then MITs that name the
//! original payment.
//!
//! ## Endpoints
//! | request | kind |
//! | --- | --- |
//! | `POST /api/checkout/zero-authorization/{merchantId}` (`card` or `token`) | CIT |
//! | `POST /api/checkout/card/{merchantId}` (`subtotal` and `card` or `token`) | CIT |
//! | `POST /api/checkout/merchant-initiated-transaction` | MIT |
//!
//! ## CIT to agreement ([`capture_cit`])
//! - `response.paymentId` → `agreement.id` (what MITs send as `originalPaymentId`) and `payment.id`.
//! - header `x-user-id` → `customerId`; the merchant is the context's (the path's `{merchantId}`, see
//!   [`cit_endpoint`]).
//! - `subtotal{cents, currency}` → the CIT amount in integer minor units; a zero authorization has amount
//!   zero in [`CitInput::zero_auth_currency`].
//! - method: `zero_auth` for a zero authorization, `cvv_purchase` for a card checkout; either must be
//!   CVV-verified (the document: only the CVV-verified payment can be an `originalPaymentId`): a `card`
//!   with `cvv`, or a `token` when [`CitInput::token_cvv_verified`] says the tokenized card was verified.
//!   A CIT that is not CVV-verified yields an error, not an agreement.
//! - credential: the `token` when one was used. With a raw `card`, the card number and CVV are **dropped**:
//!   the credential token is `coinflow-payment:<paymentId>` (Coinflow keeps the card in its vault under
//!   the payment; MITs name that payment). Kept from a raw card: expiry month, last four digits, and the
//!   network from the number's prefix (for retry rules).
//! - type `unscheduled` (document 001's MITs are usage charges, top-ups, post-service charges); consent
//!   flags both true (Coinflow's API has no consent field: the merchant must collect it, and capturing
//!   the CIT through mitgate records that it did).
//!
//! ## MIT to charge request ([`parse_mit`])
//! `originalPaymentId` → `reference` (lookup by reference); `subtotal{cents, currency}` → `amount`
//! (exact minor units); header `x-user-id` → `customerId`; header `idempotency-key` → `idempotencyKey`.
//! Other documented parameters (`settlementType`, `presentment`, `webhookInfo`, fees, ...) are not part of
//! the decision; `presentment` is checked to be a currency code.
//!
//! ## Refusals ([`render_refusal`])
//! Body `{"message": "...", "mitgate": <decision>}`. Status as the document's error handler expects:
//! 403 (not enabled, mobile wallet, chained reference, and every other "not permitted"), 410 (reference
//! window, amount ceiling, and anything else that is no longer valid: agreement, schedule, installments,
//! card), 429 with `Retry-After` (velocity and every other wait-and-retry rule), 404 when no agreement
//! matches `originalPaymentId`. Messages use the document's sentences with its numbers filled in.
//!
//! ## Outcomes ([`read_outcome`])
//! 2xx `{"paymentId"}` → approved (on a CIT, `merchantAdviceCode` when present, not in the document, becomes
//! `agreement.established.adviceCode`: Mastercard MAC 40/41 forbid MITs on the card). 402 → declined: `message`, and (not in the document; read when present)
//! `declineCode` and `merchantAdviceCode`. Any other 4xx (Coinflow's own 403 / 410 / 429 refusals, bad
//! requests) → not sent: no charge reached the card network. 5xx → unknown (`Ok(None)`).

use mitgate_core::decision::{Code, Decision, Details, Violation};
use mitgate_core::json::{FromJson, Path, Value};
use mitgate_core::model::{
    Agreement, AgreementStatus, CardBrand, ChargeRequest, Consent, Credential, Establishment,
    EstablishmentMethod, MitType, Outcome, Payment, PaymentKind, PaymentMethod, PaymentMethodKind, Terms,
};
use mitgate_core::money::{Currency, Money};
use mitgate_core::time::YearMonth;
use serde::Serialize;

use crate::common::{self, header, join, remap, required};
use crate::envelope::{self, Envelope, Field, Wording};
use crate::{
    AgreementLookup, CitCapture, CitContext, DialectResponse, FieldError, MitContext, OutcomeContext,
    ParsedMit, RequestKind,
};

/// The customer header.
pub const CUSTOMER_HEADER: &str = "x-user-id";

/// The prefix of a credential token derived from a payment id when the CIT used a raw card.
pub const PAYMENT_TOKEN_PREFIX: &str = "coinflow-payment:";

/// The Coinflow dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Coinflow;

/// Which CIT endpoint was called (`"zero_authorization"`, `"card"` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, FromJson)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null, rename = "CoinflowEndpoint"))]
#[serde(rename_all = "snake_case")]
pub enum CitEndpoint {
    /// `POST /api/checkout/zero-authorization/{merchantId}`.
    ZeroAuthorization,
    /// `POST /api/checkout/card/{merchantId}`.
    Card,
}

/// The documents of a Coinflow CIT.
#[derive(Debug, Clone, Copy)]
pub struct CitInput<'a> {
    /// The endpoint called.
    pub endpoint: CitEndpoint,
    /// The request body.
    pub request: &'a str,
    /// The successful response body (`{"paymentId": ...}`).
    pub response: &'a str,
    /// The agreement currency of a zero authorization, which carries no amount (the document's amounts
    /// are USD). Ignored for a card checkout, whose `subtotal.currency` decides.
    pub zero_auth_currency: Currency,
    /// Whether a CIT made with a saved `token` was CVV-verified (Coinflow's token does not say; the
    /// merchant does). A raw `card` is CVV-verified exactly when it carries a `cvv`.
    pub token_cvv_verified: bool,
}

/// The CIT endpoint and the path's `{merchantId}` of a processor path, if it is one.
pub fn cit_endpoint(path: &str) -> Option<(CitEndpoint, &str)> {
    let path = crate::path_only(path);
    let (endpoint, rest) = if let Some(rest) = path.strip_prefix("/api/checkout/zero-authorization/") {
        (CitEndpoint::ZeroAuthorization, rest)
    } else {
        (CitEndpoint::Card, path.strip_prefix("/api/checkout/card/")?)
    };
    let merchant = rest.trim_end_matches('/');
    (!merchant.is_empty() && !merchant.contains('/')).then_some((endpoint, merchant))
}

#[derive(FromJson)]
struct SubtotalBody {
    cents: Option<u64>,
    currency: Option<Currency>,
}

struct MitBody {
    subtotal: Option<SubtotalBody>,
    original_payment_id: Option<String>,
}

impl FromJson for MitBody {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let o = value.object(path, &["subtotal", "originalPaymentId", "presentment"], false)?;
        let subtotal = o.opt("subtotal")?;
        let original_payment_id = o.opt("originalPaymentId")?;
        // Read only to check that it is a currency code.
        o.opt::<Currency>("presentment")?;
        Ok(MitBody { subtotal, original_payment_id })
    }
}

#[derive(FromJson)]
#[serde(rename_all = "camelCase")]
struct CardBody {
    number: Option<String>,
    expiry_month: Option<String>,
    expiry_year: Option<String>,
    cvv: Option<String>,
}

#[derive(FromJson)]
struct CitBody {
    subtotal: Option<SubtotalBody>,
    token: Option<String>,
    card: Option<CardBody>,
}

#[derive(FromJson)]
#[serde(rename_all = "camelCase")]
struct PaymentResponse {
    payment_id: Option<String>,
    merchant_advice_code: Option<String>,
}

#[derive(FromJson)]
#[serde(rename_all = "camelCase")]
struct ErrorResponse {
    message: Option<String>,
    decline_code: Option<String>,
    merchant_advice_code: Option<String>,
}

fn subtotal(s: Option<SubtotalBody>, path: &str, errors: &mut Vec<FieldError>) -> Option<Money> {
    let s = required(s, path, errors)?;
    let cents = required(s.cents, &join(path, "cents"), errors);
    let currency = required(s.currency, &join(path, "currency"), errors);
    let (cents, currency) = (cents?, currency?);
    common::minor_amount(cents, currency, &join(path, "cents")).map_err(|e| errors.push(e)).ok()
}

/// Classifies a request: the two CIT endpoints, the MIT endpoint, or other.
pub fn classify(method: &str, path: &str, _body: &str) -> RequestKind {
    if !method.eq_ignore_ascii_case("POST") {
        return RequestKind::Other;
    }
    if crate::path_only(path).trim_end_matches('/') == "/api/checkout/merchant-initiated-transaction" {
        RequestKind::Mit
    } else if cit_endpoint(path).is_some() {
        RequestKind::Cit
    } else {
        RequestKind::Other
    }
}

/// Parses `POST /api/checkout/merchant-initiated-transaction`.
pub fn parse_mit(body: &str, ctx: &MitContext<'_>) -> Result<ParsedMit, Vec<FieldError>> {
    let b: MitBody = common::parse(body, "")?;
    let mut errors = Vec::new();
    let amount = subtotal(b.subtotal, "subtotal", &mut errors);
    let reference = required(b.original_payment_id, "originalPaymentId", &mut errors);
    let (Some(amount), Some(reference)) = (amount, reference) else { return Err(errors) };
    let request = ChargeRequest {
        merchant_id: ctx.merchant_id.to_string(),
        customer_id: header(ctx.headers, CUSTOMER_HEADER).map(str::to_string),
        reference: reference.clone(),
        reference_at: None,
        credential_token: None,
        mit_type: None,
        amount,
        notice_sent_at: ctx.notice_sent_at,
        reminder_sent_at: None,
        idempotency_key: header(ctx.headers, "idempotency-key").map(str::to_string),
    };
    request.validate("request", &mut errors);
    let errors = remap(
        errors,
        &[
            ("request.merchantId", "merchantId"),
            ("request.reference", "originalPaymentId"),
            ("request.customerId", "headers.x-user-id"),
            ("request.idempotencyKey", "headers.idempotency-key"),
            ("request.amount.amount", "subtotal.cents"),
        ],
    );
    common::finish(ParsedMit { request, lookup: AgreementLookup::Reference(reference) }, errors)
}

#[cfg(feature = "outbound")]
pub use outbound::render_mit;

/// The MIT request mitgate sends for a canonical charge (the Worker's `POST /v1/charges`): typed
/// structs written by serde_json, the inverse of [`parse_mit`]. Feature `outbound`.
#[cfg(feature = "outbound")]
mod outbound {
    use mitgate_core::money::Currency;
    use serde::Serialize;

    use super::CUSTOMER_HEADER;
    use crate::{common, MitOrder, MitRequest};

    /// The MIT request mitgate renders: `{"subtotal": {"cents", "currency"}, "originalPaymentId"}`.
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct MitOut<'a> {
        subtotal: SubtotalOut,
        original_payment_id: &'a str,
    }

    #[derive(Serialize)]
    struct SubtotalOut {
        cents: u64,
        currency: Currency,
    }

    /// Renders a canonical charge as `POST /api/checkout/merchant-initiated-transaction` ([`parse_mit`](super::parse_mit)'s
    /// inverse): `subtotal` in integer minor units, the reference as `originalPaymentId`, the customer (the
    /// request's, else the agreement's) in header `x-user-id`.
    pub fn render_mit(order: &MitOrder<'_>) -> Result<MitRequest, serde_json::Error> {
        let amount = &order.request.amount;
        let body = MitOut {
            subtotal: SubtotalOut { cents: amount.minor_units(), currency: amount.currency() },
            original_payment_id: &order.request.reference,
        };
        let mut request = common::json_request(
            "/api/checkout/merchant-initiated-transaction",
            serde_json::to_string(&body)?,
        );
        if let Some(customer) = order.customer() {
            request.headers.push((CUSTOMER_HEADER.to_string(), customer.to_string()));
        }
        Ok(request)
    }
}

/// The network of a card number, from its prefix (first digits only; the number is not kept).
fn brand_from_number(number: &str) -> Option<CardBrand> {
    let prefix = |n: usize| number.get(..n).and_then(|p| p.parse::<u32>().ok());
    if number.starts_with('4') {
        Some(CardBrand::Visa)
    } else if prefix(2).is_some_and(|p| (51..=55).contains(&p))
        || prefix(4).is_some_and(|p| (2221..=2720).contains(&p))
    {
        Some(CardBrand::Mastercard)
    } else if prefix(2).is_some_and(|p| p == 34 || p == 37) {
        Some(CardBrand::Amex)
    } else if number.starts_with("6011") || number.starts_with("65") {
        Some(CardBrand::Discover)
    } else if number.starts_with("35") {
        Some(CardBrand::Jcb)
    } else {
        None
    }
}

/// What is kept of a raw card: never the number or the CVV.
struct CardFacts {
    expiry: Option<YearMonth>,
    last4: Option<String>,
    brand: Option<CardBrand>,
    cvv_given: bool,
}

fn card_facts(card: CardBody, errors: &mut Vec<FieldError>) -> Option<CardFacts> {
    let before = errors.len();
    let number = required(card.number, "request.card.number", errors);
    let mut last4 = None;
    let mut brand = None;
    if let Some(number) = number {
        let digits: String = number.chars().filter(|c| *c != ' ').collect();
        if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(FieldError::new("request.card.number", "must be 12 to 19 digits"));
        } else {
            last4 = digits.get(digits.len() - 4..).map(str::to_string);
            brand = brand_from_number(&digits);
        }
    }
    let month = required(card.expiry_month, "request.card.expiryMonth", errors).and_then(|m| {
        match m.trim().parse::<u32>() {
            Ok(v) if (1..=12).contains(&v) && m.trim().len() <= 2 => Some(v),
            _ => {
                errors.push(FieldError::new(
                    "request.card.expiryMonth",
                    "must be a month from \"1\" to \"12\"",
                ));
                None
            }
        }
    });
    let year = required(card.expiry_year, "request.card.expiryYear", errors).and_then(|y| {
        let y = y.trim();
        match (y.len(), y.parse::<i32>()) {
            (4, Ok(v)) => Some(v),
            (2, Ok(v)) => Some(2000 + v),
            _ => {
                errors.push(FieldError::new("request.card.expiryYear", "must be a year like \"2025\""));
                None
            }
        }
    });
    let cvv_given = match card.cvv.as_deref().map(str::trim) {
        None | Some("") => false,
        Some(c) if (3..=4).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_digit()) => true,
        Some(_) => {
            errors.push(FieldError::new("request.card.cvv", "must be 3 or 4 digits"));
            false
        }
    };
    let expiry = match (year, month) {
        (Some(y), Some(m)) => YearMonth::new(y, m),
        _ => None,
    };
    (errors.len() == before).then_some(CardFacts { expiry, last4, brand, cvv_given })
}

/// Builds the agreement and the history entry from a successful zero authorization or card checkout.
pub fn capture_cit(input: &CitInput<'_>, ctx: &CitContext<'_>) -> Result<CitCapture, Vec<FieldError>> {
    let req: CitBody = common::parse(input.request, "request")?;
    let resp: PaymentResponse = common::parse(input.response, "response")?;
    let mut errors = Vec::new();
    let payment_id = required(resp.payment_id, "response.paymentId", &mut errors);
    let amount = match input.endpoint {
        CitEndpoint::Card => subtotal(req.subtotal, "request.subtotal", &mut errors),
        CitEndpoint::ZeroAuthorization => Some(Money::zero(input.zero_auth_currency)),
    };
    let (facts, token, cvv_verified) = match (req.card, req.token) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new("request.card", "give either `card` or `token`, not both"));
            (None, None, false)
        }
        (None, None) => {
            errors.push(FieldError::new("request.token", "is required (or `card`)"));
            (None, None, false)
        }
        (None, Some(token)) => {
            if !input.token_cvv_verified {
                errors.push(FieldError::new(
                    "request.token",
                    "the tokenized card was not CVV-verified; only a CVV-verified payment can be an originalPaymentId",
                ));
            }
            (None, Some(token), input.token_cvv_verified)
        }
        (Some(card), None) => {
            let facts = card_facts(card, &mut errors);
            if facts.as_ref().is_some_and(|f| !f.cvv_given) {
                errors.push(FieldError::new(
                    "request.card.cvv",
                    "is required: only a CVV-verified payment can be an originalPaymentId",
                ));
            }
            let verified = facts.as_ref().is_some_and(|f| f.cvv_given);
            (facts, None, verified)
        }
    };
    let (Some(payment_id), Some(amount), true) = (payment_id, amount, errors.is_empty()) else {
        return Err(errors);
    };
    let currency = amount.currency();
    let zero = input.endpoint == CitEndpoint::ZeroAuthorization;
    let token = token.unwrap_or_else(|| format!("{PAYMENT_TOKEN_PREFIX}{payment_id}"));
    let agreement = Agreement {
        id: payment_id.clone(),
        merchant_id: ctx.merchant_id.to_string(),
        customer_id: header(ctx.headers, CUSTOMER_HEADER).map(str::to_string),
        mit_type: MitType::Unscheduled,
        type_declared: true,
        established: Establishment {
            method: if zero { EstablishmentMethod::ZeroAuth } else { EstablishmentMethod::CvvPurchase },
            at: ctx.at,
            amount: Some(amount),
            // Mastercard MAC 40/41 on the approval: the card must not be stored for MITs.
            advice_code: resp.merchant_advice_code.filter(|m| !m.trim().is_empty()),
            network_transaction_id: None,
            transaction_link_id: None,
        },
        currency,
        payment_method: PaymentMethod {
            kind: PaymentMethodKind::Card,
            brand: facts.as_ref().and_then(|f| f.brand),
            mit_compatible: true,
        },
        credential: Credential {
            token,
            card_expiry: facts.as_ref().and_then(|f| f.expiry),
            last4: facts.and_then(|f| f.last4),
        },
        consent: Consent { store_credential: true, merchant_initiated: true },
        terms: Terms::default(),
        status: AgreementStatus::Active,
        status_reason: None,
        status_changed_at: None,
    };
    let payment = Payment {
        id: payment_id,
        at: ctx.at,
        amount,
        cvv_verified,
        kind: if zero { PaymentKind::ZeroAuth } else { PaymentKind::Purchase },
    };
    agreement.validate("agreement", &mut errors);
    let errors = remap(
        errors,
        &[
            ("agreement.id", "response.paymentId"),
            ("agreement.merchantId", "merchantId"),
            ("agreement.customerId", "headers.x-user-id"),
            ("agreement.credential.token", "request.token"),
        ],
    );
    common::finish(CitCapture { agreement, payment }, errors)
}

/// Coinflow's status for a violation: 403, 404, 410 or 429.
pub fn status_for(code: Code) -> u16 {
    if common::is_rate_code(code) {
        return 429;
    }
    match code {
        Code::AgreementNotFound => 404,
        Code::ReferenceExpired
        | Code::AgreementExpired
        | Code::ScheduleEnded
        | Code::InstallmentsExhausted
        | Code::CardExpired
        | Code::AmountAboveCeiling => 410,
        _ => 403,
    }
}

/// The document's sentence for a violation, with its numbers.
pub fn message_for(v: &Violation) -> String {
    match (&v.code, &v.details) {
        (Code::MitNotEnabled, _) => {
            "Merchant Initiated Transaction not enabled. Please contact your integrations representative.".to_string()
        }
        (Code::ReferenceIsWallet, _) => "Cannot perform card on file operations for mobile wallet payments".to_string(),
        (Code::ReferenceIsMit, _) => "Cannot perform card on file operations for a originalPaymentId which is a card on file transaction, please pass the originalPaymentId which processed with the CVV Verification".to_string(),
        (Code::VelocityExceeded, Details::Velocity(l)) => format!(
            "Max number of Card-on-File payments reached. ({} payments in {} seconds)",
            l.used, l.period_seconds
        ),
        (Code::ReferenceExpired, Details::Expiry(e)) => match e.window_seconds {
            Some(w) => format!(
                "This original payment can no longer be used as a card-on-file reference because it has exceeded the allowed {}-minute reference window.",
                w / 60
            ),
            None => v.message.clone(),
        },
        (Code::AmountAboveCeiling, Details::Ceiling(c)) => match (&c.ceiling.policy, c.ceiling.amount) {
            (Some(p), Some(limit)) if limit == p.amount => format!(
                "Amount exceeds limit: the total for a card-on-file transaction cannot exceed {} (the allowed multiplier of {}) of the original payment amount ({}).",
                common::human_money(&p.amount),
                p.multiple,
                common::human_money(&p.base)
            ),
            _ => v.message.clone(),
        },
        _ => v.message.clone(),
    }
}

/// Coinflow's error object: `{"message"}` (then `mitgate`).
pub(crate) const ENVELOPE: Envelope = Envelope(&[Field::Message("message")]);

fn wording(v: &Violation) -> Wording {
    Wording { status: status_for(v.code), code: None, message: message_for(v) }
}

/// Renders a refusal: `{"message", "mitgate"}` with 403 / 404 / 410 / 429 (+ `Retry-After`).
pub fn render_refusal(decision: &Decision) -> Option<DialectResponse> {
    ENVELOPE.refusal(decision, wording)
}

/// Renders bad input: 400 `{"message": "<path>: <message>", "mitgate": {"code": "bad_input", "errors"}}`.
pub fn render_errors(errors: &[FieldError]) -> DialectResponse {
    ENVELOPE.bad_input(errors)
}

/// Reads Coinflow's answer to a forwarded MIT.
pub fn read_outcome(
    status: u16,
    body: &str,
    ctx: &OutcomeContext<'_>,
) -> Result<Option<Outcome>, Vec<FieldError>> {
    if status == 402 {
        let r: ErrorResponse = common::parse(body, "")?;
        let reason = r.message.as_deref().map(common::reason_from_message);
        return Ok(Some(common::declined(ctx, None, r.decline_code, r.merchant_advice_code, reason)));
    }
    envelope::settle(status, ctx, || {
        let r: PaymentResponse = common::parse(body, "")?;
        let mut errors = Vec::new();
        let id = required(r.payment_id, "paymentId", &mut errors);
        common::finish(Some(common::approved(ctx, id)), errors)
    })
}

delegate_dialect!(Coinflow, "coinflow");
