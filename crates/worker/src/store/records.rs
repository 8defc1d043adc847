//! The values mitgate stores, as they are written (JSON, camelCase) and read back (unknown members
//! refused).

use std::collections::BTreeMap;

use serde::Serialize;

use mitgate_core::json::FromJson;
use mitgate_core::model::{Agreement, Attempt, Payment};
use mitgate_core::time::Timestamp;
use mitgate_dialects::DialectId;
use mitgate_json::RawJson;

use crate::http::HttpResponse;

/// How long idempotency records live.
pub(crate) const IDEMPOTENCY_TTL_SECONDS: u64 = 86_400;

/// A processor's own values kept with an agreement for its MITs (SPG `terminalId`, Axerve `shopLogin`):
/// a free-form map, each value kept as the JSON text it was given in (numbers as written, never through a
/// float), written in key order.
pub(crate) type ProcessorContext = BTreeMap<String, RawJson>;

/// An agreement as stored: the canonical agreement, its CIT payments and how it is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AgreementRecord {
    pub agreement: Agreement,
    #[serde(default)]
    pub payments: Vec<Payment>,
    /// The processor dialect charges on this agreement go to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialect: Option<DialectId>,
    /// DialectId values a rendered MIT needs (SPG `terminalId`, ...); never card data.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub processor_context: ProcessorContext,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The Durable Object store only: the record's revision in its agreement's object, which counts every
    /// write (1 for the first). A write names the revision it was made from and is refused when the object
    /// holds another (a concurrent change); a charge names the revision its evaluation was built on, and
    /// the object answers its own record instead of deciding when it holds another (docs/worker.md, "The
    /// agreement's object owns its agreement"). Always 0, and not written, with the KV store.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rev: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// An agreement as the KV store keeps it (`AGREEMENTS`, `agreement/v2/{merchantId}/{id}`): the
/// [`AgreementRecord`]'s members, its `revision` and its attempt ledger, in one value (issue 14, item 3;
/// docs/worker.md, "KV layout"), as it is read. The Durable Object store writes the same key without
/// `revision` and `attempts` (its ledger is in the agreement's object); written by [`StoredAgreementView`].
#[derive(Debug, Clone, PartialEq, Eq, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct StoredAgreement {
    pub agreement: Agreement,
    #[serde(default)]
    pub payments: Vec<Payment>,
    pub dialect: Option<DialectId>,
    #[serde(default)]
    pub processor_context: ProcessorContext,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Raised by every write that changes the agreement (PUT, revocation, CIT capture, a status an
    /// outcome sets); a charge writes back the revision it read. 0 (absent) before the first such write.
    #[serde(default)]
    pub revision: u64,
    /// The attempt ledger. Absent in a value written before the ledger moved here: its ledger is still
    /// the separate `attempts/v2/{merchantId}/{id}` value (`VELOCITY`), read once and folded in.
    #[serde(default)]
    pub attempts: Option<Vec<Attempt>>,
}

impl StoredAgreement {
    /// The record, its revision and its ledger (`None`: not folded in yet).
    pub fn split(self) -> (AgreementRecord, u64, Option<Vec<Attempt>>) {
        let StoredAgreement {
            agreement,
            payments,
            dialect,
            processor_context,
            created_at,
            updated_at,
            revision,
            attempts,
        } = self;
        let record = AgreementRecord {
            agreement,
            payments,
            dialect,
            processor_context,
            created_at,
            updated_at,
            rev: 0,
        };
        (record, revision, attempts)
    }
}

/// A [`StoredAgreement`] as the KV store writes it: the record's members, then `revision` and `attempts`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredAgreementView<'a> {
    pub agreement: &'a Agreement,
    pub payments: &'a [Payment],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialect: Option<DialectId>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub processor_context: &'a ProcessorContext,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// `None`: the Durable Object store's value (no revision, its ledger in the object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<&'a [Attempt]>,
}

impl<'a> StoredAgreementView<'a> {
    /// The value holding `record` at `revision` with its ledger `attempts` (both `None`: the Durable
    /// Object store's).
    pub fn of(record: &'a AgreementRecord, revision: Option<u64>, attempts: Option<&'a [Attempt]>) -> Self {
        StoredAgreementView {
            agreement: &record.agreement,
            payments: &record.payments,
            dialect: record.dialect,
            processor_context: &record.processor_context,
            created_at: record.created_at,
            updated_at: record.updated_at,
            revision,
            attempts,
        }
    }
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
    /// A refusal the agreement's Durable Object decided and kept as final in the same call (issue 14):
    /// the evaluation it was decided on (ledger and time as the object held them). A replay decides it
    /// again (the engine is pure: the same decision) and renders it as its route does; no answer is stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided: Option<mitgate_core::engine::Evaluation>,
}

impl IdempotencyRecord {
    /// A key claimed by a request still in flight.
    pub fn pending(fingerprint: String, created_at: Timestamp) -> Self {
        IdempotencyRecord { fingerprint, created_at, response: None, decided: None }
    }
}
