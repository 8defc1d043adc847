//! The four processor dialects as the Worker needs them for the canonical `POST /v1/charges`: where an
//! MIT goes, what body it carries, and how the processor's answer reads as an outcome.
//!
//! The drop-in proxies forward the merchant's own request bytes; only `/v1/charges` renders a request.

use serde::Serialize;

use mitgate_core::model::{ChargeRequest, MitType};
use mitgate_core::time::Timestamp;
use mitgate_dialects::DialectId;

use crate::store::AgreementRecord;

/// The processors mitgate speaks to; the path prefix of the drop-in proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Dialect {
    /// Document 000.
    Infinic,
    /// Document 001.
    Coinflow,
    /// Document 002.
    Spg,
    /// Document 003.
    Axerve,
}

mitgate_core::json_string_enum!(Dialect {
    "infinic" => Dialect::Infinic,
    "coinflow" => Dialect::Coinflow,
    "spg" => Dialect::Spg,
    "axerve" => Dialect::Axerve,
});

impl Dialect {
    pub const ALL: [Dialect; 4] = [Dialect::Infinic, Dialect::Coinflow, Dialect::Spg, Dialect::Axerve];

    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Infinic => "infinic",
            Dialect::Coinflow => "coinflow",
            Dialect::Spg => "spg",
            Dialect::Axerve => "axerve",
        }
    }

    /// The `mitgate-dialects` mapping of this processor.
    pub fn id(self) -> DialectId {
        match self {
            Dialect::Infinic => DialectId::Infinic,
            Dialect::Coinflow => DialectId::Coinflow,
            Dialect::Spg => DialectId::Spg,
            Dialect::Axerve => DialectId::Axerve,
        }
    }

    /// The `[vars]` entry holding this processor's base URL.
    pub fn url_var(self) -> &'static str {
        match self {
            Dialect::Infinic => "PROCESSOR_URL_INFINIC",
            Dialect::Coinflow => "PROCESSOR_URL_COINFLOW",
            Dialect::Spg => "PROCESSOR_URL_SPG",
            Dialect::Axerve => "PROCESSOR_URL_AXERVE",
        }
    }
}

/// A rendered processor request (path relative to the dialect's base URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rendered {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

fn ctx_str<'a>(record: &'a AgreementRecord, name: &str) -> Option<&'a str> {
    record.processor_context.get(name).and_then(|v| v.as_str())
}

/// Renders a canonical charge as the dialect's MIT request.
pub(crate) fn render_mit(
    dialect: Dialect,
    record: &AgreementRecord,
    request: &ChargeRequest,
    attempt_id: &str,
    now: Timestamp,
) -> Result<Rendered, String> {
    let a = &record.agreement;
    let amount = &request.amount;
    let currency = amount.currency().code();
    let json = |path: &str, body: String| Rendered {
        path: path.to_string(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("accept".into(), "application/json".into()),
        ],
        body: body.into_bytes(),
    };
    match dialect {
        Dialect::Coinflow => {
            let mut r = json(
                "/api/checkout/merchant-initiated-transaction",
                format!(
                    r#"{{"subtotal":{{"cents":{},"currency":{}}},"originalPaymentId":{}}}"#,
                    amount.minor_units(),
                    json_str(currency),
                    json_str(&request.reference)
                ),
            );
            if let Some(c) = request.customer_id.as_ref().or(a.customer_id.as_ref()) {
                r.headers.push(("x-user-id".into(), c.clone()));
            }
            Ok(r)
        }
        Dialect::Infinic => Ok(json(
            "/api/intents/auto-attempt",
            format!(
                r#"{{"amount":{},"currency":{},"reference_id":{},"purchaser_id":{},"credentials":[{}]}}"#,
                amount.minor_units(),
                json_str(currency),
                json_str(attempt_id),
                json_str(request.customer_id.as_ref().or(a.customer_id.as_ref()).map_or("", String::as_str)),
                json_str(request.credential_token.as_deref().unwrap_or(&a.credential.token)),
            ),
        )),
        Dialect::Spg => {
            let mit_type = match a.mit_type {
                MitType::Unscheduled => "UCOF",
                MitType::Recurring | MitType::Installment => "RCRR",
            };
            Ok(json(
                "/api/v2/payments",
                format!(
                    r#"{{"merchant":{{"terminalId":{},"channel":"web","merchantTransactionId":{}}},"transaction":{{"transactionTimestamp":{},"paymentType":"MIT","paymentMethod":["CARD"],"amount":{{"value":{},"currency":{}}}}},"originalTransaction":{{"id":{},"datetime":{}}},"merchantInitiatedTransaction":{{"type":{}}}}}"#,
                    json_str(ctx_str(record, "terminalId").unwrap_or("")),
                    json_str(attempt_id),
                    json_str(&now.to_rfc3339()),
                    amount.amount(),
                    json_str(currency),
                    json_str(&request.reference),
                    json_str(&request.reference_at.unwrap_or(a.established.at).to_rfc3339()),
                    json_str(mit_type),
                ),
            ))
        }
        Dialect::Axerve => {
            let kind = match a.mit_type {
                MitType::Unscheduled => "03N",
                MitType::Recurring | MitType::Installment => "01N",
            };
            Ok(json(
                "/",
                format!(
                    r#"{{"shopLogin":{},"currency":{},"amount":{},"shopTransactionId":{},"tokenValue":{},"transDetails":{{"type":{},"previousTransDetails":{{"bankTransactionID":{}}}}}}}"#,
                    json_str(ctx_str(record, "shopLogin").unwrap_or("")),
                    json_str(currency),
                    json_str(&amount.amount().to_string()),
                    json_str(attempt_id),
                    json_str(request.credential_token.as_deref().unwrap_or(&a.credential.token)),
                    json_str(kind),
                    json_str(&request.reference),
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use mitgate_dialects::{MitContext, RequestKind};

    fn record(currency: &str) -> AgreementRecord {
        let agreement = mitgate_core::json::from_str(
            &serde_json::json!({
                "id": "BTX-1", "merchantId": "demo", "customerId": "customer-123", "type": "unscheduled",
                "established": {"method": "sca", "at": "2026-04-16T10:15:30.000Z"}, "currency": currency,
                "paymentMethod": {"type": "card"}, "credential": {"token": "TOK-1"},
                "consent": {"storeCredential": true, "merchantInitiated": true}
            })
            .to_string(),
        )
        .unwrap();
        let at = Timestamp::parse("2026-04-16T10:15:30Z").unwrap();
        let mut processor_context = serde_json::Map::new();
        processor_context.insert("terminalId".into(), "11111".into());
        processor_context.insert("shopLogin".into(), "GESPAY00001".into());
        AgreementRecord {
            agreement,
            payments: vec![],
            dialect: None,
            processor_context,
            created_at: at,
            updated_at: at,
        }
    }

    /// What `/v1/charges` renders is an MIT that the dialect's own parser reads back to the same charge.
    #[test]
    fn rendered_mits_parse_back_in_every_dialect() {
        for (dialect, currency, amount) in [
            (Dialect::Coinflow, "USD", "25.00"),
            (Dialect::Infinic, "ZAR", "100.00"),
            (Dialect::Spg, "EUR", "29.90"),
            (Dialect::Axerve, "EUR", "10.00"),
        ] {
            let record = record(currency);
            let request: ChargeRequest = mitgate_core::json::from_str(
                &serde_json::json!({
                    "merchantId": "demo", "reference": "BTX-1", "customerId": "customer-123",
                    "amount": {"amount": amount, "currency": currency}
                })
                .to_string(),
            )
            .unwrap();
            let now = Timestamp::parse("2026-05-01T00:00:00Z").unwrap();
            let r = render_mit(dialect, &record, &request, "att_1", now).unwrap();
            let body = String::from_utf8(r.body).unwrap();
            assert_eq!(dialect.id().classify("POST", &r.path, &body), RequestKind::Mit, "{dialect:?}");
            let headers: Vec<(&str, &str)> =
                r.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let ctx = MitContext { merchant_id: "demo", headers: &headers, notice_sent_at: None };
            let parsed = dialect.id().parse_mit(&body, &ctx).unwrap();
            let back = parsed.request_for(Some(&record.agreement));
            assert_eq!(back.amount, request.amount, "{dialect:?}");
            assert_eq!(back.reference, "BTX-1", "{dialect:?}");
        }
    }
}
