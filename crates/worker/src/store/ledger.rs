//! Agreements and their attempt ledgers.
//!
//! With the KV store an agreement's record, its revision and its attempt ledger are one value
//! (`AGREEMENTS`, `agreement/v2/{merchantId}/{id}`, [`StoredAgreement`]; issue 14, item 3): a charge reads
//! it once and writes it once before forwarding (its reservation). With the Durable Object store the record
//! is that value without a ledger, and the ledger lives in the agreement's object.
//!
//! KV has no compare-and-swap, so two kinds of writer share the value (docs/worker.md, "KV consistency"):
//! - A charge (its reservation, its outcome) writes the agreement back as it read it, at the revision it
//!   read, with its ledger changed; a reservation reads back (`attempts.rs`) and, when a writer of the
//!   agreement changed it meanwhile, decides again on the agreement as it now is.
//! - A writer of the agreement ([`Stores::put_agreement`]: PUT, revocation, CIT capture, a status an
//!   outcome sets) keeps the ledger it read, raises the revision and reads back: when a charge that read
//!   before it wrote over it (a lower revision), or another writer of the agreement wrote the same revision,
//!   it writes again on what it read back (keeping the stricter status: a revocation stands), at most
//!   [`AGREEMENT_WRITE_TRIES`] times; it reads back [`AGREEMENT_READ_BACKS`] times after each write.
//!
//! A value written before the ledger moved into it has no `attempts`: its ledger is read once from the old
//! `attempts/v2/{merchantId}/{id}` (`VELOCITY`) and folded in, and written with it on the next write.

use std::cell::RefCell;

use mitgate_core::model::{Agreement, AgreementStatus, Attempt};

use super::durable_object::{ObjectOp, OpKind};
use super::keys::{agreement_key, attempts_key, object_name};
use super::records::{AgreementRecord, AttemptLedger, StoredAgreement, StoredAgreementView};
use super::{encode, parse, Kv, StoreError, Stores};
use crate::tree::Null;

/// How many times a writer of the agreement writes it when it reads back that a concurrent write replaced
/// it.
pub(crate) const AGREEMENT_WRITE_TRIES: usize = 3;

/// How many times a writer of the agreement reads its write back: a charge that read the value before the
/// write and writes its reservation within these reads (its own read-to-write span is one KV read and the
/// decision) is seen and repaired (docs/worker.md, "KV consistency", measures what remains).
pub(crate) const AGREEMENT_READ_BACKS: usize = 3;

/// An agreement value as this request read or wrote it (KV store; the Durable Object store's answer is
/// [`super::durable_object::Held`]).
#[derive(Debug, Clone)]
pub(crate) struct KvAgreement {
    pub record: AgreementRecord,
    pub revision: u64,
    pub attempts: Vec<Attempt>,
}

/// The agreement values a request holds, by key; `None`: read, and absent. A request holds a few (its
/// agreement, the others on its card), so a list.
#[derive(Debug, Default)]
pub(crate) struct HeldValues(RefCell<Vec<(String, Option<KvAgreement>)>>);

impl HeldValues {
    fn get(&self, key: &str) -> Option<Option<KvAgreement>> {
        self.0.borrow().iter().find(|(k, _)| k == key).map(|(_, h)| h.clone())
    }

    fn keep(&self, key: &str, held: Option<KvAgreement>) {
        let mut values = self.0.borrow_mut();
        match values.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = held,
            None => values.push((key.to_string(), held)),
        }
    }
}

/// How far a status is from chargeable.
fn strictness(status: AgreementStatus) -> u8 {
    match status {
        AgreementStatus::Active => 0,
        AgreementStatus::ReauthenticationRequired => 1,
        AgreementStatus::Revoked => 2,
    }
}

/// `ours` with `theirs`'s status when that is stricter (a concurrent revocation stands).
fn keep_stricter(ours: &mut Agreement, theirs: &Agreement) {
    if strictness(theirs.status) > strictness(ours.status) {
        ours.status = theirs.status;
        ours.status_reason.clone_from(&theirs.status_reason);
        ours.status_changed_at = theirs.status_changed_at;
    }
}

impl<K: Kv> Stores<K> {
    /// Forgets the agreement values held (a native test's `Stores` serves many requests).
    #[cfg(test)]
    pub fn forget_held(&self) {
        self.held.0.borrow_mut().clear();
    }

    /// KV store: reads the agreement's value (its old separate ledger too, once, when the value has none)
    /// and holds it.
    pub(crate) async fn read_held(
        &self,
        merchant: &str,
        id: &str,
    ) -> Result<Option<KvAgreement>, StoreError> {
        let key = agreement_key(merchant, id);
        let stored: Option<StoredAgreement> = parse(&key, self.get(&self.agreements, &key).await?)?;
        let held = match stored.map(StoredAgreement::split) {
            None => None,
            Some((record, revision, Some(attempts))) => Some(KvAgreement { record, revision, attempts }),
            Some((record, revision, None)) => {
                let old = attempts_key(merchant, id);
                let ledger: Option<AttemptLedger> = parse(&old, self.get(&self.velocity, &old).await?)?;
                Some(KvAgreement { record, revision, attempts: ledger.unwrap_or_default().attempts })
            }
        };
        self.held.keep(&key, held.clone());
        Ok(held)
    }

    /// KV store: the agreement's value as this request holds it, else as read now.
    pub(crate) async fn held_or_read(
        &self,
        merchant: &str,
        id: &str,
    ) -> Result<Option<KvAgreement>, StoreError> {
        match self.held.get(&agreement_key(merchant, id)) {
            Some(held) => Ok(held),
            None => self.read_held(merchant, id).await,
        }
    }

    /// KV store: writes the agreement's value (one write) and holds it.
    async fn write_held(&self, held: KvAgreement) -> Result<(), StoreError> {
        let key = agreement_key(&held.record.agreement.merchant_id, &held.record.agreement.id);
        let value = StoredAgreementView::of(&held.record, Some(held.revision), Some(&held.attempts));
        self.put(&self.agreements, &key, &encode(&value)?, None).await?;
        self.held.keep(&key, Some(held));
        Ok(())
    }

    /// KV store: the agreement as this request last read or wrote it (no read); `None` with the Durable
    /// Object store, or when this request holds none.
    pub fn held_record(&self, merchant: &str, id: &str) -> Option<AgreementRecord> {
        if self.objects.is_some() {
            return None;
        }
        self.held.get(&agreement_key(merchant, id)).flatten().map(|h| h.record)
    }

    /// The merchant's agreement `id`, if it exists (with KV, its ledger comes with it: [`Self::ledger`]).
    pub async fn agreement(&self, merchant: &str, id: &str) -> Result<Option<AgreementRecord>, StoreError> {
        if let Some(objects) = &self.objects {
            return self.object_agreement(objects, merchant, id).await;
        }
        Ok(self.read_held(merchant, id).await?.map(|h| h.record))
    }

    /// Stores an agreement record under its merchant and id. With KV: a writer of the agreement, keeping
    /// the ledger it holds, raising the revision and reading back (the module's documentation).
    pub async fn put_agreement(&self, record: &AgreementRecord) -> Result<(), StoreError> {
        let (merchant, id) = (record.agreement.merchant_id.as_str(), record.agreement.id.as_str());
        if let Some(objects) = &self.objects {
            return self.put_object_agreement(objects, record).await;
        }
        let mut base = self.held_or_read(merchant, id).await?;
        let mut ours = record.clone();
        // Revisions only rise: a repair writes above both the value it repairs and its own last write.
        let mut last = 0;
        for _ in 0..AGREEMENT_WRITE_TRIES {
            let (revision, attempts) = base.map_or((0, Vec::new()), |b| (b.revision, b.attempts));
            let written = KvAgreement {
                record: ours.clone(),
                revision: revision.max(last).saturating_add(1),
                attempts,
            };
            last = written.revision;
            self.write_held(written.clone()).await?;
            match self.read_back(&written).await? {
                None => return Ok(()),
                // A charge that read before our write wrote over it, or another writer of the agreement
                // wrote beside it: ours again on what replaced it (its ledger), keeping its status when
                // that is stricter (a revocation stands).
                Some(back) => {
                    if let Some(b) = &back {
                        keep_stricter(&mut ours.agreement, &b.record.agreement);
                    }
                    base = back;
                }
            }
        }
        Err(StoreError(format!(
            "the agreement was replaced by concurrent writes {AGREEMENT_WRITE_TRIES} times; send it again"
        )))
    }

    /// Reads the agreement's value back after a writer of the agreement wrote `written`, up to
    /// [`AGREEMENT_READ_BACKS`] times: `None` when every read shows it standing (or a later revision),
    /// else the value that replaced it.
    async fn read_back(&self, written: &KvAgreement) -> Result<Option<Option<KvAgreement>>, StoreError> {
        let (merchant, id) = (&written.record.agreement.merchant_id, &written.record.agreement.id);
        for _ in 0..AGREEMENT_READ_BACKS {
            let back = self.read_held(merchant, id).await?;
            // Ours, or a later writer's of the agreement (one that read ours).
            let stands =
                back.as_ref().is_some_and(|b| b.record == written.record || b.revision > written.revision);
            if !stands {
                return Ok(Some(back));
            }
        }
        Ok(None)
    }

    /// The agreement's attempt ledger as this request read it with the agreement (KV: no second read),
    /// or from its Durable Object.
    pub async fn ledger(&self, merchant: &str, agreement: &str) -> Result<AttemptLedger, StoreError> {
        if self.objects.is_some() {
            return self.attempts(merchant, agreement).await;
        }
        let held = self.held_or_read(merchant, agreement).await?;
        Ok(AttemptLedger { attempts: held.map(|h| h.attempts).unwrap_or_default() })
    }

    /// The agreement's attempt ledger as stored now (empty when none was written).
    pub async fn attempts(&self, merchant: &str, agreement: &str) -> Result<AttemptLedger, StoreError> {
        if let Some(objects) = &self.objects {
            let name = object_name(merchant, agreement);
            return self.object(objects, &name, &ObjectOp::new(OpKind::Ledger)).await;
        }
        let held = self.read_held(merchant, agreement).await?;
        Ok(AttemptLedger { attempts: held.map(|h| h.attempts).unwrap_or_default() })
    }

    /// Replaces the agreement's attempt ledger. With KV: the agreement as this request holds it, at the
    /// revision it was read at, with this ledger (a charge's reservation: one write).
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
        let Some(held) = self.held_or_read(merchant, agreement).await? else {
            return Err(StoreError(format!("no agreement `{agreement}` to hold the ledger")));
        };
        self.write_held(KvAgreement { attempts: ledger.attempts.clone(), ..held }).await
    }

    /// Writes one attempt into the latest ledger (an outcome), keeping attempts written concurrently (and
    /// adding it again when a concurrent write dropped it). With KV, when the latest value cannot be read
    /// nothing is written and the error is returned: writing the caller's copy instead would erase
    /// reservations made since it was read (issue 15, item 4).
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
        let Some(mut latest) = self.read_held(merchant, agreement).await? else {
            return Err(StoreError(format!("no agreement `{agreement}` to record the attempt on")));
        };
        match latest.attempts.iter_mut().find(|a| a.id == attempt.id) {
            Some(slot) => *slot = attempt.clone(),
            None => latest.attempts.push(attempt.clone()),
        }
        self.write_held(latest).await
    }
}
