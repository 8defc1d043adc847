//! Idempotency records: in the agreement's Durable Object the request names (the Durable Object store),
//! in the key's own Durable Object whenever the binding exists, in `IDEMPOTENCY` otherwise.

use super::durable_object::{KeyClaim, ObjectOp, OpKind, Settle};
use super::keys::{idempotency_key, object_name};
use super::records::{IdempotencyRecord, IDEMPOTENCY_TTL_SECONDS};
use super::{encode, parse, Kv, StoreError, Stores};
use crate::tree::Null;
use mitgate_core::model::Attempt;

/// Where a key's record lives.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KeyPlace<'a> {
    /// The key's own object (`idem/v1/{merchant}/{digest}`), or `IDEMPOTENCY` without the binding.
    Own { merchant: &'a str, digest: &'a str },
    /// A row of the object named by the request's reference (`agreement/{merchant}/{reference}`), with
    /// the Durable Object store: the agreement's own object when the reference is its id, where one call
    /// claims the key, decides and reserves (`ObjectAttempts::charge`).
    Reference { merchant: &'a str, reference: &'a str, claim: &'a KeyClaim },
}

impl<K: Kv> Stores<K> {
    /// The object and operation a key's record is reached with, or `None`: `IDEMPOTENCY` (KV).
    fn key_object<'s>(&'s self, place: KeyPlace<'_>, op: OpKind) -> Option<(&'s K, String, ObjectOp)> {
        match place {
            KeyPlace::Own { merchant, digest } => {
                let objects = self.exact_objects()?;
                Some((objects, idempotency_key(merchant, digest), ObjectOp::new(op)))
            }
            KeyPlace::Reference { merchant, reference, claim } => {
                let objects = self.objects.as_ref().or(self.claim_objects.as_ref())?;
                let op = ObjectOp { key: Some(claim.clone()), ..ObjectOp::new(op) };
                Some((objects, object_name(merchant, reference), op))
            }
        }
    }

    /// The KV key of a record without objects.
    fn kv_key(place: KeyPlace<'_>) -> String {
        match place {
            KeyPlace::Own { merchant, digest } => idempotency_key(merchant, digest),
            KeyPlace::Reference { merchant, claim, .. } => idempotency_key(merchant, &claim.digest),
        }
    }

    /// Claims an idempotency key: stores `pending` unless a record exists, and answers that record.
    /// Atomic in a Durable Object (whenever the binding exists, whatever store the ledgers use); only a
    /// deployment without one falls back to KV, a read then a write (concurrent first requests can both
    /// pass).
    pub async fn claim_idempotency(
        &self,
        place: KeyPlace<'_>,
        pending: &IdempotencyRecord,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        if let Some((objects, name, op)) = self.key_object(place, OpKind::IdempotencyClaim) {
            return self.object(objects, &name, &ObjectOp { body: encode(pending)?, ..op }).await;
        }
        // KV drops a record when it expires (the TTL it was written with).
        let key = Self::kv_key(place);
        if let Some(existing) = parse(&key, self.get(&self.idempotency, &key).await?)? {
            return Ok(Some(existing));
        }
        self.put(&self.idempotency, &key, &encode(pending)?, Some(IDEMPOTENCY_TTL_SECONDS)).await?;
        Ok(None)
    }

    /// Stores a key's final record (24 h).
    pub async fn put_idempotency(
        &self,
        place: KeyPlace<'_>,
        record: &IdempotencyRecord,
    ) -> Result<(), StoreError> {
        if let Some((objects, name, op)) = self.key_object(place, OpKind::IdempotencyPut) {
            let op = ObjectOp { body: encode(record)?, ..op };
            return self.object::<Null>(objects, &name, &op).await.map(|Null| ());
        }
        self.put(&self.idempotency, &Self::kv_key(place), &encode(record)?, Some(IDEMPOTENCY_TTL_SECONDS))
            .await
    }

    /// Frees a key (its request may be sent again).
    pub async fn delete_idempotency(&self, place: KeyPlace<'_>) -> Result<(), StoreError> {
        if let Some((objects, name, op)) = self.key_object(place, OpKind::IdempotencyDelete) {
            return self.object::<Null>(objects, &name, &op).await.map(|Null| ());
        }
        self.delete(&self.idempotency, &Self::kv_key(place)).await
    }

    /// After a charge reserved in its agreement's object with a key (`ObjectAttempts::charge`): one call
    /// merges the outcome's `attempt` (when there is one) and stores the key's final `record` (`None`
    /// frees it).
    pub async fn settle(
        &self,
        merchant: &str,
        agreement: &str,
        claim: &KeyClaim,
        attempt: Option<&Attempt>,
        record: Option<&IdempotencyRecord>,
    ) -> Result<(), StoreError> {
        let Some(objects) = &self.objects else {
            return Err(StoreError("settle: ledgers are not in Durable Objects".into()));
        };
        let settle = Settle { attempt: attempt.cloned(), record: record.cloned() };
        let op = ObjectOp { key: Some(claim.clone()), ..ObjectOp::new(OpKind::Settle).with_body(&settle)? };
        self.object::<Null>(objects, &object_name(merchant, agreement), &op).await.map(|Null| ())
    }
}
