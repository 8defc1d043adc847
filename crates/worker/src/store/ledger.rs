//! Attempt ledgers: one per agreement, in `VELOCITY` or in the agreement's Durable Object.

use mitgate_core::model::Attempt;

use super::durable_object::{ObjectOp, OpKind};
use super::keys::{attempts_key, object_name};
use super::records::AttemptLedger;
use super::{encode, parse, Kv, StoreError, Stores};
use crate::tree::Null;

impl<K: Kv> Stores<K> {
    /// The agreement's attempt ledger (empty when none was written).
    pub async fn attempts(&self, merchant: &str, agreement: &str) -> Result<AttemptLedger, StoreError> {
        if let Some(objects) = &self.objects {
            let name = object_name(merchant, agreement);
            return self.object(objects, &name, &ObjectOp::new(OpKind::Ledger)).await;
        }
        let key = attempts_key(merchant, agreement);
        Ok(parse(&key, self.get(&self.velocity, &key).await?)?.unwrap_or_default())
    }

    /// Replaces the agreement's attempt ledger.
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
}
