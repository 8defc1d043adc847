//! # mitgate-dialects
//!
//! Pure mappings of the four processor dialects mitgate speaks onto its canonical model
//! ([`mitgate_core`]), and back. No I/O, no clock: every instant and every piece of context the documents
//! leave implicit (the merchant, the moment a response was seen, a header) is an explicit parameter. The
//! crate builds for `wasm32-unknown-unknown`.
//!
//! | module | processor (document) | amounts | CIT side | MIT side |
//! | --- | --- | --- | --- | --- |
//! | [`infinic`] | Infinic (000) | integer minor units (`amount: 10000` ZAR) | `POST /api/intents` + `PaymentCredential` (+ `StatusChange`) webhooks | `POST /api/intents/auto-attempt` |
//! | [`coinflow`] | Coinflow (001) | `{"cents", "currency"}` | `POST /api/checkout/zero-authorization/{merchantId}`, `POST /api/checkout/card/{merchantId}` | `POST /api/checkout/merchant-initiated-transaction` |
//! | [`spg`] | SPG (002) | decimal major units as a JSON number (`29.90`) | `POST /api/v2/payments` `paymentType: AUTH` | `POST /api/v2/payments` `paymentType: MIT` |
//! | [`axerve`] | Axerve (003) | decimal major units (`"10"`) | `transDetails.type` `01F` / `03F` | `01N` / `03N` (`-100`: grandfathered) |
//!
//! Every dialect implements [`Dialect`]:
//! - [`Dialect::classify`]: is a request to the processor a CIT, an MIT, or something mitgate lets pass?
//! - [`Dialect::parse_mit`]: the processor's MIT request to a canonical [`ChargeRequest`] plus how to find
//!   the agreement ([`AgreementLookup`]).
//! - `Dialect::render_mit` (feature `outbound`): a canonical charge (`MitOrder`) as the processor's MIT
//!   request, the inverse of `parse_mit` (the Worker's `POST /v1/charges`).
//! - [`Dialect::capture_cit`]: the processor's CIT documents to the canonical [`Agreement`] and the
//!   history [`Payment`].
//! - [`Dialect::render_refusal`]: a refused [`Decision`] as the processor would answer (status, headers,
//!   body), with mitgate's stable codes and numbers under a `mitgate` key.
//! - [`Dialect::render_errors`]: bad input as the processor's 400 answer, every field path included.
//! - [`Dialect::read_outcome`]: the processor's MIT response to the canonical [`Outcome`] that
//!   [`mitgate_core::state::apply_outcome`] consumes.
//!
//! Every bad input is an `Err(Vec<FieldError>)` whose paths name the dialect's own fields
//! (`subtotal.cents`, `transaction.amount.value`, `headers.x-user-id`); nothing panics. Card numbers and
//! CVVs never reach the canonical model and are never echoed in an error message.
//!
//! ```
//! use mitgate_core::{engine::Evaluation, model::History, time::Timestamp, validate::parse_json};
//! use mitgate_dialects::{coinflow, CitContext, MitContext};
//!
//! let at = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
//! let headers = [("x-user-id", "customer-123")];
//! let cit = coinflow::capture_cit(
//!     &coinflow::CitInput {
//!         endpoint: coinflow::CitEndpoint::Card,
//!         request: r#"{"subtotal": {"cents": 1000, "currency": "USD"}, "token": "tok_1"}"#,
//!         response: r#"{"paymentId": "pay_1"}"#,
//!         zero_auth_currency: mitgate_core::Currency::from_code("USD").unwrap(),
//!         token_cvv_verified: true,
//!     },
//!     &CitContext { merchant_id: "m1", headers: &headers, at },
//! )
//! .unwrap();
//! let mit = coinflow::parse_mit(
//!     r#"{"subtotal": {"cents": 3500, "currency": "USD"}, "originalPaymentId": "pay_1"}"#,
//!     &MitContext { merchant_id: "m1", headers: &headers, notice_sent_at: None },
//! )
//! .unwrap();
//! let decision = mitgate_core::evaluate(&Evaluation {
//!     now: Timestamp::parse("2026-01-02T00:00:00Z").unwrap(),
//!     policy: parse_json(r#"{"enabled": true, "maxMultiple": 3}"#).unwrap(),
//!     agreement: Some(cit.agreement.clone()),
//!     history: History { payments: vec![cit.payment], ..History::default() },
//!     request: mit.request_for(Some(&cit.agreement)),
//! });
//! let answer = coinflow::render_refusal(&decision).unwrap();
//! assert_eq!(answer.status, 410);
//! assert!(answer.body.starts_with(r#"{"message":"Amount exceeds limit: the total for a card-on-file transaction cannot exceed $30.00"#));
//! ```

/// Implements [`Dialect`] for a dialect module's marker type by delegating to the module's free functions of
/// the same names (each module also exposes them directly, so callers need not import the trait).
macro_rules! delegate_dialect {
    ($ty:ident, $name:literal) => {
        impl $crate::Dialect for $ty {
            const NAME: &'static str = $name;
            type CitInput<'a> = CitInput<'a>;

            fn classify(method: &str, path: &str, body: &str) -> $crate::RequestKind {
                classify(method, path, body)
            }

            fn parse_mit(
                body: &str,
                ctx: &$crate::MitContext<'_>,
            ) -> Result<$crate::ParsedMit, Vec<mitgate_core::validate::FieldError>> {
                parse_mit(body, ctx)
            }

            #[cfg(feature = "outbound")]
            fn render_mit(order: &$crate::MitOrder<'_>) -> Result<$crate::MitRequest, serde_json::Error> {
                render_mit(order)
            }

            fn capture_cit(
                input: &CitInput<'_>,
                ctx: &$crate::CitContext<'_>,
            ) -> Result<$crate::CitCapture, Vec<mitgate_core::validate::FieldError>> {
                capture_cit(input, ctx)
            }

            fn render_refusal(
                decision: &mitgate_core::decision::Decision,
            ) -> Option<$crate::DialectResponse> {
                render_refusal(decision)
            }

            fn render_errors(errors: &[mitgate_core::validate::FieldError]) -> $crate::DialectResponse {
                render_errors(errors)
            }

            fn read_outcome(
                status: u16,
                body: &str,
                ctx: &$crate::OutcomeContext<'_>,
            ) -> Result<Option<mitgate_core::model::Outcome>, Vec<mitgate_core::validate::FieldError>> {
                read_outcome(status, body, ctx)
            }
        }
    };
}

pub mod axerve;
pub mod coinflow;
mod common;
mod envelope;
#[cfg(feature = "ffi")]
pub mod ffi;
pub mod infinic;
pub mod spg;

use mitgate_core::decision::Decision;
use mitgate_core::model::{Agreement, CardBrand, ChargeRequest, Outcome, Payment, GRANDFATHERED_REFERENCE};
use mitgate_core::time::Timestamp;
pub use mitgate_core::validate::FieldError;
use serde::Serialize;

/// What a request to a processor is, as far as mitgate is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// A customer-initiated transaction that can establish an agreement: forward it, then capture the
    /// agreement from its response ([`Dialect::capture_cit`]).
    Cit,
    /// A merchant-initiated transaction: parse, decide, and forward only when allowed.
    Mit,
    /// Anything else: mitgate has nothing to say about it.
    Other,
}

/// Context of an MIT request that its body does not carry.
#[derive(Debug, Clone, Copy)]
pub struct MitContext<'a> {
    /// The merchant making the request (the proxy knows it from the API key or route).
    pub merchant_id: &'a str,
    /// The request's HTTP headers, names matched case-insensitively. Read: 001 `x-user-id` (the
    /// customer); every dialect: `idempotency-key` (overrides the body's merchant reference).
    pub headers: &'a [(&'a str, &'a str)],
    /// When the customer was notified of this charge (pre-debit notice), if the merchant says so.
    pub notice_sent_at: Option<Timestamp>,
}

/// Context of a CIT capture that the processor's documents do not carry.
#[derive(Debug, Clone, Copy)]
pub struct CitContext<'a> {
    /// The merchant that made the CIT.
    pub merchant_id: &'a str,
    /// The CIT request's HTTP headers (001: `x-user-id`).
    pub headers: &'a [(&'a str, &'a str)],
    /// The instant the proxy saw the successful response. Used as the CIT's time where the documents
    /// carry none (001, 003); 000 uses the webhook's `created`, 002 the request's `transactionTimestamp`.
    pub at: Timestamp,
}

/// Context of reading an MIT response.
#[derive(Debug, Clone, Copy)]
pub struct OutcomeContext<'a> {
    /// The attempt the response belongs to (as recorded by [`mitgate_core::state::record_attempt`]).
    pub attempt_id: &'a str,
    /// When the response arrived.
    pub at: Timestamp,
    /// The card network of the agreement's credential, when known: decides the retry rules applied to
    /// a decline.
    pub network: Option<CardBrand>,
}

/// How the proxy finds the agreement an MIT request is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null, rename = "Lookup"))]
#[serde(tag = "by", content = "value", rename_all = "snake_case")]
pub enum AgreementLookup {
    /// By the initial CIT's id (001 `originalPaymentId`, 002 `originalTransaction.id`, 003
    /// `previousTransDetails.bankTransactionID`).
    Reference(String),
    /// By the stored credential token: 000 (an auto-attempt names only `credentials`) and 003
    /// grandfathered chains (`bankTransactionID: -100` names no transaction; `tokenValue` does).
    CredentialToken(String),
}

/// A parsed MIT request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null, rename = "MitAnswer"))]
#[serde(rename_all = "camelCase")]
pub struct ParsedMit {
    /// The canonical request. When [`ParsedMit::lookup`] is by credential token, its `reference` is the
    /// token (000) or `-100` (003) until bound with [`ParsedMit::request_for`].
    pub request: ChargeRequest,
    /// How to find the agreement.
    #[cfg_attr(feature = "wasm", tsify(type = "Lookup"))]
    pub lookup: AgreementLookup,
}

impl ParsedMit {
    /// The request to evaluate once the proxy has looked the agreement up. A request found by its
    /// credential token references that agreement's id, except a grandfathered `-100`, which the engine
    /// judges as such. With no agreement found, the request is unchanged (the engine answers
    /// `agreement_not_found`).
    pub fn request_for(&self, agreement: Option<&Agreement>) -> ChargeRequest {
        let mut request = self.request.clone();
        if let (AgreementLookup::CredentialToken(_), Some(a)) = (&self.lookup, agreement) {
            if request.reference != GRANDFATHERED_REFERENCE {
                request.reference.clone_from(&a.id);
            }
        }
        request
    }
}

#[cfg(feature = "outbound")]
/// What rendering a canonical charge as a dialect's MIT request needs: the Worker's `POST /v1/charges`
/// sends it through [`DialectId::render_mit`], the inverse of [`Dialect::parse_mit`].
#[derive(Debug, Clone, Copy)]
pub struct MitOrder<'a> {
    /// The agreement charged: its credential token, MIT type, establishment time and customer fill what
    /// the request leaves out.
    pub agreement: &'a Agreement,
    /// The canonical request.
    pub request: &'a ChargeRequest,
    /// The attempt's id, sent as the merchant's reference of the charge (000 `reference_id`, 002
    /// `merchant.merchantTransactionId`, 003 `shopTransactionId`).
    pub attempt_id: &'a str,
    /// When the request is sent (002 `transaction.transactionTimestamp`).
    pub now: Timestamp,
    /// 002 `merchant.terminalId`, as the CIT sent it (empty when unknown).
    pub terminal_id: &'a str,
    /// 003 `shopLogin`, as the CIT sent it (empty when unknown).
    pub shop_login: &'a str,
}

#[cfg(feature = "outbound")]
impl MitOrder<'_> {
    /// The customer: the request's, else the agreement's.
    pub(crate) fn customer(&self) -> Option<&str> {
        self.request.customer_id.as_deref().or(self.agreement.customer_id.as_deref())
    }

    /// The credential token: the request's, else the agreement's.
    pub(crate) fn token(&self) -> &str {
        self.request.credential_token.as_deref().unwrap_or(&self.agreement.credential.token)
    }
}

#[cfg(feature = "outbound")]
/// An MIT request in a processor's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MitRequest {
    /// The processor path, relative to the processor's base URL.
    pub path: &'static str,
    /// Header names (lower case) and values: `content-type` and `accept` (JSON), and the dialect's own
    /// (001 `x-user-id`).
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: String,
}

/// The canonical result of a successful CIT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null, rename = "CitAnswer"))]
#[serde(rename_all = "camelCase")]
pub struct CitCapture {
    /// The agreement the CIT established (its `id` is what MITs reference).
    pub agreement: Agreement,
    /// The CIT itself, for the agreement's history (the base of the amount ceiling).
    pub payment: Payment,
}

/// An HTTP answer in a processor's own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DialectResponse {
    /// The HTTP status.
    pub status: u16,
    /// Header names (lower case) and values: always `content-type`; `retry-after` (seconds) when every
    /// violation clears by waiting.
    pub headers: Vec<(String, String)>,
    /// The JSON body, as serde_json rendered it.
    pub body: String,
}

impl DialectResponse {
    /// A header's value by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The shape every dialect implements. The implementations are unit types ([`infinic::Infinic`],
/// [`coinflow::Coinflow`], [`spg::Spg`], [`axerve::Axerve`]); each module also exposes the same
/// functions as free functions, and [`DialectId`] dispatches at run time.
pub trait Dialect {
    /// The dialect's name in routes and JSON (`infinic`, `coinflow`, `spg`, `axerve`).
    const NAME: &'static str;

    /// The processor documents a CIT capture reads.
    type CitInput<'a>;

    /// Classifies a request to the processor (`path` without mitgate's `/<dialect>` prefix; a query
    /// string is ignored). Never fails: what cannot be read is [`RequestKind::Other`], except where a
    /// body that cannot be read might be an MIT (002, 003), which is [`RequestKind::Mit`] so that its
    /// errors are reported rather than forwarded.
    fn classify(method: &str, path: &str, body: &str) -> RequestKind;

    /// Parses an MIT request body.
    fn parse_mit(body: &str, ctx: &MitContext<'_>) -> Result<ParsedMit, Vec<FieldError>>;

    #[cfg(feature = "outbound")]
    /// Renders a canonical charge as the dialect's MIT request, the inverse of [`Dialect::parse_mit`]
    /// (`parse_mit` of the body gives the charge back, for every field the dialect carries). Typed
    /// structs written by serde_json; an error only if serde_json cannot write them.
    fn render_mit(order: &MitOrder<'_>) -> Result<MitRequest, serde_json::Error>;

    /// Builds the agreement and the history entry from a successful CIT.
    fn capture_cit(input: &Self::CitInput<'_>, ctx: &CitContext<'_>) -> Result<CitCapture, Vec<FieldError>>;

    /// Renders a refused decision as the processor would answer; `None` for an allowed decision.
    fn render_refusal(decision: &Decision) -> Option<DialectResponse>;

    /// Renders bad input (what [`Dialect::parse_mit`] rejected) as the processor's 400 answer, with every
    /// error and its field path under `mitgate.errors`.
    fn render_errors(errors: &[FieldError]) -> DialectResponse;

    /// Reads the processor's answer to a forwarded MIT. `Ok(None)`: the answer does not settle the
    /// attempt (a 5xx, or a status still in progress): keep it pending.
    fn read_outcome(
        status: u16,
        body: &str,
        ctx: &OutcomeContext<'_>,
    ) -> Result<Option<Outcome>, Vec<FieldError>>;
}

/// The four dialects, for run-time dispatch (the Worker's routes), and their names in JSON (`"spg"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, mitgate_core::json::FromJson)]
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null, rename = "DialectName"))]
#[serde(rename_all = "snake_case")]
pub enum DialectId {
    /// Document 000.
    Infinic,
    /// Document 001.
    Coinflow,
    /// Document 002.
    Spg,
    /// Document 003.
    Axerve,
}

impl DialectId {
    /// Every dialect.
    pub const ALL: [DialectId; 4] =
        [DialectId::Infinic, DialectId::Coinflow, DialectId::Spg, DialectId::Axerve];

    /// The dialect's name.
    pub fn name(self) -> &'static str {
        match self {
            DialectId::Infinic => infinic::Infinic::NAME,
            DialectId::Coinflow => coinflow::Coinflow::NAME,
            DialectId::Spg => spg::Spg::NAME,
            DialectId::Axerve => axerve::Axerve::NAME,
        }
    }

    /// Looks a dialect up by name.
    pub fn from_name(name: &str) -> Option<DialectId> {
        DialectId::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Splits a proxy path `/<dialect>/<processor path>` (`/coinflow/api/checkout/card/m1`) into the
    /// dialect and the processor path (`/api/checkout/card/m1`).
    pub fn split_path(path: &str) -> Option<(DialectId, &str)> {
        let rest = path.strip_prefix('/')?;
        let (name, tail) = match rest.find('/') {
            Some(i) => (rest.get(..i)?, rest.get(i..)?),
            None => (rest, "/"),
        };
        DialectId::from_name(name).map(|d| (d, tail))
    }

    /// [`Dialect::classify`] of this dialect.
    pub fn classify(self, method: &str, path: &str, body: &str) -> RequestKind {
        match self {
            DialectId::Infinic => infinic::Infinic::classify(method, path, body),
            DialectId::Coinflow => coinflow::Coinflow::classify(method, path, body),
            DialectId::Spg => spg::Spg::classify(method, path, body),
            DialectId::Axerve => axerve::Axerve::classify(method, path, body),
        }
    }

    /// [`Dialect::parse_mit`] of this dialect.
    pub fn parse_mit(self, body: &str, ctx: &MitContext<'_>) -> Result<ParsedMit, Vec<FieldError>> {
        match self {
            DialectId::Infinic => infinic::Infinic::parse_mit(body, ctx),
            DialectId::Coinflow => coinflow::Coinflow::parse_mit(body, ctx),
            DialectId::Spg => spg::Spg::parse_mit(body, ctx),
            DialectId::Axerve => axerve::Axerve::parse_mit(body, ctx),
        }
    }

    #[cfg(feature = "outbound")]
    /// [`Dialect::render_mit`] of this dialect.
    pub fn render_mit(self, order: &MitOrder<'_>) -> Result<MitRequest, serde_json::Error> {
        match self {
            DialectId::Infinic => infinic::Infinic::render_mit(order),
            DialectId::Coinflow => coinflow::Coinflow::render_mit(order),
            DialectId::Spg => spg::Spg::render_mit(order),
            DialectId::Axerve => axerve::Axerve::render_mit(order),
        }
    }

    /// [`Dialect::render_refusal`] of this dialect.
    pub fn render_refusal(self, decision: &Decision) -> Option<DialectResponse> {
        match self {
            DialectId::Infinic => infinic::Infinic::render_refusal(decision),
            DialectId::Coinflow => coinflow::Coinflow::render_refusal(decision),
            DialectId::Spg => spg::Spg::render_refusal(decision),
            DialectId::Axerve => axerve::Axerve::render_refusal(decision),
        }
    }

    /// [`Dialect::render_errors`] of this dialect.
    pub fn render_errors(self, errors: &[FieldError]) -> DialectResponse {
        match self {
            DialectId::Infinic => infinic::Infinic::render_errors(errors),
            DialectId::Coinflow => coinflow::Coinflow::render_errors(errors),
            DialectId::Spg => spg::Spg::render_errors(errors),
            DialectId::Axerve => axerve::Axerve::render_errors(errors),
        }
    }

    /// An error of mitgate's own that is neither a refusal nor bad input (the Worker's 404 for a route it
    /// does not forward), in this dialect's error shape: `message` as its sentence (`detail`, `message`,
    /// `statusMsg`, `errorDescription`), `status` as its code where it writes one, `mitgate` under
    /// `mitgate`.
    pub fn render_error<M: Serialize>(self, status: u16, message: &str, mitgate: &M) -> DialectResponse {
        match self {
            DialectId::Infinic => infinic::ENVELOPE.error(status, message, mitgate),
            DialectId::Coinflow => coinflow::ENVELOPE.error(status, message, mitgate),
            DialectId::Spg => spg::ENVELOPE.error(status, message, mitgate),
            DialectId::Axerve => axerve::ENVELOPE.error(status, message, mitgate),
        }
    }

    /// [`Dialect::read_outcome`] of this dialect.
    pub fn read_outcome(
        self,
        status: u16,
        body: &str,
        ctx: &OutcomeContext<'_>,
    ) -> Result<Option<Outcome>, Vec<FieldError>> {
        match self {
            DialectId::Infinic => infinic::Infinic::read_outcome(status, body, ctx),
            DialectId::Coinflow => coinflow::Coinflow::read_outcome(status, body, ctx),
            DialectId::Spg => spg::Spg::read_outcome(status, body, ctx),
            DialectId::Axerve => axerve::Axerve::read_outcome(status, body, ctx),
        }
    }
}

/// The processor path without its query string.
pub(crate) fn path_only(path: &str) -> &str {
    path.split(['?', '#']).next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_proxy_paths() {
        assert_eq!(
            DialectId::split_path("/coinflow/api/checkout/card/m1"),
            Some((DialectId::Coinflow, "/api/checkout/card/m1"))
        );
        assert_eq!(DialectId::split_path("/spg"), Some((DialectId::Spg, "/")));
        assert_eq!(DialectId::split_path("/nope/x"), None);
        assert_eq!(DialectId::split_path("coinflow/x"), None);
    }

    #[test]
    fn shared_types_serialize_for_hosts() {
        let lookup = serde_json::to_string(&AgreementLookup::CredentialToken("t".into())).ok();
        assert_eq!(lookup.as_deref(), Some(r#"{"by":"credential_token","value":"t"}"#));
        assert_eq!(serde_json::to_string(&RequestKind::Mit).ok().as_deref(), Some(r#""mit""#));
        assert_eq!(serde_json::to_string(&DialectId::Spg).ok().as_deref(), Some(r#""spg""#));
    }
}
