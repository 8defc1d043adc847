//! The Durable Object store's operations (`MITGATE_STORE = "durable_object"`, docs/worker.md).
//!
//! One object per agreement (named `agreement/{agreementId}`) owns that agreement's attempt ledger and
//! does check-and-reserve in one step: it reads the ledger, runs the engine on the evaluation the Worker
//! sends (agreement, payments, policy, request, now) with that ledger, and writes the pending attempt when
//! the charge is allowed, all inside one request to a single-threaded object that makes no other I/O, so
//! no other request to that object interleaves. One object per idempotency key (named
//! `idem/{merchantId}/{sha256(key)}`) claims the key atomically: of concurrent requests with one key,
//! exactly one gets to run. One object per customer of a merchant (named
//! `customer/{merchantId}/{sha256(customerId)}`) owns the customer's index of CVV-verified CITs
//! (`customer_index.rs`): a CIT merges its payment in atomically, so concurrent CITs never drop each other's.
//!
//! [`apply`] is plain Rust over the [`Kv`] trait: the Durable Object runs it over its own storage
//! (`runtime/object.rs`), native tests over memory.

use serde::Serialize;

use mitgate_core::engine::Evaluation;
use mitgate_core::json::FromJson;
use mitgate_core::model::Attempt;
use mitgate_core::time::Timestamp;
use mitgate_core::validate::parse_json;

use super::customer_index::{self as customer, CustomerAdd, CustomerIndex};
use super::kv::{Kv, StoreError};
use super::records::{AttemptLedger, IdempotencyRecord, IDEMPOTENCY_TTL_SECONDS};
use super::reservation::decide_and_reserve;

/// What an object is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase")]
pub(crate) enum OpKind {
    /// The agreement's attempt ledger.
    Ledger,
    /// Replace the ledger (`body`: a ledger; an agreement created with its history).
    PutLedger,
    /// Check and reserve (`body`: an evaluation, `attemptId`): evaluate against the stored ledger; when
    /// allowed, record the pending attempt.
    Reserve,
    /// Replace (or add) one attempt (`body`: the attempt): an outcome.
    MergeAttempt,
    /// The idempotency record, unless expired (`now`).
    IdempotencyGet,
    /// Store the record (`body`) unless a live one exists; answer the existing one.
    IdempotencyClaim,
    /// Store the record (`body`): the final answer.
    IdempotencyPut,
    /// Free the key.
    IdempotencyDelete,
    /// A customer's index (`customer/{merchant}/{sha256(customer)}` objects).
    CustomerIndex,
    /// Merge a CIT's payments into the customer's index (`body`: [`CustomerAdd`], `now`).
    CustomerAdd,
    /// Everything the object stores (tests: state snapshots and the card-data scan). Sent by no route.
    Dump,
}

/// One request to an object. Payloads travel as JSON text and are parsed with the same functions that
/// read KV values and evaluation inputs, so the Worker's code size barely grows.
#[derive(Debug, Clone, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ObjectOp {
    pub op: OpKind,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub attempt_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub now: Option<Timestamp>,
}

impl ObjectOp {
    /// An operation without a payload.
    pub fn new(op: OpKind) -> Self {
        ObjectOp { op, body: String::new(), attempt_id: String::new(), now: None }
    }

    /// The operation with `value` as its JSON payload.
    pub fn with_body<T: Serialize>(mut self, value: &T) -> Result<Self, StoreError> {
        self.body = encode(value)?;
        Ok(self)
    }
}

/// What [`ObjectOp::Reserve`] answers.
#[derive(Debug, Clone, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Reservation {
    /// The ledger the decision was made on (before the reservation).
    pub attempts: Vec<Attempt>,
    /// Whether the attempt was recorded (the decision allowed the charge).
    pub reserved: bool,
    /// The time the decision was made at (never before the ledger's latest attempt).
    pub now: Timestamp,
}

const LEDGER: &str = "ledger";
const IDEMPOTENCY: &str = "idempotency";
const CUSTOMER: &str = "customer";

fn parse<T: FromJson>(text: Option<String>) -> Result<Option<T>, StoreError> {
    match text {
        None => Ok(None),
        Some(t) => mitgate_core::json::from_str(&t)
            .map(Some)
            .map_err(|e| StoreError(format!("stored object value does not parse: {e}"))),
    }
}

fn encode<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError(format!("cannot encode: {e}")))
}

/// What one object holds, parsed, between requests (issue 14): each value is read from the object's
/// storage the first time an operation needs it and kept; every change is written to storage first and
/// kept only once written, so memory never holds what storage does not.
///
/// INVARIANT: the object is single-threaded and an operation completes in one poll (its storage is
/// synchronous), so no two operations see this state at once. The runtime may evict the object at any
/// time between requests: the next request starts from an empty state and reloads from storage. An
/// operation that fails drops the whole state (`runtime/object.rs`, `memory.rs`), so nothing half-done
/// outlives it.
#[derive(Debug, Default)]
pub(crate) struct ObjectState {
    ledger: Option<AttemptLedger>,
    idempotency: Option<Option<IdempotencyRecord>>,
    customer: Option<CustomerIndex>,
    /// How many times a value was read from storage (tests: parsed once, not per request).
    pub loads: u32,
}

impl ObjectState {
    async fn ledger<S: Kv>(&mut self, storage: &S) -> Result<&mut AttemptLedger, StoreError> {
        if self.ledger.is_none() {
            self.loads = self.loads.saturating_add(1);
            self.ledger = Some(parse(storage.get(LEDGER).await?)?.unwrap_or_default());
        }
        Ok(self.ledger.get_or_insert_with(AttemptLedger::default))
    }

    async fn put_ledger<S: Kv>(&mut self, storage: &S, ledger: AttemptLedger) -> Result<(), StoreError> {
        storage.put(LEDGER, &encode(&ledger)?, None).await?;
        self.ledger = Some(ledger);
        Ok(())
    }

    async fn customer<S: Kv>(&mut self, storage: &S) -> Result<&mut CustomerIndex, StoreError> {
        if self.customer.is_none() {
            self.loads = self.loads.saturating_add(1);
            self.customer = Some(parse(storage.get(CUSTOMER).await?)?.unwrap_or_default());
        }
        Ok(self.customer.get_or_insert_with(CustomerIndex::default))
    }

    /// The key's record, unless older than the idempotency lifetime (object storage has no TTL).
    async fn live_record<S: Kv>(
        &mut self,
        storage: &S,
        now: Timestamp,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let record = match &self.idempotency {
            Some(record) => record.clone(),
            None => {
                self.loads = self.loads.saturating_add(1);
                let record: Option<IdempotencyRecord> = parse(storage.get(IDEMPOTENCY).await?)?;
                self.idempotency = Some(record.clone());
                record
            }
        };
        Ok(record.filter(|r| r.created_at.plus_seconds(IDEMPOTENCY_TTL_SECONDS) > now))
    }

    async fn put_record<S: Kv>(
        &mut self,
        storage: &S,
        record: Option<IdempotencyRecord>,
    ) -> Result<(), StoreError> {
        match &record {
            Some(r) => storage.put(IDEMPOTENCY, &encode(r)?, None).await?,
            None => storage.delete(IDEMPOTENCY).await?,
        }
        self.idempotency = Some(record);
        Ok(())
    }
}

fn body<T: FromJson>(op: &ObjectOp) -> Result<T, StoreError> {
    mitgate_core::json::from_str(&op.body)
        .map_err(|e| StoreError(format!("{:?}: unreadable body: {e}", op.op)))
}

/// Runs one operation on an object's storage, through what the object keeps in memory (`state`); the
/// answer is JSON text.
pub(crate) async fn apply<S: Kv>(
    storage: &S,
    state: &mut ObjectState,
    op: ObjectOp,
) -> Result<String, StoreError> {
    match op.op {
        OpKind::Ledger => encode(state.ledger(storage).await?),
        OpKind::PutLedger => {
            let ledger: AttemptLedger = body(&op)?;
            state.put_ledger(storage, ledger).await?;
            Ok("null".into())
        }
        OpKind::Reserve => {
            let mut evaluation: Evaluation = parse_json(&op.body)
                .map_err(|e| StoreError(format!("Reserve: unreadable evaluation: {e}")))?;
            let current = state.ledger(storage).await?.attempts.clone();
            // Time never runs backwards for one agreement: a request whose clock was read before
            // another's reservation may reach the object after it, and must still see that attempt
            // inside its velocity window (an attempt "in the future" would not count).
            if let Some(latest) = current.iter().map(|a| a.at).max() {
                evaluation.now = evaluation.now.max(latest);
            }
            evaluation.history.attempts = current;
            let (_, history) = decide_and_reserve(&evaluation, &op.attempt_id)
                .map_err(|e| StoreError(format!("cannot reserve: {e}")))?;
            let reserved = match history {
                Some(history) => {
                    state.put_ledger(storage, AttemptLedger { attempts: history.attempts }).await?;
                    true
                }
                None => false,
            };
            let attempts = std::mem::take(&mut evaluation.history.attempts);
            encode(&Reservation { attempts, reserved, now: evaluation.now })
        }
        OpKind::MergeAttempt => {
            let attempt: Attempt = body(&op)?;
            let mut next = state.ledger(storage).await?.clone();
            match next.attempts.iter_mut().find(|a| a.id == attempt.id) {
                Some(slot) => *slot = attempt,
                None => next.attempts.push(attempt),
            }
            state.put_ledger(storage, next).await?;
            Ok("null".into())
        }
        OpKind::IdempotencyGet => {
            let now = op.now.ok_or_else(|| StoreError("IdempotencyGet needs `now`".into()))?;
            encode(&state.live_record(storage, now).await?)
        }
        OpKind::IdempotencyClaim => {
            let record: IdempotencyRecord = body(&op)?;
            match state.live_record(storage, record.created_at).await? {
                Some(existing) => encode(&Some(existing)),
                None => {
                    state.put_record(storage, Some(record)).await?;
                    Ok("null".into())
                }
            }
        }
        OpKind::IdempotencyPut => {
            let record: IdempotencyRecord = body(&op)?;
            state.put_record(storage, Some(record)).await?;
            Ok("null".into())
        }
        OpKind::IdempotencyDelete => {
            state.put_record(storage, None).await?;
            Ok("null".into())
        }
        OpKind::CustomerIndex => encode(state.customer(storage).await?),
        OpKind::CustomerAdd => {
            let add: CustomerAdd = body(&op)?;
            let now = op.now.ok_or_else(|| StoreError("CustomerAdd needs `now`".into()))?;
            let mut index = state.customer(storage).await?.clone();
            customer::merge(&mut index, add.payments, now, add.lookback);
            storage.put(CUSTOMER, &encode(&index)?, None).await?;
            state.customer = Some(index);
            Ok("null".into())
        }
        // What storage holds (not memory): the state snapshots and card-data scans of the tests.
        OpKind::Dump => {
            let ledger = storage.get(LEDGER).await?;
            let idempotency = storage.get(IDEMPOTENCY).await?;
            let customer = storage.get(CUSTOMER).await?;
            Ok(serde_json::json!({"ledger": ledger, "idempotency": idempotency, "customer": customer})
                .to_string())
        }
    }
}

#[cfg(test)]
mod tests;
