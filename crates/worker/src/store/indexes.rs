//! Lookups in `AGREEMENTS` from something a request carries to what it names: a credential token or an
//! MIT payment id to its agreement, a 000 intent's `reference_id` to the intent awaiting its webhook or to
//! the auto-attempt it became. Each is one [`Index`]; reading and writing them is one pair of methods.

use std::marker::PhantomData;

use super::records::AttemptRef;
use super::{encode, parse, Kv, StoreError, Stores};

/// How an index's value is stored: the agreement id as plain text, or a record as JSON.
pub(crate) trait IndexValue: Sized {
    /// The stored text.
    fn to_text(&self) -> Result<String, StoreError>;
    /// The value back from its stored text (`key` names it in an error).
    fn from_text(key: &str, text: String) -> Result<Self, StoreError>;
}

impl IndexValue for String {
    fn to_text(&self) -> Result<String, StoreError> {
        Ok(self.clone())
    }
    fn from_text(_key: &str, text: String) -> Result<Self, StoreError> {
        Ok(text)
    }
}

impl IndexValue for AttemptRef {
    fn to_text(&self) -> Result<String, StoreError> {
        encode(self)
    }
    fn from_text(key: &str, text: String) -> Result<Self, StoreError> {
        parse(key, Some(text)).and_then(|v| v.ok_or_else(|| StoreError(format!("no value at `{key}`"))))
    }
}

/// One index: `{prefix}/{merchantId}/{name}` → a `V`, expiring after `ttl_seconds` when set.
///
/// INVARIANT: every key starts with its merchant id, which holds no `/` (auth.rs): one merchant's names
/// can never reach another's entries.
pub(crate) struct Index<V> {
    prefix: &'static str,
    ttl_seconds: Option<u64>,
    value: PhantomData<fn() -> V>,
}

impl<V> Index<V> {
    const fn new(prefix: &'static str, ttl_seconds: Option<u64>) -> Self {
        Index { prefix, ttl_seconds, value: PhantomData }
    }

    /// The key of `name` under `merchant`.
    pub(crate) fn key(&self, merchant: &str, name: &str) -> String {
        format!("{}/{merchant}/{name}", self.prefix)
    }
}

/// Credential token → the agreement stored last on it (000 `credentials`, 003 `-100`, network retry
/// rules across agreements).
pub(crate) const TOKEN: Index<String> = Index::new("token/v1", None);
/// MIT payment id → its agreement (so a chained reference is recognised, and refused).
pub(crate) const PAYMENT: Index<String> = Index::new("payment/v1", None);
/// 000 intent `reference_id` → the intent's fields awaiting its `PaymentCredential` webhook (7 days);
/// also an Axerve `Encrypt`'s chain terms awaiting its `Decrypt`.
pub(crate) const PENDING_CIT: Index<String> = Index::new("pendingcit/v1/infinic", Some(7 * 86_400));
/// 000 auto-attempt `reference_id` → the attempt it became, for its `StatusChange` webhook (30 days).
pub(crate) const ATTEMPT_REF: Index<AttemptRef> = Index::new("attemptref/v1/infinic", Some(30 * 86_400));

impl<K: Kv> Stores<K> {
    /// What `name` points at under `merchant`, if anything.
    pub async fn lookup<V: IndexValue>(
        &self,
        index: &Index<V>,
        merchant: &str,
        name: &str,
    ) -> Result<Option<V>, StoreError> {
        let key = index.key(merchant, name);
        match self.get(&self.agreements, &key).await? {
            None => Ok(None),
            Some(text) => V::from_text(&key, text).map(Some),
        }
    }

    /// Points `name` under `merchant` at `value` (replacing what it pointed at).
    pub async fn link<V: IndexValue>(
        &self,
        index: &Index<V>,
        merchant: &str,
        name: &str,
        value: &V,
    ) -> Result<(), StoreError> {
        self.put(&self.agreements, &index.key(merchant, name), &value.to_text()?, index.ttl_seconds).await
    }
}
