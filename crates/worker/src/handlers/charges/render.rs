//! The canonical `POST /v1/charges` renders the MIT it forwards in the agreement's dialect: where it
//! goes, what body it carries. (The drop-in proxies forward the merchant's own request bytes.)

use mitgate_core::model::{ChargeRequest, MitType};
use mitgate_core::time::Timestamp;

use crate::dialect::Dialect;
use crate::store::AgreementRecord;

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
mod tests;
