//! The Durable Object store's agreements (issue 14, item 2): each agreement's object owns its record
//! (`agreement/{merchantId}/{agreementId}`, row `agreement`), with a revision that counts its writes, and
//! the object named by an MIT's payment id keeps the agreement it was made on (row `mit`), so a reference
//! to that payment is refused `reference_is_mit`.
//!
//! The Worker keeps what it last read or wrote of each agreement per isolate ([`super::PolicyCache`]), so
//! a charge needs no read before the one call that decides: it names the revision it was built on, and
//! the object, which holds the record, answers its own instead of deciding when it holds another
//! ([`super::durable_object::Reservation::stale`]). Every other reader (`GET`, `PUT`, `DELETE`, CIT
//! captures, outcomes) asks the object. A record stored in KV before this layout is read once, when the
//! object holds none, and adopted by it.

use super::durable_object::{Held, ObjectOp, OpKind};
use super::indexes::PAYMENT;
use super::keys::{agreement_key, object_name};
use super::{parse, AgreementRecord, Kv, StoreError, Stores};
use crate::tree::Null;

impl<K: Kv> Stores<K> {
    /// Keeps in this isolate what an object answered it holds (the object named `agreement/{merchant}/{id}`).
    pub(super) fn keep_held(&self, merchant: &str, id: &str, held: &Held) {
        if let Some((cache, now)) = &self.policy_cache {
            let name = object_name(merchant, id);
            match &held.record {
                Some(record) => cache.agreements.keep(&name, *now, record.clone()),
                // Holds none: no copy of this isolate's is used again.
                None => cache.agreements.forget(&name),
            }
            if let Some(agreement) = &held.mit_of {
                cache.mits.keep(&name, *now, agreement.clone());
            }
        }
    }

    /// What the object named by `id` holds of an agreement; when it holds nothing, the record the KV
    /// store held before this layout is adopted by it (one KV read, one more call, once).
    async fn held(&self, objects: &K, merchant: &str, id: &str) -> Result<Held, StoreError> {
        let name = object_name(merchant, id);
        let mut held: Held = self.object(objects, &name, &ObjectOp::new(OpKind::Agreement)).await?;
        if held.record.is_none() && held.mit_of.is_none() {
            let key = agreement_key(merchant, id);
            // The KV store's value (its `revision` and `attempts` are the KV store's own: not adopted).
            let stored =
                parse::<super::records::StoredAgreement>(&key, self.get(&self.agreements, &key).await?)?;
            if let Some(record) = stored.map(|s| s.split().0) {
                let op = ObjectOp::new(OpKind::AdoptAgreement).with_body(&record)?;
                held = self.object(objects, &name, &op).await?;
            }
        }
        self.keep_held(merchant, id, &held);
        Ok(held)
    }

    /// The agreement as its object holds it (or as KV held it, then adopted).
    pub(super) async fn object_agreement(
        &self,
        objects: &K,
        merchant: &str,
        id: &str,
    ) -> Result<Option<AgreementRecord>, StoreError> {
        Ok(self.held(objects, merchant, id).await?.record)
    }

    /// Writes the record into its object, as the revision after the one it was read at (`record.rev`);
    /// refused when the object holds another (a concurrent write): nothing is written, read it again.
    pub(super) async fn put_object_agreement(
        &self,
        objects: &K,
        record: &AgreementRecord,
    ) -> Result<(), StoreError> {
        let (merchant, id) = (&record.agreement.merchant_id, &record.agreement.id);
        let op = ObjectOp::new(OpKind::PutAgreement).with_body(record)?;
        let held: Held = self.object(objects, &object_name(merchant, id), &op).await?;
        self.keep_held(merchant, id, &held);
        if held.written {
            Ok(())
        } else {
            Err(StoreError(format!(
                "the agreement changed concurrently (revision {} was read, the object holds {}); nothing was \
                 written, send the request again",
                record.rev,
                held.record.map_or(0, |r| r.rev)
            )))
        }
    }

    /// The agreement a `reference` names, with the Durable Object store: this isolate's copy when it has
    /// one (`checked`: a charge, whose object checks its revision, takes it whatever its age; a dry run
    /// only while 5 s fresh, as policies), else the object's (the agreement's, or the one an MIT's payment
    /// was made on), else the KV store's payment index of before this layout. `None`: this store is not
    /// the Durable Object store.
    pub async fn agreement_for_charge(
        &self,
        merchant: &str,
        reference: &str,
        checked: bool,
    ) -> Option<Result<Option<AgreementRecord>, StoreError>> {
        let objects = self.objects.as_ref()?;
        Some(self.resolve_in_objects(objects, merchant, reference, checked).await)
    }

    async fn resolve_in_objects(
        &self,
        objects: &K,
        merchant: &str,
        reference: &str,
        checked: bool,
    ) -> Result<Option<AgreementRecord>, StoreError> {
        let kept = |name: &str| {
            let (cache, now) = self.policy_cache.as_ref()?;
            if checked {
                cache.agreements.kept(name)
            } else {
                cache.agreements.get(name, *now)
            }
        };
        let name = object_name(merchant, reference);
        if let Some(record) = kept(&name) {
            return Ok(Some(record));
        }
        let mit_of = match self.policy_cache.as_ref().and_then(|(c, now)| c.mits.get(&name, *now)) {
            Some(agreement) => Some(agreement),
            None => {
                let held = self.held(objects, merchant, reference).await?;
                if held.record.is_some() {
                    return Ok(held.record);
                }
                match held.mit_of {
                    Some(agreement) => Some(agreement),
                    None => self.lookup(&PAYMENT, merchant, reference).await?,
                }
            }
        };
        let Some(agreement) = mit_of else { return Ok(None) };
        if let Some(record) = kept(&object_name(merchant, &agreement)) {
            return Ok(Some(record));
        }
        self.object_agreement(objects, merchant, &agreement).await
    }

    /// Drops this isolate's copy of an agreement (a charge that could not be sent on it: the next one reads
    /// the object's).
    pub fn forget_agreement(&self, merchant: &str, id: &str) {
        if let Some((cache, _)) = &self.policy_cache {
            cache.agreements.forget(&object_name(merchant, id));
        }
    }

    /// Records that `payment` is an MIT on `agreement`: with the Durable Object store, in the object named
    /// by the payment id, now or (`defer`) once the request is answered ([`Stores::run_deferred`]; this
    /// isolate knows it at once); with KV, the payment index (`payment/v1`), now.
    pub async fn index_mit_payment(
        &self,
        merchant: &str,
        payment: &str,
        agreement: &str,
        defer: bool,
    ) -> Result<(), StoreError> {
        let Some(objects) = &self.objects else {
            return self.link(&PAYMENT, merchant, payment, &agreement.to_string()).await;
        };
        let op = ObjectOp::new(OpKind::MarkMit).with_body(&agreement)?;
        let name = object_name(merchant, payment);
        if let Some((cache, now)) = &self.policy_cache {
            cache.mits.keep(&name, *now, agreement.to_string());
        }
        if !defer {
            return self.object::<Null>(objects, &name, &op).await.map(|Null| ());
        }
        self.deferred.borrow_mut().push((name, op));
        Ok(())
    }

    /// Sends what was left for after the answer (the MIT payment markers), each once; a failure is only
    /// returned (the caller logs it): the payment is then not recognised as an MIT's by other isolates,
    /// and a reference to it is refused as unknown instead of `reference_is_mit`.
    pub async fn run_deferred(&self) -> Result<(), StoreError> {
        let Some(objects) = &self.objects else { return Ok(()) };
        let deferred = self.deferred.take();
        for (name, op) in deferred {
            self.object::<Null>(objects, &name, &op).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
