//! The Durable Object store's operations (`MITGATE_STORE = "durable_object"`, docs/worker.md).
//!
//! One object per agreement (named `agreement/{merchantId}/{agreementId}`) owns that agreement's record
//! (with its revision: `agreement_objects.rs`), its attempt ledger and the idempotency keys of the requests that name it (issue 14), and does claim, decide and
//! reserve in one step ([`OpKind::Charge`]): it takes the key (or answers the record already there), runs
//! the engine on the evaluation the Worker sends (agreement, payments, policy, request, now) with the
//! ledger it holds, and writes the pending attempt when the charge is allowed, or keeps a final refusal as
//! the key's answer, all inside one request to a single-threaded object that makes no other I/O, so no
//! other request to that object interleaves. One more call after forwarding ([`OpKind::Settle`]) merges
//! the outcome and stores the final answer. A key whose request names its agreement only through a token
//! index (000, 003 `-100`) has an object of its own (named `idem/v1/{merchantId}/{sha256(key)}`) that
//! claims it atomically. One object per customer of a merchant (named
//! `customer/{merchantId}/{sha256(customerId)}`) owns the customer's index of CVV-verified CITs
//! (`customer_index.rs`): a CIT merges its payment in atomically, so concurrent CITs never drop each other's.
//!
//! [`apply`] is plain Rust over the [`Kv`] trait: the Durable Object runs it over its own storage
//! (`runtime/object.rs`), native tests over memory. Each object keeps what it read parsed in memory
//! between requests ([`ObjectState`]).

use std::collections::BTreeMap;

use serde::Serialize;

use mitgate_core::decision::Decision;
use mitgate_core::engine::Evaluation;
use mitgate_core::json::FromJson;
use mitgate_core::model::Attempt;
use mitgate_core::time::Timestamp;
use mitgate_core::validate::parse_json;

use super::customer_index::{self as customer, CustomerAdd, CustomerIndex};
use super::kv::{Kv, StoreError};
use super::records::{AgreementRecord, AttemptLedger, IdempotencyRecord, IDEMPOTENCY_TTL_SECONDS};
use super::reservation::decide_and_reserve;

/// What an object is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase")]
pub(crate) enum OpKind {
    /// The agreement's attempt ledger.
    Ledger,
    /// Replace the ledger (`body`: a ledger; an agreement created with its history).
    PutLedger,
    /// Claim, decide and reserve (`body`: an evaluation, `attemptId`, `key` when the request has an
    /// idempotency key): a live record of the key is answered and nothing else is done; otherwise the
    /// key is taken, the charge decided on the stored ledger and, when allowed, the pending attempt
    /// recorded; a final refusal is kept as the key's answer, a refusal that names a time frees it.
    Charge,
    /// After forwarding (`body`: [`Settle`], `key`): merge the outcome's attempt and store the key's
    /// final answer (or free the key).
    Settle,
    /// Replace (or add) one attempt (`body`: the attempt): an outcome.
    MergeAttempt,
    /// The idempotency record, unless expired (`now`; `key`: in an agreement's object). Sent by no route:
    /// a claim answers the live record itself (tests: the expiry).
    IdempotencyGet,
    /// Store the record (`body`) unless a live one exists; answer the existing one.
    IdempotencyClaim,
    /// Store the record (`body`): the final answer.
    IdempotencyPut,
    /// Free the key.
    IdempotencyDelete,
    /// A customer's index (`customer/{merchant}/{sha256(customer)}` objects).
    CustomerIndex,
    /// Merge a CIT's payments into the customer's index (`body`: [`CustomerAdd`], `now`); answers the index.
    CustomerAdd,
    /// Everything the object stores (tests: state snapshots and the card-data scan). Sent by no route.
    Dump,
    /// The agreement the object holds (an `agreement/{merchantId}/{agreementId}` object), or the agreement
    /// an MIT's payment was made on (the object named by the payment id): answers [`Held`].
    Agreement,
    /// Write the agreement (`body`: the record, its `rev` the revision it was made from, 0 for a new one):
    /// written as the next revision when the object holds that revision, refused (`written: false`, the
    /// record held) when it holds another. Answers [`Held`].
    PutAgreement,
    /// Keep the record the KV store held before this layout (`body`), unless the object holds one already
    /// (migration: read once, then the object's). Answers [`Held`].
    AdoptAgreement,
    /// `body`: the id of the agreement an MIT's payment was made on, kept by the object named by that
    /// payment id (a reference to it is refused `reference_is_mit`). Written once.
    MarkMit,
}

/// An idempotency key taken in an agreement's object: its digest names the record, the fingerprint is
/// the request's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct KeyClaim {
    /// SHA-256 hex of the key.
    pub digest: String,
    /// The request's fingerprint (`idempotency::fingerprint`).
    pub fingerprint: String,
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
    /// The idempotency key, for the operations on keys kept in an agreement's object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<KeyClaim>,
    /// [`OpKind::Charge`]: the revision of the agreement record the evaluation was built on; the object
    /// answers its own record instead of deciding when it holds another ([`Reservation::stale`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rev: Option<u64>,
}

impl ObjectOp {
    /// An operation without a payload.
    pub fn new(op: OpKind) -> Self {
        ObjectOp { op, body: String::new(), attempt_id: String::new(), now: None, key: None, rev: None }
    }

    /// The operation with `value` as its JSON payload.
    pub fn with_body<T: Serialize>(mut self, value: &T) -> Result<Self, StoreError> {
        self.body = encode(value)?;
        Ok(self)
    }
}

/// What [`OpKind::Charge`] answers.
#[derive(Debug, Clone, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Reservation {
    /// The ledger the decision was made on (before the reservation).
    pub attempts: Vec<Attempt>,
    /// Whether the attempt was recorded (the decision allowed the charge).
    pub reserved: bool,
    /// The time the decision was made at (never before the ledger's latest attempt).
    pub now: Timestamp,
    /// The key's live record: nothing was decided, the request is answered from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing: Option<IdempotencyRecord>,
    /// The agreement the object holds, when it is not the revision the evaluation was built on: nothing
    /// was decided (the Worker loads again on this record and asks once more).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<Held>,
}

/// What an object holds of an agreement: [`OpKind::Agreement`]'s answer (and the agreement writes').
#[derive(Debug, Clone, Default, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Held {
    /// The agreement record (its `rev` the object's revision).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<AgreementRecord>,
    /// The agreement whose MIT's payment this object's name is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mit_of: Option<String>,
    /// Whether the write asked for was made (`PutAgreement`, `AdoptAgreement`).
    #[serde(default)]
    pub written: bool,
}

/// [`OpKind::Settle`]'s body.
#[derive(Debug, Clone, Default, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Settle {
    /// The attempt as its outcome left it, merged into the ledger by id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<Attempt>,
    /// The key's final record; `None` frees the key (`key` given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<IdempotencyRecord>,
}

/// Whether a refusal is the key's final answer: not when it names a time to try again (a `429`, or a
/// `Retry-After`: `idempotency::decided_again_later` on its canonical answer), since a retry after that
/// time is decided again.
pub(crate) fn refusal_is_final(decision: &Decision) -> bool {
    decision.http_status != 429 && decision.retry_after_seconds.is_none()
}

const LEDGER: &str = "ledger";
/// The record of a key-only object (`idem/v1/…`).
const IDEMPOTENCY: &str = "idempotency";
/// The keys an agreement's object holds records of, oldest first (to expire them).
const KEYS: &str = "keys";
const CUSTOMER: &str = "customer";
/// The agreement record an agreement's object owns.
const AGREEMENT: &str = "agreement";
/// The agreement an MIT's payment was made on (the object named by the payment id).
const MIT: &str = "mit";

/// The row of a key's record in an agreement's object.
fn key_row(digest: &str) -> String {
    format!("key/{digest}")
}

/// Where a record lives in an object: its own row in an agreement's object, or the key-only object's one.
fn record_row(key: Option<&KeyClaim>) -> String {
    key.map_or_else(|| IDEMPOTENCY.to_string(), |k| key_row(&k.digest))
}

/// One key an agreement's object holds a record of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyEntry {
    digest: String,
    created_at: Timestamp,
}

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
    /// Records by row (`idempotency`, `key/{digest}`); `None`: the row is empty.
    records: BTreeMap<String, Option<IdempotencyRecord>>,
    keys: Option<Vec<KeyEntry>>,
    customer: Option<CustomerIndex>,
    /// The agreement record (`None` inside: the object holds none).
    agreement: Option<Option<AgreementRecord>>,
    /// The agreement an MIT's payment was made on.
    mit_of: Option<Option<String>>,
    /// How many times a value was read from storage (tests: parsed once, not per request).
    pub loads: u32,
}

impl ObjectState {
    async fn ledger<S: Kv>(&mut self, storage: &S) -> Result<&mut AttemptLedger, StoreError> {
        loaded(&mut self.ledger, &mut self.loads, storage, LEDGER).await
    }

    async fn put_ledger<S: Kv>(&mut self, storage: &S, ledger: AttemptLedger) -> Result<(), StoreError> {
        storage.put(LEDGER, &encode(&ledger)?, None).await?;
        self.ledger = Some(ledger);
        Ok(())
    }

    /// `attempt` merged into the ledger by id (an outcome: concurrent charges' attempts are kept).
    async fn merge_attempt<S: Kv>(&mut self, storage: &S, attempt: Attempt) -> Result<(), StoreError> {
        let mut next = self.ledger(storage).await?.clone();
        match next.attempts.iter_mut().find(|a| a.id == attempt.id) {
            Some(slot) => *slot = attempt,
            None => next.attempts.push(attempt),
        }
        self.put_ledger(storage, next).await
    }

    async fn agreement<S: Kv>(&mut self, storage: &S) -> Result<&mut Option<AgreementRecord>, StoreError> {
        loaded(&mut self.agreement, &mut self.loads, storage, AGREEMENT).await
    }

    /// What the object holds of an agreement ([`OpKind::Agreement`]).
    async fn held<S: Kv>(&mut self, storage: &S, written: bool) -> Result<Held, StoreError> {
        let record = self.agreement(storage).await?.clone();
        let mit_of = loaded(&mut self.mit_of, &mut self.loads, storage, MIT).await?.clone();
        Ok(Held { record, mit_of, written })
    }

    /// Writes `record` as revision `rev` (storage first, then memory).
    async fn put_agreement<S: Kv>(
        &mut self,
        storage: &S,
        mut record: AgreementRecord,
        rev: u64,
    ) -> Result<(), StoreError> {
        record.rev = rev;
        storage.put(AGREEMENT, &encode(&record)?, None).await?;
        self.agreement = Some(Some(record));
        Ok(())
    }

    async fn customer<S: Kv>(&mut self, storage: &S) -> Result<&mut CustomerIndex, StoreError> {
        loaded(&mut self.customer, &mut self.loads, storage, CUSTOMER).await
    }

    /// The record at `row`, unless older than the idempotency lifetime (object storage has no TTL).
    async fn live_record<S: Kv>(
        &mut self,
        storage: &S,
        row: &str,
        now: Timestamp,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let record = match self.records.get(row) {
            Some(record) => record.clone(),
            None => {
                self.loads = self.loads.saturating_add(1);
                let record: Option<IdempotencyRecord> = parse(storage.get(row).await?)?;
                self.records.insert(row.to_string(), record.clone());
                record
            }
        };
        Ok(record.filter(|r| r.created_at.plus_seconds(IDEMPOTENCY_TTL_SECONDS) > now))
    }

    /// Writes (or, `None`, deletes) the record at `row`. A new row of an agreement's object is listed in
    /// `keys`, and the rows listed there that expired are deleted, so an agreement's object holds at most
    /// the keys of the last 24 hours.
    async fn put_record<S: Kv>(
        &mut self,
        storage: &S,
        row: &str,
        record: Option<IdempotencyRecord>,
    ) -> Result<(), StoreError> {
        if let (Some(digest), Some(r)) = (row.strip_prefix("key/"), &record) {
            self.list_key(storage, digest, r.created_at).await?;
        }
        match &record {
            Some(r) => storage.put(row, &encode(r)?, None).await?,
            None => storage.delete(row).await?,
        }
        self.records.insert(row.to_string(), record);
        Ok(())
    }

    async fn list_key<S: Kv>(&mut self, storage: &S, digest: &str, at: Timestamp) -> Result<(), StoreError> {
        let listed = loaded(&mut self.keys, &mut self.loads, storage, KEYS).await?;
        if listed.iter().any(|k| k.digest == digest) {
            return Ok(());
        }
        let live = |k: &KeyEntry| k.created_at.plus_seconds(IDEMPOTENCY_TTL_SECONDS) > at;
        let (mut keys, expired): (Vec<KeyEntry>, Vec<KeyEntry>) = listed.iter().cloned().partition(live);
        keys.push(KeyEntry { digest: digest.to_string(), created_at: at });
        storage.put(KEYS, &encode(&keys)?, None).await?;
        self.keys = Some(keys);
        for k in expired {
            let row = key_row(&k.digest);
            storage.delete(&row).await?;
            self.records.remove(&row);
        }
        Ok(())
    }
}

/// The value at `row` as the object keeps it in `slot`: read from storage and parsed the first time (counted
/// in `loads`), empty when the row is.
async fn loaded<'a, S: Kv, T: FromJson + Default>(
    slot: &'a mut Option<T>,
    loads: &mut u32,
    storage: &S,
    row: &str,
) -> Result<&'a mut T, StoreError> {
    if slot.is_none() {
        *loads = loads.saturating_add(1);
        *slot = Some(parse(storage.get(row).await?)?.unwrap_or_default());
    }
    Ok(slot.get_or_insert_with(T::default))
}

fn body<T: FromJson>(op: &ObjectOp) -> Result<T, StoreError> {
    mitgate_core::json::from_str(&op.body)
        .map_err(|e| StoreError(format!("{:?}: unreadable body: {e}", op.op)))
}

/// [`OpKind::Charge`]: the key's live record, or the decision on the ledger as stored (the key taken and the
/// pending attempt recorded when allowed; a final refusal kept as the key's answer).
async fn charge<S: Kv>(storage: &S, state: &mut ObjectState, op: ObjectOp) -> Result<String, StoreError> {
    let mut evaluation: Evaluation =
        parse_json(&op.body).map_err(|e| StoreError(format!("Charge: unreadable evaluation: {e}")))?;
    let asked_at = evaluation.now;
    let row = op.key.as_ref().map(|k| key_row(&k.digest));
    let unanswered = |existing, stale| Reservation {
        attempts: Vec::new(),
        reserved: false,
        now: asked_at,
        existing,
        stale,
    };
    if let Some(row) = &row {
        if let Some(existing) = state.live_record(storage, row, asked_at).await? {
            return encode(&unanswered(Some(existing), None));
        }
    }
    // The agreement is the object's: a charge built on another revision of it (a revocation, a PUT, a
    // CIT since the Worker read it) is not decided; the Worker gets the record held and asks again.
    if let Some(rev) = op.rev {
        if state.agreement(storage).await?.as_ref().map(|r| r.rev) != Some(rev) {
            return encode(&unanswered(None, Some(state.held(storage, false).await?)));
        }
    }
    let current = state.ledger(storage).await?.attempts.clone();
    // Time never runs backwards for one agreement: a request whose clock was read before another's
    // reservation may reach the object after it, and must still see that attempt inside its velocity
    // window (an attempt "in the future" would not count).
    if let Some(latest) = current.iter().map(|a| a.at).max() {
        evaluation.now = evaluation.now.max(latest);
    }
    evaluation.history.attempts = current;
    let (decision, history) = decide_and_reserve(&evaluation, &op.attempt_id)
        .map_err(|e| StoreError(format!("cannot reserve: {e}")))?;
    let fingerprint = op.key.as_ref().map(|k| k.fingerprint.clone()).unwrap_or_default();
    let reserved = match (history, &row) {
        (Some(history), row) => {
            // The key first: a key that could not be taken reserves nothing.
            if let Some(row) = row {
                state
                    .put_record(storage, row, Some(IdempotencyRecord::pending(fingerprint, asked_at)))
                    .await?;
            }
            if let Err(e) = state.put_ledger(storage, AttemptLedger { attempts: history.attempts }).await {
                if let Some(row) = row {
                    // Best effort: a key left pending answers 409 until it expires.
                    let _ = state.put_record(storage, row, None).await;
                }
                return Err(e);
            }
            true
        }
        (None, Some(row)) if refusal_is_final(&decision) => {
            let kept = IdempotencyRecord {
                decided: Some(evaluation.clone()),
                ..IdempotencyRecord::pending(fingerprint, asked_at)
            };
            state.put_record(storage, row, Some(kept)).await?;
            false
        }
        (None, _) => false,
    };
    let attempts = std::mem::take(&mut evaluation.history.attempts);
    encode(&Reservation { attempts, reserved, now: evaluation.now, existing: None, stale: None })
}

/// Runs one operation on an object's storage, through what the object keeps in memory (`state`); the
/// answer is JSON text.
pub(crate) async fn apply<S: Kv>(
    storage: &S,
    state: &mut ObjectState,
    op: ObjectOp,
) -> Result<String, StoreError> {
    let row = record_row(op.key.as_ref());
    match op.op {
        OpKind::Ledger => encode(state.ledger(storage).await?),
        OpKind::PutLedger => {
            let ledger: AttemptLedger = body(&op)?;
            state.put_ledger(storage, ledger).await?;
            Ok("null".into())
        }
        OpKind::Charge => charge(storage, state, op).await,
        OpKind::Settle => {
            let settle: Settle = body(&op)?;
            // The outcome first: an attempt left pending keeps its slot, the safe side.
            if let Some(attempt) = settle.attempt {
                state.merge_attempt(storage, attempt).await?;
            }
            if op.key.is_some() {
                state.put_record(storage, &row, settle.record).await?;
            }
            Ok("null".into())
        }
        OpKind::MergeAttempt => {
            let attempt: Attempt = body(&op)?;
            state.merge_attempt(storage, attempt).await?;
            Ok("null".into())
        }
        OpKind::IdempotencyGet => {
            let now = op.now.ok_or_else(|| StoreError("IdempotencyGet needs `now`".into()))?;
            encode(&state.live_record(storage, &row, now).await?)
        }
        OpKind::IdempotencyClaim => {
            let record: IdempotencyRecord = body(&op)?;
            match state.live_record(storage, &row, record.created_at).await? {
                Some(existing) => encode(&Some(existing)),
                None => {
                    state.put_record(storage, &row, Some(record)).await?;
                    Ok("null".into())
                }
            }
        }
        OpKind::IdempotencyPut => {
            let record: IdempotencyRecord = body(&op)?;
            state.put_record(storage, &row, Some(record)).await?;
            Ok("null".into())
        }
        OpKind::IdempotencyDelete => {
            state.put_record(storage, &row, None).await?;
            Ok("null".into())
        }
        OpKind::Agreement => encode(&state.held(storage, false).await?),
        OpKind::PutAgreement => {
            let record: AgreementRecord = body(&op)?;
            let held = state.agreement(storage).await?.as_ref().map_or(0, |r| r.rev);
            let written = record.rev == held;
            if written {
                state.put_agreement(storage, record, held.saturating_add(1)).await?;
            }
            encode(&state.held(storage, written).await?)
        }
        OpKind::AdoptAgreement => {
            let record: AgreementRecord = body(&op)?;
            let written = state.agreement(storage).await?.is_none();
            if written {
                state.put_agreement(storage, record, 1).await?;
            }
            encode(&state.held(storage, written).await?)
        }
        OpKind::MarkMit => {
            let agreement: String = body(&op)?;
            if loaded(&mut state.mit_of, &mut state.loads, storage, MIT).await?.is_none() {
                storage.put(MIT, &encode(&agreement)?, None).await?;
                state.mit_of = Some(Some(agreement));
            }
            Ok("null".into())
        }
        OpKind::CustomerIndex => encode(state.customer(storage).await?),
        OpKind::CustomerAdd => {
            let add: CustomerAdd = body(&op)?;
            let now = op.now.ok_or_else(|| StoreError("CustomerAdd needs `now`".into()))?;
            let mut index = state.customer(storage).await?.clone();
            customer::merge(&mut index, add.payments, now, add.lookback);
            let answer = encode(&index)?;
            storage.put(CUSTOMER, &answer, None).await?;
            state.customer = Some(index);
            Ok(answer)
        }
        // What storage holds (not memory): the state snapshots and card-data scans of the tests.
        OpKind::Dump => {
            let mut keys = BTreeMap::new();
            for k in parse::<Vec<KeyEntry>>(storage.get(KEYS).await?)?.unwrap_or_default() {
                let row = key_row(&k.digest);
                let value = storage.get(&row).await?;
                keys.insert(row, value);
            }
            let dump = StorageDump {
                agreement: storage.get(AGREEMENT).await?,
                customer: storage.get(CUSTOMER).await?,
                idempotency: storage.get(IDEMPOTENCY).await?,
                keys,
                ledger: storage.get(LEDGER).await?,
                mit: storage.get(MIT).await?,
            };
            encode(&dump)
        }
    }
}

/// What an object's storage holds, each row as its stored text (`Dump`; tests only). Fields in name order,
/// as the answer has always been written.
#[derive(Serialize)]
struct StorageDump {
    agreement: Option<String>,
    customer: Option<String>,
    idempotency: Option<String>,
    keys: BTreeMap<String, Option<String>>,
    ledger: Option<String>,
    mit: Option<String>,
}

#[cfg(test)]
mod tests;
