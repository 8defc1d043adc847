//! The canonical `POST /v1/charges` sends the MIT in the agreement's dialect, rendered by
//! `mitgate_dialects` ([`DialectId::render_mit`]: typed structs, the inverse of its `parse_mit`). The
//! Worker adds what only it knows: the CIT's processor context (SPG `terminalId`, Axerve `shopLogin`).
//! (The drop-in proxies forward the merchant's own request bytes.)

use mitgate_core::model::ChargeRequest;
use mitgate_core::time::Timestamp;
use mitgate_dialects::{DialectId, MitOrder, MitRequest};

use crate::store::AgreementRecord;

/// A processor context value the CIT left, when it is a string (`""` when it left none).
fn context(record: &AgreementRecord, name: &str) -> String {
    record.processor_context.get(name).and_then(mitgate_json::RawJson::text).unwrap_or_default()
}

/// Renders a canonical charge as the dialect's MIT request (path relative to the dialect's base URL).
pub(crate) fn render_mit(
    dialect: DialectId,
    record: &AgreementRecord,
    request: &ChargeRequest,
    attempt_id: &str,
    now: Timestamp,
) -> Result<MitRequest, serde_json::Error> {
    dialect.render_mit(&MitOrder {
        agreement: &record.agreement,
        request,
        attempt_id,
        now,
        terminal_id: &context(record, "terminalId"),
        shop_login: &context(record, "shopLogin"),
    })
}

#[cfg(test)]
mod tests;
