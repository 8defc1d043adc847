//! Customer-level history in the store: a customer's list of agreements (the dashboard's lookup), a
//! credential token's list (the card networks' per-card counts), and
//! their index of CVV-verified CITs ([`super::customer_index`]), in `AGREEMENTS` or the customer's
//! Durable Object.

use mitgate_core::time::Timestamp;

use super::customer_index::{self, index_name, CustomerAdd, CustomerIndex, CustomerPayment};
use super::durable_object::{ObjectOp, OpKind};
use super::keys::{customer_agreements_key, customer_key, customer_object_name, token_agreements_key};
use super::{encode, parse, Kv, StoreError, Stores};

/// The most agreement ids kept per customer (newest first); older ones drop out of the lookup only.
pub(crate) const MAX_CUSTOMER_AGREEMENTS: usize = 50;

/// The most agreement ids kept per credential token (newest first). A card stored again and again by one
/// merchant counts its declines across its 8 newest agreements; each one read is one ledger read.
pub(crate) const MAX_TOKEN_AGREEMENTS: usize = 8;

/// Whether merging `n` into `index` keeps it (it is not dominated nor out of the lookback).
fn would_keep(index: &CustomerIndex, n: &CustomerPayment, now: Timestamp, lookback: Option<u64>) -> bool {
    let mut probe = index.clone();
    customer_index::merge(&mut probe, vec![n.clone()], now, lookback);
    probe.payments.iter().any(|p| p.payment.id == n.payment.id)
}

impl<K: Kv> Stores<K> {
    /// The ids of a customer's agreements with `merchant`, newest first (an index for lookups: KV writes
    /// race, so a lost update can drop an id from the list, never the agreement itself).
    pub async fn customer_agreements(
        &self,
        merchant: &str,
        customer: &str,
    ) -> Result<Vec<String>, StoreError> {
        self.agreement_list(&customer_agreements_key(merchant, customer)).await
    }

    /// Puts `agreement` first in its customer's list (once; at most [`MAX_CUSTOMER_AGREEMENTS`] kept).
    pub async fn add_customer_agreement(
        &self,
        merchant: &str,
        customer: &str,
        agreement: &str,
    ) -> Result<(), StoreError> {
        let key = customer_agreements_key(merchant, customer);
        self.add_to_agreement_list(&key, agreement, MAX_CUSTOMER_AGREEMENTS).await.map(|_| ())
    }

    /// The ids of the merchant's agreements on a credential token, newest first: the card networks count
    /// declines per card, across agreements (`history.credentialAttempts`). Empty for agreements stored
    /// before this list existed; the caller also asks the token index (`indexes::TOKEN`).
    /// With the Durable Object store this isolate keeps the list for 5 s (as policies: `PolicyCache`).
    pub async fn token_agreements(&self, merchant: &str, token: &str) -> Result<Vec<String>, StoreError> {
        let key = token_agreements_key(merchant, token);
        let cache = self.policy_cache.as_ref().filter(|_| self.objects.is_some());
        if let Some(ids) = cache.and_then(|(c, now)| c.token_lists.get(&key, *now)) {
            return Ok(ids);
        }
        let ids = self.agreement_list(&key).await?;
        if let Some((c, now)) = cache {
            c.token_lists.keep(&key, *now, ids.clone());
        }
        Ok(ids)
    }

    /// Puts `agreement` first in its token's list (once; at most [`MAX_TOKEN_AGREEMENTS`] kept).
    pub async fn add_token_agreement(
        &self,
        merchant: &str,
        token: &str,
        agreement: &str,
    ) -> Result<(), StoreError> {
        let key = token_agreements_key(merchant, token);
        let ids = self.add_to_agreement_list(&key, agreement, MAX_TOKEN_AGREEMENTS).await?;
        if let Some((c, now)) = self.policy_cache.as_ref().filter(|_| self.objects.is_some()) {
            c.token_lists.keep(&key, *now, ids);
        }
        Ok(())
    }

    /// A list of agreement ids (`AGREEMENTS`), empty when none was written.
    async fn agreement_list(&self, key: &str) -> Result<Vec<String>, StoreError> {
        Ok(parse::<Vec<String>>(key, self.get(&self.agreements, key).await?)?.unwrap_or_default())
    }

    /// Puts `agreement` first in the list at `key` (once), keeping at most `max` ids. Read-modify-write:
    /// with KV a concurrent write can drop an id from the list (never the agreement itself).
    /// Answers the list as written.
    async fn add_to_agreement_list(
        &self,
        key: &str,
        agreement: &str,
        max: usize,
    ) -> Result<Vec<String>, StoreError> {
        let mut ids = self.agreement_list(key).await?;
        if ids.first().map(String::as_str) == Some(agreement) {
            return Ok(ids);
        }
        ids.retain(|i| i != agreement);
        ids.insert(0, agreement.to_string());
        ids.truncate(max);
        self.put(&self.agreements, key, &encode(&ids)?, None).await?;
        Ok(ids)
    }

    /// A customer's index (empty when none was written): from the isolate's cache while it is fresh (5 s,
    /// as policies: `PolicyCache`), else read from the customer's object (or `AGREEMENTS`) and kept.
    pub async fn customer_index(&self, merchant: &str, customer: &str) -> Result<CustomerIndex, StoreError> {
        let name = index_name(merchant, customer);
        if let Some(index) = self.cached_customer(&name) {
            return Ok(index);
        }
        let index = if let Some(objects) = self.exact_objects() {
            let op = ObjectOp::new(OpKind::CustomerIndex);
            self.object(objects, &customer_object_name(merchant, customer), &op).await?
        } else {
            let key = customer_key(merchant, customer);
            parse(&key, self.get(&self.agreements, &key).await?)?.unwrap_or_default()
        };
        self.keep_customer(&name, &index);
        Ok(index)
    }

    /// Adds a CIT's payments to its customer's index. In a Durable Object (the store's, or the `OBJECTS`
    /// binding next to the KV store) the merge is atomic. With KV alone it is read-merge-write, then read
    /// again: a concurrent CIT's write that dropped ours (last write wins)
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
        if let Some(objects) = self.exact_objects() {
            let op = ObjectOp { now: Some(now), ..ObjectOp::new(OpKind::CustomerAdd).with_body(add)? };
            let name = customer_object_name(merchant, customer);
            // The object answers the index as merged: this isolate decides on it at once.
            let merged: CustomerIndex = self.object(objects, &name, &op).await?;
            self.keep_customer(&index_name(merchant, customer), &merged);
            return Ok(());
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
                self.keep_customer(&index_name(merchant, customer), &index);
                return Ok(());
            }
            customer_index::merge(&mut index, add.payments.clone(), now, add.lookback);
            self.put(&self.agreements, &key, &encode(&index)?, None).await?;
        }
        let index: CustomerIndex = parse(&key, self.get(&self.agreements, &key).await?)?.unwrap_or_default();
        if present(&index) {
            self.keep_customer(&index_name(merchant, customer), &index);
            Ok(())
        } else {
            Err(StoreError("concurrent writes to the customer's index kept dropping this payment".into()))
        }
    }
}
