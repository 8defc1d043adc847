//! The values mitgate stores, as they are written (JSON, camelCase) and read back (unknown members
//! refused).

use serde::Serialize;

use mitgate_core::json::{FromJson, Path, Value};
use mitgate_core::model::{Agreement, Attempt, Payment};
use mitgate_core::time::Timestamp;
use mitgate_core::validate::FieldError;
use mitgate_dialects::DialectId;

use crate::http::HttpResponse;

/// How long idempotency records live.
pub(crate) const IDEMPOTENCY_TTL_SECONDS: u64 = 86_400;

/// An agreement as stored: the canonical agreement, its CIT payments and how it is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AgreementRecord {
    pub agreement: Agreement,
    pub payments: Vec<Payment>,
    /// The processor dialect charges on this agreement go to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialect: Option<DialectId>,
    /// DialectId values a rendered MIT needs (SPG `terminalId`, ...); never card data.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub processor_context: serde_json::Map<String, serde_json::Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Every MIT attempt on one agreement: the velocity counter's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AttemptLedger {
    #[serde(default)]
    pub attempts: Vec<Attempt>,
}

/// Which attempt a 000 auto-attempt's `reference_id` became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AttemptRef {
    pub agreement_id: String,
    pub attempt_id: String,
}

/// An idempotency key's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct IdempotencyRecord {
    /// SHA-256 of the route and the (normalised) body.
    pub fingerprint: String,
    pub created_at: Timestamp,
    /// `None` while the first request is still in flight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<HttpResponse>,
}

impl FromJson for AgreementRecord {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        const FIELDS: &[&str] =
            &["agreement", "payments", "dialect", "processorContext", "createdAt", "updatedAt"];
        let o = value.object(path, FIELDS, true)?;
        Ok(AgreementRecord {
            agreement: o.req("agreement")?,
            payments: o.or_default("payments")?,
            dialect: o.opt("dialect")?,
            processor_context: match o.get("processorContext") {
                None => serde_json::Map::new(),
                Some(v) => crate::tree::to_serde_map(v, &path.key("processorContext"))?,
            },
            created_at: o.req("createdAt")?,
            updated_at: o.req("updatedAt")?,
        })
    }
}
