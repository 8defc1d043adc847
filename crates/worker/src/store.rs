//! Workers KV behind a small typed store.
//!
//! Four namespaces, one concern each (see `docs/worker.md` for the full layout):
//!
//! | binding | key | value |
//! | --- | --- | --- |
//! | `POLICIES` | `policy/v1/{merchantId}` | the merchant's [`Policy`] (document 001's JSON shape) |
//! | `AGREEMENTS` | `agreement/v2/{merchantId}/{agreementId}` | [`records::StoredAgreement`]: agreement, CIT payments, dialect, revision and (KV store) its attempt ledger |
//! | `AGREEMENTS` | `token/v1/{merchantId}/{credentialToken}` | agreement id (token lookups: 000 `credentials`, 003 `-100`) |
//! | `AGREEMENTS` | `payment/v1/{merchantId}/{paymentId}` | agreement id of an MIT payment (so a chained reference is recognised) |
//! | `AGREEMENTS` | `pendingcit/v1/infinic/{merchantId}/{reference_id}` | a 000 intent request awaiting its `PaymentCredential` webhook (7 days) |
//! | `AGREEMENTS` | `attemptref/v1/infinic/{merchantId}/{reference_id}` | `{agreementId, attemptId}` of a 000 auto-attempt, so its `StatusChange` webhook settles it (30 days) |
//! | `AGREEMENTS` | `customer/v1/{merchantId}/{sha256(customerId)}` | [`CustomerIndex`]: the customer's CVV-verified CITs across their agreements (`customer_index.rs`) |
//! | `VELOCITY` | `attempts/v2/{merchantId}/{agreementId}` | [`AttemptLedger`] as written before it moved into the agreement's value (read once, folded in) |
//! | `IDEMPOTENCY` | `idem/v1/{merchantId}/{sha256(key)}` | [`IdempotencyRecord`], expires after 24 h |
//!
//! Every read that fails, and every stored value that does not parse, is a [`StoreError`]: callers fail
//! closed (nothing is forwarded without a decision made on readable state).
//!
//! Files: [`kv`] (the namespace trait), [`records`] (stored values), [`keys`] (the key layout),
//! [`indexes`] (id lookups), [`ledger`] (attempt ledgers), [`attempts`] (the reservation seam,
//! [`reservation`] its step), [`idempotency`],
//! [`customers`] and [`customer_index`] (customer-level history), [`durable_object`] (the object's
//! operations), [`agreement_objects`] (the Durable Object store's agreements, owned by their objects).

mod agreement_objects;
pub(crate) mod attempts;
pub(crate) mod customer_index;
pub(crate) mod customers;
pub(crate) mod durable_object;
mod idempotency;
pub(crate) mod indexes;
mod keys;
mod kv;
mod ledger;
#[cfg(test)]
pub(crate) mod memory;
mod records;
mod reservation;
#[cfg(test)]
mod tests;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use serde::Serialize;

use mitgate_core::json::FromJson;
use mitgate_core::policy::Policy;
use mitgate_core::time::Timestamp;

use customer_index::CustomerIndex;
pub(crate) use durable_object::KeyClaim;
use durable_object::ObjectOp;
pub(crate) use idempotency::KeyPlace;
use keys::policy_key;
pub(crate) use kv::{Kv, StoreError};
pub(crate) use records::{AgreementRecord, AttemptLedger, AttemptRef, IdempotencyRecord, ProcessorContext};

/// The four namespaces, and what one request did with them.
pub(crate) struct Stores<K> {
    pub agreements: K,
    pub policies: K,
    pub velocity: K,
    pub idempotency: K,
    /// The Durable Object namespace when `MITGATE_STORE = "durable_object"`: attempt ledgers and
    /// idempotency records then live there (`durable_object.rs`) instead of `VELOCITY` and `IDEMPOTENCY`.
    pub objects: Option<K>,
    /// The Durable Object namespace idempotency keys are claimed in, and customer indexes merged in:
    /// `objects` with the Durable Object store, and the same binding with the KV store, so a claim and a
    /// customer's index are atomic in every deployment that binds `OBJECTS` (issue 15, item 3). `None`
    /// only without the binding (then KV, advisory).
    pub claim_objects: Option<K>,
    /// Storage operations made through these stores (one `Stores` per request).
    pub counters: Counters,
    /// The isolate's policies and this request's clock (`with_policy_cache`); `None`: every read goes to KV.
    policy_cache: Option<(Rc<PolicyCache>, Timestamp)>,
    /// Object operations sent once the request is answered (`run_deferred`): MIT payment markers.
    deferred: RefCell<Vec<(String, ObjectOp)>>,
    /// KV store: each agreement value this request read or wrote, by key (`None`: read, absent), so its
    /// ledger costs no second read and its writers know the revision and ledger they start from
    /// (`ledger.rs`).
    held: ledger::HeldValues,
}

/// How long an isolate decides on a merchant's policy without reading `POLICIES` again (docs/worker.md,
/// "Policy cache"). A `PUT /v1/policy` is seen at once by the isolate that took it, and by every other
/// isolate's new decisions within this many seconds (KV itself may serve a stale value for up to 60 s).
pub(crate) const POLICY_TTL_SECONDS: u64 = 5;

/// The most merchants one isolate keeps policies for; when full, the cache starts again empty.
const POLICY_CACHE_ENTRIES: usize = 1024;

/// Policies as this isolate last read or wrote them, per merchant, and customers' indexes of CVV-verified
/// CITs as it last read or merged them, per customer, with the time they were read (docs/worker.md,
/// "Policy cache").
/// INVARIANT: an entry is used only while `read_at <= now < read_at + POLICY_TTL_SECONDS`. A customer's
/// index only grows with new CITs (and drops what can no longer be a base), so a copy up to that old can
/// miss a CIT another isolate merged meanwhile: a lower ceiling for those seconds, never a higher one.
#[derive(Debug, Default)]
pub(crate) struct PolicyCache {
    entries: Fresh<Option<Policy>>,
    customers: Fresh<CustomerIndex>,
    /// The Durable Object store's agreement records as their objects last answered them, by object name:
    /// used by charges whatever their age, since the object checks the revision (`agreement_objects.rs`).
    agreements: Fresh<AgreementRecord>,
    /// The Durable Object store's MIT payment markers (payment's object name → agreement id).
    mits: Fresh<String>,
    /// The Durable Object store's lists of a token's agreements (`tokenagreements/v1`), by key.
    token_lists: Fresh<Vec<String>>,
}

/// One of [`PolicyCache`]'s maps: values by name, each with the time it was read, used while fresh.
#[derive(Debug)]
struct Fresh<V>(RefCell<HashMap<String, (Timestamp, V)>>);

impl<V> Default for Fresh<V> {
    fn default() -> Self {
        Fresh(RefCell::new(HashMap::new()))
    }
}

impl<V: Clone> Fresh<V> {
    /// The value kept for `name`, while `read_at <= now < read_at + POLICY_TTL_SECONDS`.
    fn get(&self, name: &str, now: Timestamp) -> Option<V> {
        let entries = self.0.borrow();
        let (read_at, value) = entries.get(name)?;
        (*read_at <= now && now < read_at.plus_seconds(POLICY_TTL_SECONDS)).then(|| value.clone())
    }

    /// The value kept for `name` whatever its age (a value its owner checks when it is used).
    fn kept(&self, name: &str) -> Option<V> {
        self.0.borrow().get(name).map(|(_, value)| value.clone())
    }

    /// Drops the value kept for `name`.
    fn forget(&self, name: &str) {
        self.0.borrow_mut().remove(name);
    }

    /// Keeps `value` for `name` as read at `now`; when full, the map starts again empty.
    fn keep(&self, name: &str, now: Timestamp, value: V) {
        let mut entries = self.0.borrow_mut();
        if entries.len() >= POLICY_CACHE_ENTRIES && !entries.contains_key(name) {
            entries.clear();
        }
        entries.insert(name.to_string(), (now, value));
    }
}

impl PolicyCache {
    fn fresh(&self, merchant: &str, now: Timestamp) -> Option<Option<Policy>> {
        self.entries.get(merchant, now)
    }

    fn keep(&self, merchant: &str, now: Timestamp, policy: Option<Policy>) {
        self.entries.keep(merchant, now, policy);
    }
}

impl<K> Stores<K> {
    /// The customer's index as this isolate holds it, while fresh.
    fn cached_customer(&self, name: &str) -> Option<CustomerIndex> {
        self.policy_cache.as_ref().and_then(|(c, now)| c.customers.get(name, *now))
    }

    /// Keeps the customer's index as just read or merged.
    fn keep_customer(&self, name: &str, index: &CustomerIndex) {
        if let Some((cache, now)) = &self.policy_cache {
            cache.customers.keep(name, *now, index.clone());
        }
    }
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

impl<K: Kv> Stores<K> {
    /// The KV store: ledgers in `VELOCITY`, idempotency records in `IDEMPOTENCY`.
    pub fn new(agreements: K, policies: K, velocity: K, idempotency: K) -> Self {
        Stores {
            agreements,
            policies,
            velocity,
            idempotency,
            objects: None,
            claim_objects: None,
            counters: Counters::default(),
            policy_cache: None,
            deferred: RefCell::new(Vec::new()),
            held: ledger::HeldValues::default(),
        }
    }

    /// Reads policies through the isolate's `cache` at `now` (one `PolicyCache` per isolate).
    pub fn with_policy_cache(mut self, cache: Rc<PolicyCache>, now: Timestamp) -> Self {
        self.policy_cache = Some((cache, now));
        self
    }

    /// A new isolate: nothing read before is kept (tests: a cold isolate's costs).
    #[cfg(test)]
    pub fn new_isolate(&mut self) {
        if let Some((cache, _)) = &mut self.policy_cache {
            *cache = Rc::default();
        }
    }

    /// Claims idempotency keys in Durable Objects while ledgers stay in KV.
    pub fn with_claim_objects(mut self, objects: K) -> Self {
        self.claim_objects = Some(objects);
        self
    }

    /// Keeps ledgers and idempotency records in Durable Objects.
    pub fn with_objects(mut self, objects: K) -> Self {
        self.objects = Some(objects);
        self
    }

    /// A Durable Object namespace for the state that must be exact in every deployment (idempotency
    /// claims, customer indexes): the store's own objects, or the `OBJECTS` binding next to the KV store.
    fn exact_objects(&self) -> Option<&K> {
        self.objects.as_ref().or(self.claim_objects.as_ref())
    }

    async fn object<T: FromJson>(&self, objects: &K, name: &str, op: &ObjectOp) -> Result<T, StoreError> {
        Counters::bump(&self.counters.do_calls);
        let text = objects.call_object(name, &encode(op)?).await?;
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

    /// The merchant's policy, if one was stored: from the isolate's cache while it is fresh
    /// ([`POLICY_TTL_SECONDS`]), else read from `POLICIES` (and kept).
    pub async fn policy(&self, merchant: &str) -> Result<Option<Policy>, StoreError> {
        if let Some(policy) = self.policy_cache.as_ref().and_then(|(c, now)| c.fresh(merchant, *now)) {
            return Ok(policy);
        }
        let key = policy_key(merchant);
        let policy: Option<Policy> = parse(&key, self.get(&self.policies, &key).await?)?;
        if let Some((cache, now)) = &self.policy_cache {
            cache.keep(merchant, *now, policy.clone());
        }
        Ok(policy)
    }

    /// Stores the merchant's policy (this isolate's cache holds it at once).
    pub async fn put_policy(&self, merchant: &str, policy: &Policy) -> Result<(), StoreError> {
        self.put(&self.policies, &policy_key(merchant), &encode(policy)?, None).await?;
        if let Some((cache, now)) = &self.policy_cache {
            cache.keep(merchant, *now, Some(policy.clone()));
        }
        Ok(())
    }
}
