//! Idempotency records: claimed atomically in a Durable Object whenever the binding exists, in
//! `IDEMPOTENCY` otherwise.

use mitgate_core::time::Timestamp;

use super::durable_object::{ObjectOp, OpKind};
use super::keys::idempotency_key;
use super::records::{IdempotencyRecord, IDEMPOTENCY_TTL_SECONDS};
use super::{encode, parse, Kv, StoreError, Stores};
use crate::tree::Null;

impl<K: Kv> Stores<K> {
    /// The live record of an idempotency key, if any.
    pub async fn idempotency(
        &self,
        merchant: &str,
        key_digest: &str,
        now: Timestamp,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        if let Some(objects) = self.exact_objects() {
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
        if let Some(objects) = self.exact_objects() {
            let op = ObjectOp::new(OpKind::IdempotencyClaim).with_body(pending)?;
            return self.object(objects, &idempotency_key(merchant, key_digest), &op).await;
        }
        if let Some(existing) = self.idempotency(merchant, key_digest, pending.created_at).await? {
            return Ok(Some(existing));
        }
        self.put_idempotency(merchant, key_digest, pending).await?;
        Ok(None)
    }

    /// Stores a key's final record (24 h).
    pub async fn put_idempotency(
        &self,
        merchant: &str,
        key_digest: &str,
        record: &IdempotencyRecord,
    ) -> Result<(), StoreError> {
        if let Some(objects) = self.exact_objects() {
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

    /// Frees a key (its request may be sent again).
    pub async fn delete_idempotency(&self, merchant: &str, key_digest: &str) -> Result<(), StoreError> {
        if let Some(objects) = self.exact_objects() {
            let op = ObjectOp::new(OpKind::IdempotencyDelete);
            return self
                .object::<Null>(objects, &idempotency_key(merchant, key_digest), &op)
                .await
                .map(|Null| ());
        }
        self.delete(&self.idempotency, &idempotency_key(merchant, key_digest)).await
    }
}
