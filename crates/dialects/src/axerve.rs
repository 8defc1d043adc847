//! Axerve (document 003): recurring (`01F` first, `01N` next) and unscheduled (`03F` / `03N`) MIT chains,
//! grandfathered chains referenced as `bankTransactionID` `-100`, and soft decline `8026`.
//!
//! ## Wire formats
//! The document shows SOAP 1.1 (`Encrypt`, `callPagamS2S`), GestPay's wire format: `axerve::soap` (cargo
//! feature `soap`) reads those envelopes into the JSON shape below and writes GestPay's answers; the
//! Worker serves it at GestPay's own paths. The JSON shape is also accepted directly (an extension).
//!
//! ## The JSON shape (a modelling choice)
//! The SOAP element names are kept verbatim and nesting kept:
//!
//! ```json
//! {"shopLogin": "GESPAY00001", "uicCode": "242", "amount": "10", "shopTransactionId": "OrderID_01N_001",
//!  "tokenValue": "TOK-01F-0001",
//!  "transDetails": {"type": "01N",
//!                   "authenticationAmount": "10",
//!                   "recurringTransaction": {"expiry": "20301225", "frequency": "14"},
//!                   "previousTransDetails": {"bankTransactionID": "BTX-01F-0001"}}}
//! ```
//!
//! Amounts are decimal major units, as a string (`"10"`, `"10.50"`) or a JSON number read from its
//! literal text. The currency is `currency` (ISO 4217) or the SOAP `uicCode` (`242` EUR, `1` USD, `2`
//! GBP, `3` CHF, `71` JPY). `expiry` is `YYYYMMDD`; `frequency` whole days (string or integer);
//! `bankTransactionID` a string or an integer (`-100`).
//!
//! The answer, which the document does not show, is read as the SOAP result's fields in the same style:
//! `{"transactionResult": "OK" | "KO" | "XX", "bankTransactionID", "shopTransactionId", "errorCode",
//! "errorDescription", "token" (or "tokenValue"), "tokenExpiryMonth", "tokenExpiryYear"}`.
//!
//! ## CIT to agreement ([`capture_cit`])
//! `01F` → recurring, `03F` → unscheduled; method `sca` (the first transaction is strongly
//! authenticated); `response.bankTransactionID` → `agreement.id` (what `01N`/`03N` send as
//! `previousTransDetails.bankTransactionID`); `response.token` (else the request's `tokenValue`) →
//! `credential.token`; `tokenExpiryMonth`/`Year` → `credential.cardExpiry`; `authenticationAmount` →
//! `terms.maxAmount` (required for `01F`, and at least `amount`); `recurringTransaction.expiry` →
//! `terms.validUntil` (the whole day, inclusive; required); `frequency` → `terms.minIntervalDays`
//! (required for `01F`). Time: the context's `at`. Consent: both flags (the F types exist to set up
//! MITs). No customer.
//!
//! Grandfathered chains have no CIT: [`register_grandfathered`] builds their agreement (method
//! `grandfathered`, found by credential token).
//!
//! ## MIT to charge request ([`parse_mit`])
//! `transDetails.type` `01N` / `03N` → `type`; `previousTransDetails.bankTransactionID` → `reference`
//! (lookup by reference; `-100` is grandfathered and is looked up by `tokenValue`, then required);
//! `tokenValue` → `credentialToken`; `amount` + currency → `amount`; `shopTransactionId` →
//! `idempotencyKey` (header `idempotency-key` wins).
//!
//! ## Refusals ([`render_refusal`])
//! `{"transactionResult": "KO", "errorCode", "errorDescription", "mitgate": <decision>}` with the engine's
//! canonical HTTP status (403 / 404 / 410 / 422 / 429 + `Retry-After`). `errorCode` is that status as a
//! string, except a chain that needs a new authentication, which answers as Axerve does: `8026`, "Soft
//! decline - Cardholder authentication required".
//!
//! ## Outcomes ([`read_outcome`])
//! 2xx `transactionResult` `OK` → approved (`bankTransactionID`); `KO` → declined with `errorCode` as the
//! decline code (`8026` → `authentication_required`, which puts the agreement into
//! `reauthentication_required`) and (not in the document; read when present) `merchantAdviceCode`;
//! `XX` → in progress. 4xx → not sent; 5xx → unknown.

#[cfg(feature = "soap")]
pub mod soap;

use chrono::NaiveDate;
use mitgate_core::decision::{Code, Decision, Violation};
use mitgate_core::json::{FromJson, Kind, Path, Value};
use mitgate_core::model::{
    Agreement, AgreementStatus, ChargeRequest, Consent, Credential, Establishment, EstablishmentMethod,
    MitType, Outcome, Payment, PaymentKind, PaymentMethod, PaymentMethodKind, Terms, GRANDFATHERED_REFERENCE,
};
use mitgate_core::money::{Currency, Money};
use mitgate_core::time::{ValidUntil, YearMonth};

use crate::common::{self, header, join, remap, required, text_of, Literal};
use crate::envelope::{self, Envelope, Field, Wording};
use crate::{
    AgreementLookup, CitCapture, CitContext, DialectResponse, FieldError, MitContext, OutcomeContext,
    ParsedMit, RequestKind,
};

/// Axerve's soft decline: cardholder authentication required (a new chain is needed).
pub const SOFT_DECLINE: &str = "8026";

/// The SOAP `uicCode` values mitgate knows, with their ISO 4217 codes.
pub const UIC_CODES: &[(&str, &str)] =
    &[("1", "USD"), ("2", "GBP"), ("3", "CHF"), ("71", "JPY"), ("242", "EUR")];

/// The Axerve dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Axerve;

/// The documents of an Axerve first transaction (`01F` / `03F`).
#[derive(Debug, Clone, Copy)]
pub struct CitInput<'a> {
    /// The request (JSON shape above).
    pub request: &'a str,
    /// Its successful result.
    pub response: &'a str,
}

/// A grandfathered chain, registered without a CIT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrandfatheredSetup {
    /// The stored token its MITs send as `tokenValue`.
    pub token: String,
    /// Recurring (`01N`) or unscheduled (`03N`).
    pub mit_type: MitType,
    /// The chain's currency.
    pub currency: Currency,
    /// The agreed maximum amount, when known.
    pub max_amount: Option<Money>,
    /// The agreement's end date, when known.
    pub expiry: Option<NaiveDate>,
    /// The minimum days between payments, when known.
    pub frequency_days: Option<u32>,
    /// The card's expiry month, when known.
    pub card_expiry: Option<YearMonth>,
}

#[derive(FromJson)]
#[serde(rename_all = "camelCase")]
struct Body {
    uic_code: Option<Literal>,
    currency: Option<String>,
    amount: Option<Literal>,
    shop_transaction_id: Option<String>,
    token_value: Option<String>,
    trans_details: Option<TransDetails>,
}

#[derive(FromJson)]
#[serde(rename_all = "camelCase")]
struct TransDetails {
    #[serde(rename = "type")]
    kind: Option<String>,
    authentication_amount: Option<Literal>,
    recurring_transaction: Option<Recurring>,
    previous_trans_details: Option<Previous>,
}

#[derive(FromJson)]
struct Recurring {
    expiry: Option<Literal>,
    frequency: Option<Literal>,
}

#[derive(FromJson)]
struct Previous {
    #[serde(rename = "bankTransactionID")]
    bank_transaction_id: Option<Literal>,
}

struct Response {
    transaction_result: Option<String>,
    bank_transaction_id: Option<Literal>,
    error_code: Option<Literal>,
    error_description: Option<String>,
    /// `token`, or its alias `tokenValue` (giving both is a duplicate field).
    token: Option<String>,
    token_expiry_month: Option<Literal>,
    token_expiry_year: Option<Literal>,
    merchant_advice_code: Option<String>,
}

impl FromJson for Response {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        const FIELDS: &[&str] = &[
            "transactionResult",
            "bankTransactionID",
            "errorCode",
            "errorDescription",
            "token",
            "tokenValue",
            "tokenExpiryMonth",
            "tokenExpiryYear",
            "merchantAdviceCode",
        ];
        let o = value.object(path, FIELDS, false)?;
        let token = match (o.get("token"), o.get("tokenValue")) {
            (Some(a), Some(b)) => {
                let (key, later) = if a.at > b.at { ("token", a) } else { ("tokenValue", b) };
                return Err(path.key(key).error(later.at, "duplicate field `token`"));
            }
            (_, Some(_)) => o.opt("tokenValue")?,
            _ => o.opt("token")?,
        };
        Ok(Response {
            transaction_result: o.opt("transactionResult")?,
            bank_transaction_id: o.opt("bankTransactionID")?,
            error_code: o.opt("errorCode")?,
            error_description: o.opt("errorDescription")?,
            token,
            token_expiry_month: o.opt("tokenExpiryMonth")?,
            token_expiry_year: o.opt("tokenExpiryYear")?,
            merchant_advice_code: o.opt("merchantAdviceCode")?,
        })
    }
}

/// `transDetails.type` when it is a string; `None` when the body is not an object of that shape (not
/// JSON, `transDetails` not an object, a key given twice).
fn type_only(body: &str) -> Option<Option<String>> {
    let value = mitgate_core::json::parse(body).ok()?;
    let root = Path::root(body);
    let o = value.object(&root, &["transDetails"], false).ok()?;
    Some(match o.get("transDetails") {
        Some(d) if !d.is_null() => {
            let path = root.key("transDetails");
            match d.object(&path, &["type"], false).ok()?.get("type").map(|t| &t.kind) {
                Some(Kind::String(s)) => Some(s.to_string()),
                _ => None,
            }
        }
        _ => None,
    })
}

/// Classifies by `transDetails.type`: `01F`/`03F` CIT, `01N`/`03N` MIT. Mitgate's Axerve routes are
/// all `POST`; the path is not consulted.
pub fn classify(method: &str, _path: &str, body: &str) -> RequestKind {
    if !method.eq_ignore_ascii_case("POST") {
        return RequestKind::Other;
    }
    let Some(kind) = type_only(body) else { return RequestKind::Mit };
    match kind.as_deref() {
        Some("01N" | "03N") => RequestKind::Mit,
        Some("01F" | "03F") => RequestKind::Cit,
        _ => RequestKind::Other,
    }
}

fn currency_of(b: &Body, prefix: &str, errors: &mut Vec<FieldError>) -> Option<Currency> {
    let from_uic = match &b.uic_code {
        None => None,
        Some(v) => {
            let path = join(prefix, "uicCode");
            match text_of(v, &path, "a UIC currency code like \"242\"") {
                Err(e) => {
                    errors.push(e);
                    return None;
                }
                Ok(code) => match UIC_CODES.iter().find(|(uic, _)| *uic == code) {
                    Some((_, iso)) => common::currency(iso, &path).map_err(|e| errors.push(e)).ok(),
                    None => {
                        errors.push(FieldError::new(path, "is not a UIC code mitgate knows (242 EUR, 1 USD, 2 GBP, 3 CHF, 71 JPY); send `currency` instead"));
                        return None;
                    }
                },
            }
        }
    };
    let from_iso = match &b.currency {
        None => None,
        Some(code) => match common::currency(code, &join(prefix, "currency")) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.push(e);
                return None;
            }
        },
    };
    match (from_uic, from_iso) {
        (Some(u), Some(i)) if u != i => {
            errors.push(FieldError::new(join(prefix, "currency"), "contradicts uicCode"));
            None
        }
        (Some(c), _) | (None, Some(c)) => Some(c),
        (None, None) => {
            errors.push(FieldError::new(join(prefix, "currency"), "is required (or uicCode)"));
            None
        }
    }
}

fn money_at(
    raw: Option<Literal>,
    currency: Option<Currency>,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Money> {
    let raw = required(raw, path, errors)?;
    common::major_amount(&raw, currency?, path).map_err(|e| errors.push(e)).ok()
}

fn expiry_date(v: &Literal, path: &str, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let text = text_of(v, path, "a date YYYYMMDD").map_err(|e| errors.push(e)).ok()?;
    let parsed = mitgate_core::time::parse_date(&text, false);
    if parsed.is_none() {
        errors.push(FieldError::new(path, "must be a date YYYYMMDD like \"20301225\""));
    }
    parsed
}

fn frequency(v: &Literal, path: &str, errors: &mut Vec<FieldError>) -> Option<u32> {
    let text = text_of(v, path, "a whole number of days").map_err(|e| errors.push(e)).ok()?;
    match text.parse::<u32>() {
        Ok(d) if (1..=3660).contains(&d) => Some(d),
        _ => {
            errors.push(FieldError::new(path, "must be a whole number of days from 1 to 3660"));
            None
        }
    }
}

/// Parses a `01N` / `03N` request.
pub fn parse_mit(body: &str, ctx: &MitContext<'_>) -> Result<ParsedMit, Vec<FieldError>> {
    let b: Body = common::parse(body, "")?;
    let mut errors = Vec::new();
    let currency = currency_of(&b, "", &mut errors);
    let amount = money_at(b.amount, currency, "amount", &mut errors);
    let details = required(b.trans_details, "transDetails", &mut errors);
    let mut kind = None;
    let mut reference = None;
    if let Some(d) = details {
        kind = match d.kind.as_deref() {
            Some("01N") => Some(MitType::Recurring),
            Some("03N") => Some(MitType::Unscheduled),
            Some("01F" | "03F") => {
                errors.push(FieldError::new(
                    "transDetails.type",
                    "is a first transaction (CIT); an MIT is 01N or 03N",
                ));
                None
            }
            Some(_) => {
                errors.push(FieldError::new("transDetails.type", "must be 01N or 03N"));
                None
            }
            None => {
                errors.push(FieldError::new("transDetails.type", "is required"));
                None
            }
        };
        if let Some(r) = d.recurring_transaction {
            if let Some(e) = &r.expiry {
                let _ = expiry_date(e, "transDetails.recurringTransaction.expiry", &mut errors);
            }
            if let Some(f) = &r.frequency {
                let _ = frequency(f, "transDetails.recurringTransaction.frequency", &mut errors);
            }
        }
        let path = "transDetails.previousTransDetails.bankTransactionID";
        reference = match d.previous_trans_details.and_then(|p| p.bank_transaction_id) {
            None => {
                errors.push(FieldError::new(
                    path,
                    "is required: an MIT must refer to its first transaction (or -100)",
                ));
                None
            }
            Some(v) => text_of(&v, path, "a transaction id or -100").map_err(|e| errors.push(e)).ok(),
        };
    }
    let grandfathered = reference.as_deref() == Some(GRANDFATHERED_REFERENCE);
    if grandfathered && b.token_value.is_none() {
        errors.push(FieldError::new(
            "tokenValue",
            "is required with a grandfathered reference (-100): it identifies the chain",
        ));
    }
    let (Some(amount), Some(kind), Some(reference), true) = (amount, kind, reference, errors.is_empty())
    else {
        return Err(errors);
    };
    let lookup = match (&b.token_value, grandfathered) {
        (Some(t), true) => AgreementLookup::CredentialToken(t.clone()),
        _ => AgreementLookup::Reference(reference.clone()),
    };
    let request = ChargeRequest {
        merchant_id: ctx.merchant_id.to_string(),
        customer_id: None,
        reference,
        reference_at: None,
        credential_token: b.token_value,
        mit_type: Some(kind),
        amount,
        notice_sent_at: ctx.notice_sent_at,
        reminder_sent_at: None,
        idempotency_key: header(ctx.headers, "idempotency-key").map(str::to_string).or(b.shop_transaction_id),
    };
    request.validate("request", &mut errors);
    let errors = remap(
        errors,
        &[
            ("request.merchantId", "merchantId"),
            ("request.reference", "transDetails.previousTransDetails.bankTransactionID"),
            ("request.credentialToken", "tokenValue"),
            ("request.idempotencyKey", "shopTransactionId"),
            ("request.amount.amount", "amount"),
        ],
    );
    common::finish(ParsedMit { request, lookup }, errors)
}

#[cfg(feature = "outbound")]
pub use outbound::render_mit;

/// The MIT request mitgate sends for a canonical charge (the Worker's `POST /v1/charges`): typed
/// structs written by serde_json, the inverse of [`parse_mit`]. Feature `outbound`.
#[cfg(feature = "outbound")]
mod outbound {
    use mitgate_core::model::MitType;
    use mitgate_core::money::Currency;
    use serde::Serialize;

    use crate::{common, MitOrder, MitRequest};

    /// The `01N` / `03N` request mitgate renders, in the JSON shape above.
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct MitOut<'a> {
        shop_login: &'a str,
        currency: Currency,
        amount: String,
        shop_transaction_id: &'a str,
        token_value: &'a str,
        trans_details: TransDetailsOut<'a>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct TransDetailsOut<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        previous_trans_details: PreviousOut<'a>,
    }

    #[derive(Serialize)]
    struct PreviousOut<'a> {
        #[serde(rename = "bankTransactionID")]
        bank_transaction_id: &'a str,
    }

    /// Renders a canonical charge as an `01N` / `03N` request in the JSON shape ([`parse_mit`](super::parse_mit)'s inverse):
    /// the CIT's `shopLogin`, `currency`, the amount in major units as a string (`"10.00"`), the attempt id
    /// as `shopTransactionId`, the credential token (the request's, else the agreement's) as `tokenValue`,
    /// `03N` for an unscheduled agreement (`01N` otherwise), and the reference as `bankTransactionID`.
    pub fn render_mit(order: &MitOrder<'_>) -> Result<MitRequest, serde_json::Error> {
        let request = order.request;
        let body = MitOut {
            shop_login: order.shop_login,
            currency: request.amount.currency(),
            amount: request.amount.amount().to_string(),
            shop_transaction_id: order.attempt_id,
            token_value: order.token(),
            trans_details: TransDetailsOut {
                kind: match order.agreement.mit_type {
                    MitType::Unscheduled => "03N",
                    MitType::Recurring | MitType::Installment => "01N",
                },
                previous_trans_details: PreviousOut { bank_transaction_id: &request.reference },
            },
        };
        Ok(common::json_request("/", serde_json::to_string(&body)?))
    }
}

fn card_expiry(
    month: Option<&Literal>,
    year: Option<&Literal>,
    errors: &mut Vec<FieldError>,
) -> Option<YearMonth> {
    let (m, y) = (month?, year?);
    let m = text_of(m, "response.tokenExpiryMonth", "a month").map_err(|e| errors.push(e)).ok()?;
    let y = text_of(y, "response.tokenExpiryYear", "a year").map_err(|e| errors.push(e)).ok()?;
    let year = match (y.len(), y.parse::<i32>()) {
        (2, Ok(v)) => Some(2000 + v),
        (4, Ok(v)) => Some(v),
        _ => None,
    };
    let parsed = year.zip(m.parse::<u32>().ok()).and_then(|(y, m)| YearMonth::new(y, m));
    if parsed.is_none() {
        errors
            .push(FieldError::new("response.tokenExpiryMonth", "with tokenExpiryYear must be a valid month"));
    }
    parsed
}

/// Builds the agreement and the history entry from a successful `01F` / `03F`.
pub fn capture_cit(input: &CitInput<'_>, ctx: &CitContext<'_>) -> Result<CitCapture, Vec<FieldError>> {
    let req: Body = common::parse(input.request, "request")?;
    let resp: Response = common::parse(input.response, "response")?;
    let mut errors = Vec::new();
    let currency = currency_of(&req, "request", &mut errors);
    let amount = money_at(req.amount, currency, "request.amount", &mut errors);
    let mut kind = None;
    let mut terms = Terms::default();
    if let Some(d) = required(req.trans_details, "request.transDetails", &mut errors) {
        kind = match d.kind.as_deref() {
            Some("01F") => Some(MitType::Recurring),
            Some("03F") => Some(MitType::Unscheduled),
            Some(_) => {
                errors.push(FieldError::new(
                    "request.transDetails.type",
                    "must be 01F or 03F for a first transaction",
                ));
                None
            }
            None => {
                errors.push(FieldError::new("request.transDetails.type", "is required"));
                None
            }
        };
        let recurring = kind == Some(MitType::Recurring);
        terms.max_amount = match d.authentication_amount {
            Some(raw) => {
                money_at(Some(raw), currency, "request.transDetails.authenticationAmount", &mut errors)
            }
            None if recurring => {
                errors.push(FieldError::new(
                    "request.transDetails.authenticationAmount",
                    "is required for 01F: the maximum amount of the chain",
                ));
                None
            }
            None => None,
        };
        if let (Some(max), Some(amount)) = (terms.max_amount, amount) {
            if max.amount() < amount.amount() {
                errors.push(FieldError::new(
                    "request.transDetails.authenticationAmount",
                    "must be equal to or higher than amount",
                ));
            }
        }
        let r = d.recurring_transaction;
        let expiry = r.as_ref().and_then(|r| r.expiry.as_ref());
        let frequency_v = r.as_ref().and_then(|r| r.frequency.as_ref());
        match expiry {
            Some(e) => {
                terms.valid_until =
                    expiry_date(e, "request.transDetails.recurringTransaction.expiry", &mut errors)
                        .map(ValidUntil::Date);
            }
            None => errors.push(FieldError::new(
                "request.transDetails.recurringTransaction.expiry",
                "is required: the end date of the agreement",
            )),
        }
        match frequency_v {
            Some(f) => {
                terms.min_interval_days =
                    frequency(f, "request.transDetails.recurringTransaction.frequency", &mut errors)
            }
            None if recurring => errors.push(FieldError::new(
                "request.transDetails.recurringTransaction.frequency",
                "is required for 01F: the minimum number of days between payments",
            )),
            None => {}
        }
    }
    match resp.transaction_result.as_deref() {
        Some("OK") => {}
        Some(_) => errors.push(FieldError::new(
            "response.transactionResult",
            "must be OK: only a successful first transaction starts a chain",
        )),
        None => errors.push(FieldError::new("response.transactionResult", "is required")),
    }
    let id = match resp.bank_transaction_id.as_ref() {
        None => {
            errors.push(FieldError::new("response.bankTransactionID", "is required"));
            None
        }
        Some(v) => {
            text_of(v, "response.bankTransactionID", "a transaction id").map_err(|e| errors.push(e)).ok()
        }
    };
    let token = resp.token.or(req.token_value);
    if token.is_none() {
        errors.push(FieldError::new("response.token", "is required (or the request's tokenValue)"));
    }
    let expiry = card_expiry(resp.token_expiry_month.as_ref(), resp.token_expiry_year.as_ref(), &mut errors);
    let (Some(amount), Some(kind), Some(id), Some(token), true) =
        (amount, kind, id, token, errors.is_empty())
    else {
        return Err(errors);
    };
    let zero = amount.is_zero();
    let agreement = Agreement {
        id: id.clone(),
        merchant_id: ctx.merchant_id.to_string(),
        customer_id: None,
        mit_type: kind,
        type_declared: true,
        established: Establishment {
            method: EstablishmentMethod::Sca,
            at: ctx.at,
            amount: Some(amount),
            advice_code: None,
            network_transaction_id: None,
            transaction_link_id: None,
        },
        currency: amount.currency(),
        payment_method: PaymentMethod { kind: PaymentMethodKind::Card, brand: None, mit_compatible: true },
        credential: Credential { token, card_expiry: expiry, last4: None },
        consent: Consent { store_credential: true, merchant_initiated: true },
        terms,
        status: AgreementStatus::Active,
        status_reason: None,
        status_changed_at: None,
    };
    let payment = Payment {
        id,
        at: ctx.at,
        amount,
        cvv_verified: true,
        kind: if zero { PaymentKind::ZeroAuth } else { PaymentKind::Purchase },
    };
    agreement.validate("agreement", &mut errors);
    let errors = remap(
        errors,
        &[
            ("agreement.id", "response.bankTransactionID"),
            ("agreement.merchantId", "merchantId"),
            ("agreement.credential.token", "response.token"),
        ],
    );
    common::finish(CitCapture { agreement, payment }, errors)
}

/// The agreement of a grandfathered chain (set up before SCA; its MITs send `-100` and `tokenValue`).
/// Its id is `grandfathered:<token>`; it counts as established at the context's `at`.
pub fn register_grandfathered(
    setup: &GrandfatheredSetup,
    ctx: &CitContext<'_>,
) -> Result<Agreement, Vec<FieldError>> {
    let mut errors = Vec::new();
    if setup.mit_type == MitType::Installment {
        errors.push(FieldError::new(
            "mitType",
            "grandfathered chains are recurring (01N) or unscheduled (03N)",
        ));
    }
    let agreement = Agreement {
        id: format!("grandfathered:{}", setup.token),
        merchant_id: ctx.merchant_id.to_string(),
        customer_id: None,
        mit_type: setup.mit_type,
        type_declared: true,
        established: Establishment {
            method: EstablishmentMethod::Grandfathered,
            at: ctx.at,
            amount: None,
            advice_code: None,
            network_transaction_id: None,
            transaction_link_id: None,
        },
        currency: setup.currency,
        payment_method: PaymentMethod { kind: PaymentMethodKind::Card, brand: None, mit_compatible: true },
        credential: Credential { token: setup.token.clone(), card_expiry: setup.card_expiry, last4: None },
        consent: Consent { store_credential: true, merchant_initiated: true },
        terms: Terms {
            max_amount: setup.max_amount,
            valid_until: setup.expiry.map(ValidUntil::Date),
            min_interval_days: setup.frequency_days,
            ..Terms::default()
        },
        status: AgreementStatus::Active,
        status_reason: None,
        status_changed_at: None,
    };
    agreement.validate("agreement", &mut errors);
    let errors = remap(
        errors,
        &[
            ("agreement.id", "token"),
            ("agreement.credential.token", "token"),
            ("agreement.terms.maxAmount", "maxAmount"),
            ("agreement.terms.minIntervalDays", "frequencyDays"),
        ],
    );
    common::finish(agreement, errors)
}

/// Axerve's HTTP status for a violation (the engine's canonical status).
pub fn status_for(code: Code) -> u16 {
    code.http_status()
}

/// The `errorCode` and `errorDescription` for a violation.
pub fn error_for(v: &Violation) -> (String, String) {
    match v.code {
        Code::ReauthenticationRequired => {
            (SOFT_DECLINE.to_string(), "Soft decline - Cardholder authentication required".to_string())
        }
        code => (code.http_status().to_string(), v.message.clone()),
    }
}

/// Axerve's error object: `{"transactionResult": "KO", "errorCode", "errorDescription"}` (then `mitgate`).
pub(crate) const ENVELOPE: Envelope = Envelope(&[
    Field::Fixed("transactionResult", "KO"),
    Field::Code("errorCode"),
    Field::Message("errorDescription"),
]);

fn wording(v: &Violation) -> Wording {
    let (code, message) = error_for(v);
    Wording { status: status_for(v.code), code: Some(code), message }
}

/// Renders a refusal: `{"transactionResult": "KO", "errorCode", "errorDescription", "mitgate"}`.
pub fn render_refusal(decision: &Decision) -> Option<DialectResponse> {
    ENVELOPE.refusal(decision, wording)
}

/// Renders bad input: 400 `{"transactionResult": "KO", "errorCode": "400", "errorDescription", "mitgate"}`.
pub fn render_errors(errors: &[FieldError]) -> DialectResponse {
    ENVELOPE.bad_input(errors)
}

/// Reads Axerve's answer to a forwarded `01N` / `03N` (JSON, or with feature `soap` GestPay's SOAP result).
pub fn read_outcome(
    status: u16,
    body: &str,
    ctx: &OutcomeContext<'_>,
) -> Result<Option<Outcome>, Vec<FieldError>> {
    envelope::settle(status, ctx, || {
        #[cfg(feature = "soap")]
        if soap::looks_like_xml(body) {
            return read_answer(&soap::read_result(body, "callPagamS2S")?.json(), ctx);
        }
        read_answer(body, ctx)
    })
}

/// Reads a 2xx answer's JSON shape.
fn read_answer(body: &str, ctx: &OutcomeContext<'_>) -> Result<Option<Outcome>, Vec<FieldError>> {
    let r: Response = common::parse(body, "")?;
    let mut errors = Vec::new();
    let id = match &r.bank_transaction_id {
        None => None,
        Some(v) => text_of(v, "bankTransactionID", "a transaction id").map_err(|e| errors.push(e)).ok(),
    };
    let code = match &r.error_code {
        None => None,
        Some(v) => text_of(v, "errorCode", "an error code").map_err(|e| errors.push(e)).ok(),
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    match r.transaction_result.as_deref() {
        Some("OK") => Ok(Some(common::approved(ctx, id))),
        Some("KO") => {
            let reason = code
                .as_deref()
                .map(common::reason_from_code)
                .filter(|r| *r != mitgate_core::model::DeclineReason::Other)
                .or_else(|| r.error_description.as_deref().map(common::reason_from_message));
            Ok(Some(common::declined(ctx, id, code, r.merchant_advice_code, reason)))
        }
        Some("XX") => Ok(None),
        Some(_) => Err(vec![FieldError::new("transactionResult", "must be OK, KO or XX")]),
        None => Err(vec![FieldError::new("transactionResult", "is required")]),
    }
}

delegate_dialect!(Axerve, "axerve");
