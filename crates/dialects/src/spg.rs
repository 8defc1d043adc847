//! SPG (document 002): one endpoint, `POST /api/v2/payments`, whose `transaction.paymentType` says `AUTH`
//! (the initial CIT that generates a token) or `MIT` (linked to the CIT by `originalTransaction`).
//!
//! ## CIT to agreement ([`capture_cit`])
//! - `response.transactionID` → `agreement.id` and `payment.id`; `response.token.value` →
//!   `credential.token`; the response must say `returnStatus.statusCode` `"000"` and `paymentStatus`
//!   `"Success"`.
//! - `request.transaction.transactionTimestamp` → `established.at` and `payment.at`: MITs must repeat it
//!   *exactly* as `originalTransaction.datetime` (the engine compares the instants).
//! - `request.transaction.amount{value, currency}`: `value` is a decimal in major units written as a JSON
//!   number (`0.00`, `29.90`); it is read from its literal text, never through a float. `0.00` makes a
//!   `zero_auth` agreement; any other amount a `cvv_purchase` (a card entered on the web channel).
//! - `merchantInitiatedTransaction` on the CIT, when present, sets the terms: `type` `RCRR` → recurring,
//!   `UCOF` → unscheduled, `INST` → installment; `amountQualifier` `ACTUAL` /
//!   `ESTIMATED`; `validityDate` → `terms.validUntil` (inclusive instant); `schedule{initialDate,
//!   finalDate, interval}` → `terms.schedule` (`DAILY`, `WEEKLY`, `BIWEEKLY`, `MONTHLY`, `QUARTERLY`,
//!   `SEMIANNUALLY`, `YEARLY` / `ANNUALLY`).
//! - An `AUTH` without the block (section 1) declares no type: the agreement is `unscheduled` with
//!   `typeDeclared: false`, and MITs on it may declare any type (section 3's `RCRR` on section 1's
//!   `AUTH`). An `AUTH` that declared a type binds it: a contradicting MIT is `mit_type_mismatch`.
//! - SPG names no customer (`customerId` absent) and has no consent flag (both consent flags true: the
//!   `AUTH` is the token-generating authorization the document describes).
//!
//! ## MIT to charge request ([`parse_mit`])
//! `transaction.paymentType` must be `MIT`; `originalTransaction.id` → `reference` (lookup by reference);
//! `originalTransaction.datetime` → `referenceAt`; `transaction.amount` → `amount` (exact, as above);
//! `merchantInitiatedTransaction.type` → `type`; `merchant.merchantTransactionId` → `idempotencyKey`
//! (header `idempotency-key` wins). A missing `originalTransaction` is the document's first pitfall.
//! The MIT's other `merchantInitiatedTransaction` attributes (`amountQualifier`, `validityDate`,
//! `schedule`) are checked for form only: the terms agreed on the CIT decide.
//!
//! ## Refusals ([`render_refusal`])
//! SPG's own shape: `{"returnStatus": {"statusCode", "statusMsg"}, "paymentStatus": "Failed", "mitgate":
//! <decision>}`. The document only shows success (`"000"`), so mitgate chooses: the HTTP status is the
//! engine's canonical one (403 not permitted, 404 unknown reference, 410 no longer valid, 422 the
//! request contradicts the agreement (`originalTransaction.datetime` mismatch, type, currency), 429 with
//! `Retry-After` for waits), and `statusCode` repeats it as a three-digit string (`"410"`).
//!
//! ## Outcomes ([`read_outcome`])
//! 2xx with `statusCode` `"000"` and `paymentStatus` `"Success"` → approved (`transactionID`); a
//! `paymentStatus` of `Pending` / `Processing` → still in progress; any other 2xx → declined, with (not in
//! the document; read when present) `issuerResponseCode` and `merchantAdviceCode`, and the reason taken
//! from those or from `statusMsg`. 4xx → not sent; 5xx → unknown.

use mitgate_core::decision::{Code, Decision, Violation};
use mitgate_core::json::{FromJson, Kind, Path};
use mitgate_core::model::{
    Agreement, AgreementStatus, AmountQualifier, ChargeRequest, Consent, Credential, Establishment,
    EstablishmentMethod, Interval, MitType, Outcome, Payment, PaymentKind, PaymentMethod, PaymentMethodKind,
    Schedule, Terms,
};
use mitgate_core::money::{Currency, Money};
use mitgate_core::time::{Timestamp, ValidUntil};

use crate::common::{self, header, join, remap, required, Literal};
use crate::envelope::{self, Envelope, Field, Wording};
use crate::{
    AgreementLookup, CitCapture, CitContext, DialectResponse, FieldError, MitContext, OutcomeContext,
    ParsedMit, RequestKind,
};

/// The SPG dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spg;

/// The documents of an SPG CIT.
#[derive(Debug, Clone, Copy)]
pub struct CitInput<'a> {
    /// The `paymentType: AUTH` request body.
    pub request: &'a str,
    /// Its successful response body.
    pub response: &'a str,
}

#[derive(FromJson)]
#[serde(rename_all = "camelCase")]
struct Body {
    merchant: Option<MerchantPart>,
    transaction: Option<TransactionPart>,
    original_transaction: Option<OriginalPart>,
    merchant_initiated_transaction: Option<MitPart>,
}

#[derive(FromJson)]
#[serde(rename_all = "camelCase")]
struct MerchantPart {
    merchant_transaction_id: Option<String>,
}

#[derive(FromJson)]
#[serde(rename_all = "camelCase")]
struct TransactionPart {
    transaction_timestamp: Option<String>,
    payment_type: Option<String>,
    amount: Option<AmountPart>,
}

#[derive(FromJson)]
struct AmountPart {
    /// The decimal as written (read once the currency is known).
    value: Option<Literal>,
    currency: Option<Currency>,
}

#[derive(FromJson)]
struct OriginalPart {
    id: Option<String>,
    datetime: Option<String>,
}

#[derive(FromJson)]
#[serde(rename_all = "camelCase")]
struct MitPart {
    #[serde(rename = "type")]
    kind: Option<String>,
    amount_qualifier: Option<String>,
    validity_date: Option<String>,
    schedule: Option<SchedulePart>,
}

#[derive(FromJson)]
#[serde(rename_all = "camelCase")]
struct SchedulePart {
    initial_date: Option<String>,
    final_date: Option<String>,
    interval: Option<String>,
}

#[derive(FromJson)]
#[serde(rename_all = "camelCase")]
struct Response {
    return_status: Option<ReturnStatus>,
    payment_status: Option<String>,
    #[serde(rename = "transactionID")]
    transaction_id: Option<String>,
    token: Option<TokenPart>,
    issuer_response_code: Option<String>,
    merchant_advice_code: Option<String>,
}

#[derive(FromJson)]
#[serde(rename_all = "camelCase")]
struct ReturnStatus {
    status_code: Option<String>,
    status_msg: Option<String>,
}

#[derive(FromJson)]
struct TokenPart {
    value: Option<String>,
}

/// `transaction.paymentType` (when a string) and whether `originalTransaction` is present and not
/// `null`; `None` when the body is not an object of that shape (not JSON, `transaction` not an object,
/// a key given twice).
fn type_only(body: &str) -> Option<(Option<String>, bool)> {
    let value = mitgate_core::json::parse(body).ok()?;
    let root = Path::root(body);
    let o = value.object(&root, &["transaction", "originalTransaction"], false).ok()?;
    let payment_type = match o.get("transaction") {
        Some(t) if !t.is_null() => {
            let path = root.key("transaction");
            match t.object(&path, &["paymentType"], false).ok()?.get("paymentType").map(|p| &p.kind) {
                Some(Kind::String(s)) => Some(s.to_string()),
                _ => None,
            }
        }
        _ => None,
    };
    Some((payment_type, o.get("originalTransaction").is_some_and(|v| !v.is_null())))
}

/// Classifies `POST /api/v2/payments` by `transaction.paymentType`: `AUTH` is a CIT, `MIT` (or any body
/// carrying `originalTransaction`, or a body that cannot be read) an MIT.
pub fn classify(method: &str, path: &str, body: &str) -> RequestKind {
    if !method.eq_ignore_ascii_case("POST")
        || crate::path_only(path).trim_end_matches('/') != "/api/v2/payments"
    {
        return RequestKind::Other;
    }
    let Some((kind, original_transaction)) = type_only(body) else { return RequestKind::Mit };
    match kind.as_deref() {
        Some("MIT") => RequestKind::Mit,
        _ if original_transaction => RequestKind::Mit,
        Some("AUTH") => RequestKind::Cit,
        _ => RequestKind::Other,
    }
}

fn amount(a: Option<AmountPart>, path: &str, errors: &mut Vec<FieldError>) -> Option<Money> {
    let a = required(a, path, errors)?;
    let value = required(a.value, &join(path, "value"), errors);
    let currency = required(a.currency, &join(path, "currency"), errors);
    let (value, currency) = (value?, currency?);
    common::major_amount(&value, currency, &join(path, "value")).map_err(|e| errors.push(e)).ok()
}

fn instant(text: Option<String>, path: &str, errors: &mut Vec<FieldError>) -> Option<Timestamp> {
    common::timestamp(&required(text, path, errors)?, path).map_err(|e| errors.push(e)).ok()
}

fn mit_type(code: &str, path: &str, errors: &mut Vec<FieldError>) -> Option<MitType> {
    match code {
        "RCRR" => Some(MitType::Recurring),
        "UCOF" => Some(MitType::Unscheduled),
        "INST" => Some(MitType::Installment),
        _ => {
            errors.push(FieldError::new(path, "must be RCRR, UCOF or INST"));
            None
        }
    }
}

fn interval(code: &str) -> Option<Interval> {
    Some(match code {
        "DAILY" => Interval::Daily,
        "WEEKLY" => Interval::Weekly,
        "BIWEEKLY" => Interval::Biweekly,
        "MONTHLY" => Interval::Monthly,
        "QUARTERLY" => Interval::Quarterly,
        "SEMIANNUALLY" | "SEMI_ANNUALLY" => Interval::SemiAnnually,
        "YEARLY" | "ANNUALLY" => Interval::Yearly,
        _ => return None,
    })
}

/// The MIT attributes: type, and the terms they describe.
fn mit_part(m: MitPart, prefix: &str, errors: &mut Vec<FieldError>) -> (Option<MitType>, Terms) {
    let p = |name: &str| join(prefix, name);
    let kind = m.kind.as_deref().and_then(|k| mit_type(k, &p("type"), errors));
    let amount_qualifier = m.amount_qualifier.as_deref().and_then(|q| match q {
        "ACTUAL" => Some(AmountQualifier::Actual),
        "ESTIMATED" => Some(AmountQualifier::Estimated),
        _ => {
            errors.push(FieldError::new(p("amountQualifier"), "must be ACTUAL or ESTIMATED"));
            None
        }
    });
    let valid_until =
        m.validity_date.and_then(|v| instant(Some(v), &p("validityDate"), errors)).map(ValidUntil::Instant);
    let schedule = m.schedule.and_then(|s| {
        let initial_date = instant(s.initial_date, &p("schedule.initialDate"), errors);
        let final_date = s.final_date.and_then(|f| instant(Some(f), &p("schedule.finalDate"), errors));
        let interval = s.interval.as_deref().and_then(|i| {
            let parsed = interval(i);
            if parsed.is_none() {
                errors.push(FieldError::new(
                    p("schedule.interval"),
                    "must be DAILY, WEEKLY, BIWEEKLY, MONTHLY, QUARTERLY, SEMIANNUALLY or YEARLY",
                ));
            }
            parsed
        });
        initial_date.map(|initial_date| Schedule { initial_date, final_date, interval })
    });
    let terms = Terms { amount_qualifier, valid_until, schedule, ..Terms::default() };
    (kind, terms)
}

/// Parses a `paymentType: MIT` request.
pub fn parse_mit(body: &str, ctx: &MitContext<'_>) -> Result<ParsedMit, Vec<FieldError>> {
    let b: Body = common::parse(body, "")?;
    let mut errors = Vec::new();
    let tx = required(b.transaction, "transaction", &mut errors);
    let mut money = None;
    if let Some(tx) = tx {
        match tx.payment_type.as_deref() {
            Some("MIT") => {}
            Some(_) => errors.push(FieldError::new(
                "transaction.paymentType",
                "must be MIT for a merchant-initiated transaction (AUTH is the initial authorization)",
            )),
            None => errors.push(FieldError::new("transaction.paymentType", "is required")),
        }
        if let Some(t) = tx.transaction_timestamp {
            let _ = instant(Some(t), "transaction.transactionTimestamp", &mut errors);
        }
        money = amount(tx.amount, "transaction.amount", &mut errors);
    }
    let (reference, reference_at) = match b.original_transaction {
        None => {
            errors.push(FieldError::new(
                "originalTransaction",
                "is required: MIT requests must always reference the original CIT",
            ));
            (None, None)
        }
        Some(o) => {
            let id = required(o.id, "originalTransaction.id", &mut errors);
            (id, instant(o.datetime, "originalTransaction.datetime", &mut errors))
        }
    };
    let declared = b
        .merchant_initiated_transaction
        .and_then(|m| mit_part(m, "merchantInitiatedTransaction", &mut errors).0);
    let (Some(amount), Some(reference), Some(reference_at), true) =
        (money, reference, reference_at, errors.is_empty())
    else {
        return Err(errors);
    };
    let request = ChargeRequest {
        merchant_id: ctx.merchant_id.to_string(),
        customer_id: None,
        reference: reference.clone(),
        reference_at: Some(reference_at),
        credential_token: None,
        mit_type: declared,
        amount,
        notice_sent_at: ctx.notice_sent_at,
        reminder_sent_at: None,
        idempotency_key: header(ctx.headers, "idempotency-key")
            .map(str::to_string)
            .or(b.merchant.and_then(|m| m.merchant_transaction_id)),
    };
    request.validate("request", &mut errors);
    let errors = remap(
        errors,
        &[
            ("request.merchantId", "merchantId"),
            ("request.reference", "originalTransaction.id"),
            ("request.idempotencyKey", "merchant.merchantTransactionId"),
            ("request.amount.amount", "transaction.amount.value"),
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
    use std::io;

    use mitgate_core::model::MitType;
    use mitgate_core::money::{Currency, Money};
    use mitgate_core::time::Timestamp;
    use serde::Serialize;
    use serde_json::ser::Formatter;

    use crate::{common, MitOrder, MitRequest};

    /// The `paymentType: MIT` request mitgate renders (document 002's section 2, plus the MIT type).
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct MitOut<'a> {
        merchant: MerchantOut<'a>,
        transaction: TransactionOut,
        original_transaction: OriginalOut<'a>,
        merchant_initiated_transaction: MitTypeOut,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct MerchantOut<'a> {
        terminal_id: &'a str,
        channel: &'static str,
        merchant_transaction_id: &'a str,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct TransactionOut {
        transaction_timestamp: Timestamp,
        payment_type: &'static str,
        payment_method: [&'static str; 1],
        amount: AmountOut,
    }

    #[derive(Serialize)]
    struct AmountOut {
        /// The amount in integer minor units, which [`MajorUnits`] writes in major units (`29.90`).
        value: u64,
        currency: Currency,
    }

    #[derive(Serialize)]
    struct OriginalOut<'a> {
        id: &'a str,
        datetime: Timestamp,
    }

    #[derive(Serialize)]
    struct MitTypeOut {
        #[serde(rename = "type")]
        kind: &'static str,
    }

    /// serde_json's number writer for [`MitOut`]: document 002 writes the amount as a JSON number in major
    /// units (`29.90`), so the body carries it in integer minor units and this writes them with the
    /// currency's exponent, exactly (never through a float). serde_json's `raw_value` feature could embed
    /// the decimal's text instead, but it grows every serde_json struct writer (8 KB gzip in the Worker).
    /// INVARIANT: the amount is the only integer in [`MitOut`]; every other member is a string.
    struct MajorUnits(Currency);

    impl Formatter for MajorUnits {
        fn write_u64<W: ?Sized + io::Write>(&mut self, writer: &mut W, minor: u64) -> io::Result<()> {
            let money = Money::from_minor(i128::from(minor), self.0).map_err(io::Error::other)?;
            write!(writer, "{}", money.amount())
        }
    }

    /// Renders a canonical charge as a `paymentType: MIT` request ([`parse_mit`](super::parse_mit)'s
    /// inverse): the CIT's `terminalId`, channel `web`, the attempt id as `merchantTransactionId`, `now`
    /// as `transactionTimestamp`, the amount in major units as a JSON number, `originalTransaction` the
    /// reference and its datetime (the request's, else the agreement's establishment, which the CIT's
    /// `transactionTimestamp` set), and the agreement's type (`UCOF`; `RCRR` for recurring and
    /// installments).
    pub fn render_mit(order: &MitOrder<'_>) -> Result<MitRequest, serde_json::Error> {
        let (request, agreement) = (order.request, order.agreement);
        let currency = request.amount.currency();
        let body = MitOut {
            merchant: MerchantOut {
                terminal_id: order.terminal_id,
                channel: "web",
                merchant_transaction_id: order.attempt_id,
            },
            transaction: TransactionOut {
                transaction_timestamp: order.now,
                payment_type: "MIT",
                payment_method: ["CARD"],
                amount: AmountOut { value: request.amount.minor_units(), currency },
            },
            original_transaction: OriginalOut {
                id: &request.reference,
                datetime: request.reference_at.unwrap_or(agreement.established.at),
            },
            merchant_initiated_transaction: MitTypeOut {
                kind: match agreement.mit_type {
                    MitType::Unscheduled => "UCOF",
                    MitType::Recurring | MitType::Installment => "RCRR",
                },
            },
        };
        let mut text = Vec::new();
        body.serialize(&mut serde_json::Serializer::with_formatter(&mut text, MajorUnits(currency)))?;
        let text = String::from_utf8(text).map_err(|e| serde_json::Error::io(io::Error::other(e)))?;
        Ok(common::json_request("/api/v2/payments", text))
    }
}

/// Builds the agreement and the history entry from a successful `AUTH` and its response.
pub fn capture_cit(input: &CitInput<'_>, ctx: &CitContext<'_>) -> Result<CitCapture, Vec<FieldError>> {
    let req: Body = common::parse(input.request, "request")?;
    let resp: Response = common::parse(input.response, "response")?;
    let mut errors = Vec::new();
    let (mut at, mut money) = (None, None);
    if let Some(tx) = required(req.transaction, "request.transaction", &mut errors) {
        if tx.payment_type.as_deref() != Some("AUTH") {
            errors.push(FieldError::new(
                "request.transaction.paymentType",
                "must be AUTH for the initial authorization",
            ));
        }
        at = instant(tx.transaction_timestamp, "request.transaction.transactionTimestamp", &mut errors);
        money = amount(tx.amount, "request.transaction.amount", &mut errors);
    }
    let (kind, terms) = match req.merchant_initiated_transaction {
        Some(m) => mit_part(m, "request.merchantInitiatedTransaction", &mut errors),
        None => (None, Terms::default()),
    };
    if let Some(rs) = required(resp.return_status, "response.returnStatus", &mut errors) {
        if rs.status_code.as_deref() != Some("000") {
            errors.push(FieldError::new(
                "response.returnStatus.statusCode",
                "must be \"000\": only a successful authorization establishes an agreement",
            ));
        }
    }
    if resp.payment_status.as_deref() != Some("Success") {
        errors.push(FieldError::new("response.paymentStatus", "must be \"Success\""));
    }
    let id = required(resp.transaction_id, "response.transactionID", &mut errors);
    let token = required(resp.token, "response.token", &mut errors)
        .and_then(|t| required(t.value, "response.token.value", &mut errors));
    let (Some(at), Some(amount), Some(id), Some(token), true) = (at, money, id, token, errors.is_empty())
    else {
        return Err(errors);
    };
    let zero = amount.is_zero();
    let agreement = Agreement {
        id: id.clone(),
        merchant_id: ctx.merchant_id.to_string(),
        customer_id: None,
        mit_type: kind.unwrap_or(MitType::Unscheduled),
        type_declared: kind.is_some(),
        established: Establishment {
            method: if zero { EstablishmentMethod::ZeroAuth } else { EstablishmentMethod::CvvPurchase },
            at,
            amount: Some(amount),
            advice_code: None,
            network_transaction_id: None,
            transaction_link_id: None,
        },
        currency: amount.currency(),
        payment_method: PaymentMethod { kind: PaymentMethodKind::Card, brand: None, mit_compatible: true },
        credential: Credential { token, card_expiry: None, last4: None },
        consent: Consent { store_credential: true, merchant_initiated: true },
        terms,
        status: AgreementStatus::Active,
        status_reason: None,
        status_changed_at: None,
    };
    let payment = Payment {
        id,
        at,
        amount,
        cvv_verified: true,
        kind: if zero { PaymentKind::ZeroAuth } else { PaymentKind::Purchase },
    };
    agreement.validate("agreement", &mut errors);
    let errors = remap(
        errors,
        &[
            ("agreement.id", "response.transactionID"),
            ("agreement.merchantId", "merchantId"),
            ("agreement.credential.token", "response.token.value"),
            ("agreement.terms.schedule", "request.merchantInitiatedTransaction.schedule"),
        ],
    );
    common::finish(CitCapture { agreement, payment }, errors)
}

/// SPG's HTTP status for a violation (the engine's canonical status).
pub fn status_for(code: Code) -> u16 {
    code.http_status()
}

/// The `statusMsg` for a violation.
pub fn message_for(v: &Violation) -> String {
    match v.code {
        Code::ReferenceDatetimeMismatch => format!("Incorrect datetime value: {}", v.message),
        _ => v.message.clone(),
    }
}

/// SPG's error object: `{"returnStatus": {"statusCode", "statusMsg"}, "paymentStatus": "Failed"}` (then
/// `mitgate`); `statusCode` is the HTTP status as three digits.
pub(crate) const ENVELOPE: Envelope = Envelope(&[
    Field::Object("returnStatus", &[Field::Code("statusCode"), Field::Message("statusMsg")]),
    Field::Fixed("paymentStatus", "Failed"),
]);

fn wording(v: &Violation) -> Wording {
    Wording { status: status_for(v.code), code: None, message: message_for(v) }
}

/// Renders a refusal: `{"returnStatus": {"statusCode", "statusMsg"}, "paymentStatus": "Failed", "mitgate"}`.
pub fn render_refusal(decision: &Decision) -> Option<DialectResponse> {
    ENVELOPE.refusal(decision, wording)
}

/// Renders bad input: 400 with `returnStatus{statusCode: "400", statusMsg}` and the errors under `mitgate`.
pub fn render_errors(errors: &[FieldError]) -> DialectResponse {
    ENVELOPE.bad_input(errors)
}

/// Reads SPG's answer to a forwarded MIT.
pub fn read_outcome(
    status: u16,
    body: &str,
    ctx: &OutcomeContext<'_>,
) -> Result<Option<Outcome>, Vec<FieldError>> {
    envelope::settle(status, ctx, || {
        let r: Response = common::parse(body, "")?;
        let mut errors = Vec::new();
        let rs = required(r.return_status, "returnStatus", &mut errors);
        let payment_status = required(r.payment_status, "paymentStatus", &mut errors);
        let (Some(rs), Some(payment_status)) = (rs, payment_status) else { return Err(errors) };
        match (rs.status_code.as_deref(), payment_status.as_str()) {
            (Some("000"), "Success") => Ok(Some(common::approved(ctx, r.transaction_id))),
            (_, "Pending" | "Processing") => Ok(None),
            _ => {
                let reason = rs.status_msg.as_deref().map(common::reason_from_message);
                Ok(Some(common::declined(
                    ctx,
                    r.transaction_id,
                    r.issuer_response_code,
                    r.merchant_advice_code,
                    reason,
                )))
            }
        }
    })
}

delegate_dialect!(Spg, "spg");
