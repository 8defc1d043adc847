//! Workers KV behind a small typed store.
//!
//! Four namespaces, one concern each (see `docs/worker.md` for the full layout):
//!
//! | binding | key | value |
//! | --- | --- | --- |
//! | `POLICIES` | `policy/v1/{merchantId}` | the merchant's [`Policy`] (document 001's JSON shape) |
//! | `AGREEMENTS` | `agreement/v1/{agreementId}` | [`AgreementRecord`]: agreement, CIT payments, dialect |
//! | `AGREEMENTS` | `token/v1/{merchantId}/{credentialToken}` | agreement id (token lookups: 000 `credentials`, 003 `-100`) |
//! | `AGREEMENTS` | `payment/v1/{merchantId}/{paymentId}` | agreement id of an MIT payment (so a chained reference is recognised) |
//! | `AGREEMENTS` | `pendingcit/v1/infinic/{merchantId}/{reference_id}` | a 000 intent request awaiting its `PaymentCredential` webhook (7 days) |
//! | `AGREEMENTS` | `attemptref/v1/infinic/{merchantId}/{reference_id}` | `{agreementId, attemptId}` of a 000 auto-attempt, so its `StatusChange` webhook settles it (30 days) |
//! | `AGREEMENTS` | `customer/v1/{merchantId}/{sha256(customerId)}` | [`CustomerIndex`]: the customer's CVV-verified CITs across their agreements (`customer.rs`) |
//! | `VELOCITY` | `attempts/v1/{agreementId}` | [`AttemptLedger`]: every MIT attempt, the velocity window's source |
//! | `IDEMPOTENCY` | `idem/v1/{merchantId}/{sha256(key)}` | [`IdempotencyRecord`], expires after 24 h |
//!
//! Every read that fails, and every stored value that does not parse, is a [`StoreError`]: callers fail
//! closed (nothing is forwarded without a decision made on readable state).

use std::cell::Cell;

use serde::Serialize;

use mitgate_core::engine::Evaluation;
use mitgate_core::json::{FromJson, Path, Value};
use mitgate_core::json_struct;
use mitgate_core::model::{Agreement, Attempt, Payment};
use mitgate_core::policy::Policy;
use mitgate_core::time::Timestamp;
use mitgate_core::validate::FieldError;

use crate::customer::{self, CustomerAdd, CustomerIndex};
use crate::dialect::Dialect;
use crate::http::HttpResponse;
use crate::objects::{ObjectOp, OpKind, Reservation};
use crate::tree::Null;

/// A KV failure: unavailable, rate-limited, or a stored value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoreError(pub String);

/// The operations mitgate needs from one KV namespace.
#[allow(async_fn_in_trait, reason = "single-threaded Worker: futures need not be Send")]
pub(crate) trait Kv {
    /// Reads a value.
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Writes a value, optionally expiring after `ttl_seconds` (KV's minimum is 60).
    async fn put(&self, key: &str, value: &str, ttl_seconds: Option<u64>) -> Result<(), StoreError>;
    /// Deletes a value.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Sends one operation to the Durable Object named `name`; only a Durable Object namespace answers.
    async fn call_object(&self, name: &str, op: &ObjectOp) -> Result<String, StoreError> {
        let _ = (name, op);
        Err(StoreError("not a Durable Object namespace".into()))
    }
}

/// The four namespaces, and what one request did with them.
pub(crate) struct Stores<K> {
    pub agreements: K,
    pub policies: K,
    pub velocity: K,
    pub idempotency: K,
    /// The Durable Object namespace when `MITGATE_STORE = "durable_object"`: attempt ledgers and
    /// idempotency records then live there (`objects.rs`) instead of `VELOCITY` and `IDEMPOTENCY`.
    pub objects: Option<K>,
    /// The Durable Object namespace idempotency keys are claimed in: `objects` with the Durable Object
    /// store, and the same binding with the KV store, so a claim is atomic in every deployment that binds
    /// `OBJECTS` (issue 15, item 3). `None` only without the binding (then KV, advisory).
    pub claim_objects: Option<K>,
    /// Storage operations made through these stores (one `Stores` per request).
    pub counters: Counters,
}

/// Storage operations counted per request: the `X-Mitgate-Storage` header (docs/worker.md).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub kv_reads: Cell<u32>,
    pub kv_writes: Cell<u32>,
    pub do_calls: Cell<u32>,
}

impl Counters {
    fn bump(cell: &Cell<u32>) {
        cell.set(cell.get().saturating_add(1));
    }

    /// The header value: `kv_reads=N; kv_writes=M; do_calls=K`.
    pub fn header_value(&self) -> String {
        format!(
            "kv_reads={}; kv_writes={}; do_calls={}",
            self.kv_reads.get(),
            self.kv_writes.get(),
            self.do_calls.get()
        )
    }
}

/// The response header carrying [`Counters`].
pub(crate) const STORAGE_HEADER: &str = "x-mitgate-storage";

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
    pub dialect: Option<Dialect>,
    /// Dialect values a rendered MIT needs (SPG `terminalId`, ...); never card data.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub processor_context: serde_json::Map<String, serde_json::Value>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Every MIT attempt on one agreement: the velocity counter's state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AttemptLedger {
    pub attempts: Vec<Attempt>,
}

/// Which attempt a 000 auto-attempt's `reference_id` became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AttemptRef {
    pub agreement_id: String,
    pub attempt_id: String,
}

/// An idempotency key's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
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

json_struct!(AttemptLedger, deny_unknown {
    attempts: default "attempts",
});

json_struct!(AttemptRef, deny_unknown {
    agreement_id: req "agreementId",
    attempt_id: req "attemptId",
});

json_struct!(IdempotencyRecord, deny_unknown {
    fingerprint: req "fingerprint",
    created_at: req "createdAt",
    response: opt "response",
});

fn policy_key(merchant: &str) -> String {
    format!("policy/v1/{merchant}")
}
/// INVARIANT: agreement records, ledgers and their objects are keyed by merchant and id (layout v2): an id
/// another merchant uses is another key, so it answers exactly as an unknown id and cannot be claimed
/// first (issue 15, item 10). Merchant ids hold no `/` (auth.rs).
fn agreement_key(merchant: &str, id: &str) -> String {
    format!("agreement/v2/{merchant}/{id}")
}
fn token_key(merchant: &str, token: &str) -> String {
    format!("token/v1/{merchant}/{token}")
}
fn payment_key(merchant: &str, payment: &str) -> String {
    format!("payment/v1/{merchant}/{payment}")
}
fn pending_cit_key(merchant: &str, reference: &str) -> String {
    format!("pendingcit/v1/infinic/{merchant}/{reference}")
}
fn attempt_ref_key(merchant: &str, reference: &str) -> String {
    format!("attemptref/v1/infinic/{merchant}/{reference}")
}
fn attempts_key(merchant: &str, id: &str) -> String {
    format!("attempts/v2/{merchant}/{id}")
}
/// The Durable Object owning an agreement's ledger.
pub(crate) fn object_name(merchant: &str, agreement: &str) -> String {
    format!("agreement/{merchant}/{agreement}")
}
fn customer_key(merchant: &str, customer: &str) -> String {
    format!("customer/v1/{}", customer::index_name(merchant, customer))
}
/// The Durable Object owning a customer's index.
pub(crate) fn customer_object_name(merchant: &str, customer: &str) -> String {
    format!("customer/{}", customer::index_name(merchant, customer))
}
/// A customer's agreements with one merchant (the dashboard's lookup); the customer id is hashed, so no
/// customer-supplied text is a key component.
fn customer_agreements_key(merchant: &str, customer: &str) -> String {
    use sha2::Digest;
    format!(
        "customeragreements/v1/{merchant}/{}",
        crate::service::hex(&sha2::Sha256::digest(customer.as_bytes()))
    )
}
/// The most agreement ids kept per customer (newest first); older ones drop out of the lookup only.
pub(crate) const MAX_CUSTOMER_AGREEMENTS: usize = 50;
fn idempotency_key(merchant: &str, key_digest: &str) -> String {
    format!("idem/v1/{merchant}/{key_digest}")
}

fn parse<T: FromJson>(key: &str, text: Option<String>) -> Result<Option<T>, StoreError> {
    match text {
        None => Ok(None),
        Some(t) => mitgate_core::json::from_str(&t)
            .map(Some)
            .map_err(|e| StoreError(format!("stored value at `{key}` does not parse: {e}"))),
    }
}

fn encode<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError(format!("cannot encode: {e}")))
}

/// Whether merging `n` into `index` keeps it (it is not dominated nor out of the lookback).
fn would_keep(
    index: &CustomerIndex,
    n: &customer::CustomerPayment,
    now: Timestamp,
    lookback: Option<u64>,
) -> bool {
    let mut probe = index.clone();
    customer::merge(&mut probe, vec![n.clone()], now, lookback);
    probe.payments.iter().any(|p| p.payment.id == n.payment.id)
}

impl<K: Kv> Stores<K> {
    pub fn new(agreements: K, policies: K, velocity: K, idempotency: K) -> Self {
        Stores {
            agreements,
            policies,
            velocity,
            idempotency,
            objects: None,
            claim_objects: None,
            counters: Counters::default(),
        }
    }

    /// Claims idempotency keys in Durable Objects while ledgers stay in KV.
    pub fn with_claim_objects(mut self, objects: K) -> Self {
        self.claim_objects = Some(objects);
        self
    }

    /// Where idempotency records live: a Durable Object namespace when there is one.
    fn claims(&self) -> Option<&K> {
        self.objects.as_ref().or(self.claim_objects.as_ref())
    }

    /// Keeps ledgers and idempotency records in Durable Objects.
    pub fn with_objects(mut self, objects: K) -> Self {
        self.objects = Some(objects);
        self
    }

    async fn object<T: FromJson>(&self, objects: &K, name: &str, op: &ObjectOp) -> Result<T, StoreError> {
        Counters::bump(&self.counters.do_calls);
        let text = objects.call_object(name, op).await?;
        mitgate_core::json::from_str(&text)
            .map_err(|e| StoreError(format!("the Durable Object `{name}` answered unreadably: {e}")))
    }

    async fn get(&self, ns: &K, key: &str) -> Result<Option<String>, StoreError> {
        Counters::bump(&self.counters.kv_reads);
        ns.get(key).await
    }

    async fn put(&self, ns: &K, key: &str, value: &str, ttl: Option<u64>) -> Result<(), StoreError> {
        Counters::bump(&self.counters.kv_writes);
        ns.put(key, value, ttl).await
    }

    async fn delete(&self, ns: &K, key: &str) -> Result<(), StoreError> {
        Counters::bump(&self.counters.kv_writes);
        ns.delete(key).await
    }

    pub async fn policy(&self, merchant: &str) -> Result<Option<Policy>, StoreError> {
        let key = policy_key(merchant);
        parse(&key, self.get(&self.policies, &key).await?)
    }

    pub async fn put_policy(&self, merchant: &str, policy: &Policy) -> Result<(), StoreError> {
        self.put(&self.policies, &policy_key(merchant), &encode(policy)?, None).await
    }

    pub async fn agreement(&self, merchant: &str, id: &str) -> Result<Option<AgreementRecord>, StoreError> {
        let key = agreement_key(merchant, id);
        parse(&key, self.get(&self.agreements, &key).await?)
    }

    pub async fn put_agreement(&self, record: &AgreementRecord) -> Result<(), StoreError> {
        self.put(
            &self.agreements,
            &agreement_key(&record.agreement.merchant_id, &record.agreement.id),
            &encode(record)?,
            None,
        )
        .await
    }

    /// The ids of a customer's agreements with `merchant`, newest first (an index for lookups: KV writes
    /// race, so a lost update can drop an id from the list, never the agreement itself).
    pub async fn customer_agreements(
        &self,
        merchant: &str,
        customer: &str,
    ) -> Result<Vec<String>, StoreError> {
        let key = customer_agreements_key(merchant, customer);
        Ok(parse::<Vec<String>>(&key, self.get(&self.agreements, &key).await?)?.unwrap_or_default())
    }

    /// Puts `agreement` first in its customer's list (once; at most [`MAX_CUSTOMER_AGREEMENTS`] kept).
    pub async fn add_customer_agreement(
        &self,
        merchant: &str,
        customer: &str,
        agreement: &str,
    ) -> Result<(), StoreError> {
        let mut ids = self.customer_agreements(merchant, customer).await?;
        if ids.first().map(String::as_str) == Some(agreement) {
            return Ok(());
        }
        ids.retain(|i| i != agreement);
        ids.insert(0, agreement.to_string());
        ids.truncate(MAX_CUSTOMER_AGREEMENTS);
        self.put(&self.agreements, &customer_agreements_key(merchant, customer), &encode(&ids)?, None).await
    }

    pub async fn agreement_by_token(
        &self,
        merchant: &str,
        token: &str,
    ) -> Result<Option<String>, StoreError> {
        self.get(&self.agreements, &token_key(merchant, token)).await
    }

    pub async fn put_token_index(
        &self,
        merchant: &str,
        token: &str,
        agreement: &str,
    ) -> Result<(), StoreError> {
        self.put(&self.agreements, &token_key(merchant, token), agreement, None).await
    }

    pub async fn agreement_by_payment(
        &self,
        merchant: &str,
        payment: &str,
    ) -> Result<Option<String>, StoreError> {
        self.get(&self.agreements, &payment_key(merchant, payment)).await
    }

    pub async fn put_payment_index(
        &self,
        merchant: &str,
        payment: &str,
        agreement: &str,
    ) -> Result<(), StoreError> {
        self.put(&self.agreements, &payment_key(merchant, payment), agreement, None).await
    }

    pub async fn pending_cit(&self, merchant: &str, reference: &str) -> Result<Option<String>, StoreError> {
        self.get(&self.agreements, &pending_cit_key(merchant, reference)).await
    }

    pub async fn put_pending_cit(
        &self,
        merchant: &str,
        reference: &str,
        request: &str,
    ) -> Result<(), StoreError> {
        self.put(&self.agreements, &pending_cit_key(merchant, reference), request, Some(7 * 86_400)).await
    }

    pub async fn attempt_ref(
        &self,
        merchant: &str,
        reference: &str,
    ) -> Result<Option<AttemptRef>, StoreError> {
        let key = attempt_ref_key(merchant, reference);
        parse(&key, self.get(&self.agreements, &key).await?)
    }

    pub async fn put_attempt_ref(
        &self,
        merchant: &str,
        reference: &str,
        link: &AttemptRef,
    ) -> Result<(), StoreError> {
        self.put(&self.agreements, &attempt_ref_key(merchant, reference), &encode(link)?, Some(30 * 86_400))
            .await
    }

    pub async fn attempts(&self, merchant: &str, agreement: &str) -> Result<AttemptLedger, StoreError> {
        if let Some(objects) = &self.objects {
            let name = object_name(merchant, agreement);
            return self.object(objects, &name, &ObjectOp::new(OpKind::Ledger)).await;
        }
        let key = attempts_key(merchant, agreement);
        Ok(parse(&key, self.get(&self.velocity, &key).await?)?.unwrap_or_default())
    }

    pub async fn put_attempts(
        &self,
        merchant: &str,
        agreement: &str,
        ledger: &AttemptLedger,
    ) -> Result<(), StoreError> {
        if let Some(objects) = &self.objects {
            let op = ObjectOp::new(OpKind::PutLedger).with_body(ledger)?;
            let name = object_name(merchant, agreement);
            return self.object::<Null>(objects, &name, &op).await.map(|Null| ());
        }
        self.put(&self.velocity, &attempts_key(merchant, agreement), &encode(ledger)?, None).await
    }

    /// Check-and-reserve in the agreement's Durable Object, or `None` with the KV store (the caller
    /// then reserves by read-write-verify, which is not atomic: docs/worker.md).
    pub async fn reserve(
        &self,
        merchant: &str,
        agreement: &str,
        evaluation: &Evaluation,
        attempt_id: &str,
    ) -> Option<Result<Reservation, StoreError>> {
        let objects = self.objects.as_ref()?;
        let op = match ObjectOp::new(OpKind::Reserve).with_body(evaluation) {
            Ok(op) => ObjectOp { attempt_id: attempt_id.to_string(), ..op },
            Err(e) => return Some(Err(e)),
        };
        Some(self.object(objects, &object_name(merchant, agreement), &op).await)
    }

    /// Writes one attempt into the latest ledger (an outcome), keeping attempts written concurrently.
    /// With KV, when the latest ledger cannot be read nothing is written and the error is returned: writing
    /// the caller's copy instead would erase reservations made since it was read (issue 15, item 4).
    pub async fn merge_attempt(
        &self,
        merchant: &str,
        agreement: &str,
        attempt: &Attempt,
    ) -> Result<(), StoreError> {
        if let Some(objects) = &self.objects {
            let op = ObjectOp::new(OpKind::MergeAttempt).with_body(attempt)?;
            let name = object_name(merchant, agreement);
            return self.object::<Null>(objects, &name, &op).await.map(|Null| ());
        }
        let mut latest = self.attempts(merchant, agreement).await?;
        match latest.attempts.iter_mut().find(|a| a.id == attempt.id) {
            Some(slot) => *slot = attempt.clone(),
            None => latest.attempts.push(attempt.clone()),
        }
        self.put_attempts(merchant, agreement, &latest).await
    }

    /// A customer's index (empty when none was written).
    pub async fn customer_index(&self, merchant: &str, customer: &str) -> Result<CustomerIndex, StoreError> {
        if let Some(objects) = &self.objects {
            let op = ObjectOp::new(OpKind::CustomerIndex);
            return self.object(objects, &customer_object_name(merchant, customer), &op).await;
        }
        let key = customer_key(merchant, customer);
        Ok(parse(&key, self.get(&self.agreements, &key).await?)?.unwrap_or_default())
    }

    /// Adds a CIT's payments to its customer's index. In a Durable Object the merge is atomic. With KV it
    /// is read-merge-write, then read again: a concurrent CIT's write that dropped ours (last write wins)
    /// is merged and written once more, up to three times (docs/worker.md: what remains of the race).
    pub async fn add_customer_payments(
        &self,
        merchant: &str,
        customer: &str,
        add: &CustomerAdd,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        if add.payments.is_empty() {
            return Ok(());
        }
        if let Some(objects) = &self.objects {
            let op = ObjectOp { now: Some(now), ..ObjectOp::new(OpKind::CustomerAdd).with_body(add)? };
            let name = customer_object_name(merchant, customer);
            return self.object::<Null>(objects, &name, &op).await.map(|Null| ());
        }
        let key = customer_key(merchant, customer);
        let present = |index: &CustomerIndex| {
            add.payments.iter().all(|n| {
                index.payments.iter().any(|p| p.payment.id == n.payment.id)
                    // Pruned by the merge (dominated or out of the lookback) is as good as present.
                    || !would_keep(index, n, now, add.lookback)
            })
        };
        for _ in 0..3 {
            let mut index: CustomerIndex =
                parse(&key, self.get(&self.agreements, &key).await?)?.unwrap_or_default();
            if present(&index) {
                return Ok(());
            }
            customer::merge(&mut index, add.payments.clone(), now, add.lookback);
            self.put(&self.agreements, &key, &encode(&index)?, None).await?;
        }
        let index: CustomerIndex = parse(&key, self.get(&self.agreements, &key).await?)?.unwrap_or_default();
        if present(&index) {
            Ok(())
        } else {
            Err(StoreError("concurrent writes to the customer's index kept dropping this payment".into()))
        }
    }

    pub async fn idempotency(
        &self,
        merchant: &str,
        key_digest: &str,
        now: Timestamp,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        if let Some(objects) = self.claims() {
            let op = ObjectOp { now: Some(now), ..ObjectOp::new(OpKind::IdempotencyGet) };
            return self.object(objects, &idempotency_key(merchant, key_digest), &op).await;
        }
        let key = idempotency_key(merchant, key_digest);
        parse(&key, self.get(&self.idempotency, &key).await?)
    }

    /// Claims an idempotency key: stores `pending` unless a record exists, and answers that record.
    /// Atomic in a Durable Object (whenever the binding exists, whatever store the ledgers use); only a
    /// deployment without one falls back to KV, a read then a write (concurrent first requests can both
    /// pass).
    pub async fn claim_idempotency(
        &self,
        merchant: &str,
        key_digest: &str,
        pending: &IdempotencyRecord,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        if let Some(objects) = self.claims() {
            let op = ObjectOp::new(OpKind::IdempotencyClaim).with_body(pending)?;
            return self.object(objects, &idempotency_key(merchant, key_digest), &op).await;
        }
        if let Some(existing) = self.idempotency(merchant, key_digest, pending.created_at).await? {
            return Ok(Some(existing));
        }
        self.put_idempotency(merchant, key_digest, pending).await?;
        Ok(None)
    }

    pub async fn put_idempotency(
        &self,
        merchant: &str,
        key_digest: &str,
        record: &IdempotencyRecord,
    ) -> Result<(), StoreError> {
        if let Some(objects) = self.claims() {
            let op = ObjectOp::new(OpKind::IdempotencyPut).with_body(record)?;
            return self
                .object::<Null>(objects, &idempotency_key(merchant, key_digest), &op)
                .await
                .map(|Null| ());
        }
        self.put(
            &self.idempotency,
            &idempotency_key(merchant, key_digest),
            &encode(record)?,
            Some(IDEMPOTENCY_TTL_SECONDS),
        )
        .await
    }

    pub async fn delete_idempotency(&self, merchant: &str, key_digest: &str) -> Result<(), StoreError> {
        if let Some(objects) = self.claims() {
            let op = ObjectOp::new(OpKind::IdempotencyDelete);
            return self
                .object::<Null>(objects, &idempotency_key(merchant, key_digest), &op)
                .await
                .map(|Null| ());
        }
        self.delete(&self.idempotency, &idempotency_key(merchant, key_digest)).await
    }
}

/// An in-memory namespace for native tests.
#[cfg(test)]
pub(crate) mod memory {
    use super::{Kv, StoreError};
    use crate::objects::ObjectOp;
    use std::cell::RefCell;
    use std::collections::BTreeMap;

    #[derive(Default)]
    pub struct MemoryKv {
        pub map: RefCell<BTreeMap<String, String>>,
        pub fail: RefCell<bool>,
        /// Reads fail, writes succeed.
        pub fail_reads: RefCell<bool>,
        /// Writes fail, reads succeed.
        pub fail_writes: RefCell<bool>,
        /// Reads fail once a write has succeeded (a store lost right after a reservation).
        pub fail_reads_after_put: RefCell<bool>,
    }

    impl Kv for MemoryKv {
        async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
            if *self.fail.borrow() || *self.fail_reads.borrow() {
                return Err(StoreError("injected failure".into()));
            }
            Ok(self.map.borrow().get(key).cloned())
        }
        async fn put(&self, key: &str, value: &str, _ttl: Option<u64>) -> Result<(), StoreError> {
            if *self.fail.borrow() || *self.fail_writes.borrow() {
                return Err(StoreError("injected failure".into()));
            }
            if *self.fail_reads_after_put.borrow() {
                *self.fail_reads.borrow_mut() = true;
            }
            self.map.borrow_mut().insert(key.to_string(), value.to_string());
            Ok(())
        }
        async fn delete(&self, key: &str) -> Result<(), StoreError> {
            self.map.borrow_mut().remove(key);
            Ok(())
        }
        /// A Durable Object namespace in memory: each object's keys under `{name}#`.
        async fn call_object(&self, name: &str, op: &ObjectOp) -> Result<String, StoreError> {
            if *self.fail.borrow() {
                return Err(StoreError("injected failure".into()));
            }
            crate::objects::apply(&Prefixed { kv: self, prefix: format!("{name}#") }, op.clone()).await
        }
    }

    struct Prefixed<'a> {
        kv: &'a MemoryKv,
        prefix: String,
    }

    impl Kv for Prefixed<'_> {
        async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
            Ok(self.kv.map.borrow().get(&format!("{}{key}", self.prefix)).cloned())
        }
        async fn put(&self, key: &str, value: &str, _ttl: Option<u64>) -> Result<(), StoreError> {
            self.kv.map.borrow_mut().insert(format!("{}{key}", self.prefix), value.to_string());
            Ok(())
        }
        async fn delete(&self, key: &str) -> Result<(), StoreError> {
            self.kv.map.borrow_mut().remove(&format!("{}{key}", self.prefix));
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use mitgate_core::json::from_str;

    /// A merge whose latest ledger cannot be read writes nothing: a concurrent reservation survives.
    #[test]
    fn merge_attempt_never_writes_a_stale_ledger() {
        use crate::test_util::block_on;
        use memory::MemoryKv;
        let stores =
            Stores::new(MemoryKv::default(), MemoryKv::default(), MemoryKv::default(), MemoryKv::default());
        let attempt = |id: &str, status: &str| -> Attempt {
            from_str(&format!(
                r#"{{"id": "{id}", "at": "2026-04-10T12:00:00Z", "amount": {{"amount": "1.00", "currency": "USD"}}, "status": "{status}"}}"#
            ))
            .unwrap()
        };
        let both = AttemptLedger { attempts: vec![attempt("att_a", "pending"), attempt("att_b", "pending")] };
        block_on(stores.put_attempts("m", "agr", &both)).unwrap();
        *stores.velocity.fail_reads.borrow_mut() = true;
        assert!(block_on(stores.merge_attempt("m", "agr", &attempt("att_a", "approved"))).is_err());
        *stores.velocity.fail_reads.borrow_mut() = false;
        let ledger = block_on(stores.attempts("m", "agr")).unwrap();
        assert_eq!(ledger.attempts, both.attempts, "att_b (reserved concurrently) is still there");
        block_on(stores.merge_attempt("m", "agr", &attempt("att_a", "approved"))).unwrap();
        let ledger = block_on(stores.attempts("m", "agr")).unwrap();
        assert_eq!(ledger.attempts.len(), 2);
    }

    /// Key components are joined with `/`: with merchant ids that cannot hold one (auth.rs), no two
    /// (merchant, component) pairs give the same key, whatever the second component holds.
    #[test]
    fn merchant_keys_never_collide() {
        let builders: [fn(&str, &str) -> String; 5] =
            [token_key, payment_key, pending_cit_key, attempt_ref_key, idempotency_key];
        let pairs = [("a", "b/c"), ("a/b", "c"), ("a", "b"), ("ab", "c"), ("a", "/b/c"), ("a/", "b/c")];
        for build in builders {
            let mut seen = std::collections::BTreeMap::new();
            for (merchant, rest) in pairs.iter().filter(|(m, _)| crate::auth::valid_merchant_id(m)) {
                if let Some(other) = seen.insert(build(merchant, rest), (*merchant, *rest)) {
                    panic!("{merchant}/{rest} collides with {other:?}");
                }
            }
            assert_eq!(seen.len(), 4, "a/b and a/ are not merchant ids");
        }
        assert!(!crate::auth::valid_merchant_id("a/b"));
        assert_eq!(token_key("a", "b/c"), token_key("a/b", "c"), "why merchant ids may not hold `/`");
    }

    /// What the store writes reads back to the same value; unknown members of a record are refused.
    #[test]
    fn records_read_back() {
        let at = Timestamp::parse("2026-06-01T12:00:00Z").unwrap();
        let agreement: Agreement = from_str(
            r#"{"id": "a1", "merchantId": "demo", "type": "unscheduled",
                "established": {"method": "zero_auth", "at": "2026-05-30T00:00:00Z"}, "currency": "USD",
                "paymentMethod": {"type": "card", "brand": "visa"}, "credential": {"token": "tok_1"},
                "consent": {"storeCredential": true, "merchantInitiated": true}}"#,
        )
        .unwrap();
        let mut processor_context = serde_json::Map::new();
        processor_context.insert("terminalId".into(), "11111".into());
        processor_context.insert("n".into(), serde_json::json!([1, -2, 2.5, null, {"b": true}]));
        let record = AgreementRecord {
            agreement,
            payments: vec![],
            dialect: Some(Dialect::Spg),
            processor_context,
            created_at: at,
            updated_at: at,
        };
        assert_eq!(from_str::<AgreementRecord>(&encode(&record).unwrap()).unwrap(), record);
        let response = HttpResponse::json(402, &serde_json::json!({"declineCode": "8026"}))
            .with_header("retry-after", "1");
        let idem = IdempotencyRecord { fingerprint: "f".into(), created_at: at, response: Some(response) };
        assert_eq!(from_str::<IdempotencyRecord>(&encode(&idem).unwrap()).unwrap(), idem);
        let link = AttemptRef { agreement_id: "a1".into(), attempt_id: "att_1".into() };
        assert_eq!(from_str::<AttemptRef>(&encode(&link).unwrap()).unwrap(), link);
        let ledger = AttemptLedger::default();
        assert_eq!(from_str::<AttemptLedger>(&encode(&ledger).unwrap()).unwrap(), ledger);
        let e = from_str::<AttemptRef>(r#"{"agreementId": "a", "attemptId": "b", "x": 1}"#).unwrap_err();
        assert_eq!(e.path, "x");
        let e = from_str::<IdempotencyRecord>(
            r#"{"fingerprint": "f", "createdAt": "2026-06-01T12:00:00Z",
                "response": {"status": 200, "headers": [["a"]], "body": ""}}"#,
        )
        .unwrap_err();
        assert_eq!(e.path, "response.headers[0]");
    }

    #[test]
    fn object_operations_read_back() {
        let op = ObjectOp {
            attempt_id: "att_1".into(),
            now: Some(Timestamp::parse("2026-06-01T12:00:00Z").unwrap()),
            ..ObjectOp::new(OpKind::IdempotencyClaim)
        };
        let back: ObjectOp = from_str(&encode(&op).unwrap()).unwrap();
        assert_eq!((back.op, back.attempt_id, back.now, back.body), (op.op, op.attempt_id, op.now, op.body));
        assert!(from_str::<ObjectOp>(r#"{"op": "explode"}"#)
            .unwrap_err()
            .message
            .starts_with("unknown variant"));
    }
}
