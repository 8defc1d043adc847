//! The one storage seam a charge goes through: [`AttemptStore::reserve`] decides a charge on the
//! agreement's attempt ledger as the store holds it and, when the decision allows it, records the
//! pending attempt that holds its velocity slot, as one step (the shape of governor's
//! `StateStore::measure_and_replace`: the decision runs where the state is replaced).
//!
//! The decision cannot travel as a closure to a Durable Object, so it travels as data (the
//! [`Evaluation`] and the attempt id), and the step is one pure function that the Worker and the object
//! both run (`reservation.rs`, [`decide_and_reserve`]). Two implementations:
//! - [`KvAttempts`] (the agreement's KV value): decide on the agreement and ledger read when the state was
//!   loaded, write them back with the attempt, read the value back. Not atomic (see its race below).
//! - [`ObjectAttempts`] (the agreement's Durable Object): one request; the object runs the step on its
//!   own storage with nothing interleaving.
//!
//! Issue 14 makes this the fast path: the key names the agreement's object, which owns its ledger and
//! the idempotency records of the requests naming it, so one call claims, decides and reserves
//! ([`ObjectAttempts::charge`]).

use mitgate_core::decision::{Decision, Verdict};
use mitgate_core::engine::{self, Evaluation};
use mitgate_core::model::{AttemptStatus, History};
use mitgate_core::time::Timestamp;

use super::durable_object::{KeyClaim, ObjectOp, OpKind, Reservation as ObjectAnswer};
use super::keys::object_name;
use super::records::{AttemptLedger, IdempotencyRecord};
use super::reservation::decide_and_reserve;
use super::{Kv, StoreError, Stores};

/// Which ledger a reservation is made on: an agreement of a merchant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LedgerKey<'a> {
    pub merchant: &'a str,
    pub agreement: &'a str,
}

/// A charge to decide and, when allowed, reserve: its evaluation (the ledger in its history is the one
/// the caller loaded; a store may decide on a later one) and its attempt id.
#[derive(Debug)]
pub(crate) struct Charge<'a> {
    pub evaluation: Evaluation,
    pub attempt_id: &'a str,
}

/// What a reservation came to.
#[derive(Debug)]
pub(crate) enum Reservation {
    /// The decision on the ledger as stored refuses the charge: nothing was written.
    Refused(Box<Decision>),
    /// The pending attempt is recorded and holds its slot.
    Reserved {
        /// The decision the reservation was made on.
        decision: Box<Decision>,
        /// The agreement's history with the pending attempt.
        history: History,
    },
}

/// Why nothing (or something unknown) was reserved.
#[derive(Debug)]
pub(crate) enum ReserveError {
    /// The store failed before anything was written.
    Store(StoreError),
    /// The attempt cannot be recorded on this history (the engine's state rules).
    Conflict(String),
    /// KV only: a concurrent charge's write replaced ours before it was read back; nothing is sent.
    Raced,
    /// KV only: the reservation was written but could not be read back (`read`); `released` says
    /// whether the attempt was then released.
    Unverified { read: StoreError, released: Result<(), StoreError> },
}

impl From<StoreError> for ReserveError {
    fn from(e: StoreError) -> Self {
        ReserveError::Store(e)
    }
}

/// Decides a charge and reserves its slot in one step.
#[allow(async_fn_in_trait, reason = "single-threaded Worker: futures need not be Send")]
pub(crate) trait AttemptStore {
    /// Runs [`decide_and_reserve`] on the agreement's ledger as this store holds it and writes the
    /// reservation when the decision allows the charge.
    async fn reserve(&self, key: LedgerKey<'_>, charge: Charge<'_>) -> Result<Reservation, ReserveError>;
}

/// Ledgers in Workers KV, each in its agreement's value (`ledger.rs`).
///
/// The race: KV has no compare-and-swap. The step decides on the agreement and ledger read when the state
/// was loaded, writes them back with its attempt (one write; last write wins) and reads the value back:
/// - a concurrent charge that wrote in between has dropped the attempt, and this charge is refused
///   ([`ReserveError::Raced`]) without being sent;
/// - a writer of the agreement that wrote in between (a revocation, a PUT) kept the attempt but changed
///   the agreement: the charge is decided again on the agreement as it now is and, refused, its attempt is
///   released and the refusal answered.
///
/// That narrows the race without closing it: two charges whose write-then-read do not overlap can both be
/// admitted on one slot, and a charge that read before a revocation and writes after the revocation's own
/// read-back replaces it unseen (docs/worker.md, "KV consistency", measured by
/// tests/worker/kv_races.test.mjs).
pub(crate) struct KvAttempts<'s, K> {
    stores: &'s Stores<K>,
}

impl<K: Kv> KvAttempts<'_, K> {
    /// Releases a reserved attempt that will not be forwarded.
    async fn release(
        &self,
        key: LedgerKey<'_>,
        history: &History,
        attempt_id: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        match history.attempts.iter().find(|a| a.id == attempt_id) {
            Some(a) => {
                let mut a = a.clone();
                a.status = AttemptStatus::Released;
                a.resolved_at = Some(now);
                self.stores.merge_attempt(key.merchant, key.agreement, &a).await
            }
            None => Err(StoreError("the reserved attempt is not in the ledger written".into())),
        }
    }
}

impl<K: Kv> AttemptStore for KvAttempts<'_, K> {
    async fn reserve(&self, key: LedgerKey<'_>, charge: Charge<'_>) -> Result<Reservation, ReserveError> {
        let Charge { evaluation, attempt_id } = charge;
        let (decision, history) =
            decide_and_reserve(&evaluation, attempt_id).map_err(|e| ReserveError::Conflict(e.to_string()))?;
        let Some(history) = history else { return Ok(Reservation::Refused(Box::new(decision))) };
        let LedgerKey { merchant, agreement } = key;
        // The agreement as it was decided on (read with its ledger when the state was loaded).
        let Some(held) = self.stores.held_or_read(merchant, agreement).await? else {
            return Err(ReserveError::Store(StoreError(format!("no agreement `{agreement}` to reserve on"))));
        };
        let ledger = AttemptLedger { attempts: history.attempts.clone() };
        self.stores.put_attempts(merchant, agreement, &ledger).await?;
        let check = match self.stores.read_held(merchant, agreement).await {
            Ok(Some(check)) => check,
            Ok(None) => {
                return Err(ReserveError::Unverified {
                    read: StoreError("the agreement's value is gone".into()),
                    released: Err(StoreError("no value to release the attempt in".into())),
                })
            }
            Err(read) => {
                // Nothing is forwarded: release the attempt if the store takes the write.
                let released = self.release(key, &history, attempt_id, evaluation.now).await;
                return Err(ReserveError::Unverified { read, released });
            }
        };
        if !check.attempts.iter().any(|a| a.id == attempt_id) {
            return Err(ReserveError::Raced);
        }
        if check.record.agreement != held.record.agreement {
            // A writer of the agreement wrote after the reservation and kept it: decide on what it wrote.
            let at = evaluation.now;
            let mut again = evaluation;
            again.agreement = Some(check.record.agreement);
            again.history.attempts = check.attempts.into_iter().filter(|a| a.id != attempt_id).collect();
            let now = engine::evaluate(&again);
            if now.outcome != Verdict::Allowed {
                return match self.release(key, &history, attempt_id, at).await {
                    Ok(()) => Ok(Reservation::Refused(Box::new(now))),
                    Err(e) => Err(ReserveError::Unverified {
                        read: StoreError("the agreement changed while the charge was reserved".into()),
                        released: Err(e),
                    }),
                };
            }
        }
        Ok(Reservation::Reserved { decision: Box::new(decision), history })
    }
}

/// Ledgers in the agreements' Durable Objects: one request; the object reads its ledger, runs
/// [`decide_and_reserve`] and writes the reservation, with no other request to it interleaving
/// (`durable_object.rs`). Its clock never runs backwards: the decision is made at the later of the
/// Worker's `now` and the ledger's latest attempt.
pub(crate) struct ObjectAttempts<'s, K> {
    stores: &'s Stores<K>,
    objects: &'s K,
}

impl<K: Kv> AttemptStore for ObjectAttempts<'_, K> {
    async fn reserve(&self, key: LedgerKey<'_>, charge: Charge<'_>) -> Result<Reservation, ReserveError> {
        match self.charge(key, charge, None, None).await? {
            Keyed::Decided(reservation) => Ok(reservation),
            // Only an operation that names a key answers a record, one that names a revision a record.
            Keyed::Existing(_) | Keyed::Stale => {
                Err(ReserveError::Store(StoreError("the object answered what was not asked".into())))
            }
        }
    }
}

/// What a charge with an idempotency key came to in its agreement's object.
#[derive(Debug)]
pub(crate) enum Keyed {
    /// The key's live record (a replay, the same key with another body, or one still in flight): nothing
    /// was decided.
    Existing(Box<IdempotencyRecord>),
    /// Decided on the ledger as stored; the key was taken (kept pending when reserved, kept with the
    /// refusal when it is final, left free when the refusal names a time).
    Decided(Reservation),
    /// The object holds another revision of the agreement than the evaluation was built on (`rev`):
    /// nothing was decided nor taken; this isolate now keeps the record it holds.
    Stale,
}

impl<K: Kv> ObjectAttempts<'_, K> {
    /// One call to the agreement's object (`OpKind::Charge`): the key's record if it has one; otherwise
    /// the key taken, the decision made on the ledger the object holds and the reservation written.
    pub async fn charge(
        &self,
        key: LedgerKey<'_>,
        charge: Charge<'_>,
        claim: Option<&KeyClaim>,
        rev: Option<u64>,
    ) -> Result<Keyed, ReserveError> {
        let Charge { mut evaluation, attempt_id } = charge;
        let op = ObjectOp {
            attempt_id: attempt_id.to_string(),
            key: claim.cloned(),
            rev,
            ..ObjectOp::new(OpKind::Charge).with_body(&evaluation)?
        };
        let name = object_name(key.merchant, key.agreement);
        let answer: ObjectAnswer = self.stores.object(self.objects, &name, &op).await?;
        if let Some(existing) = answer.existing {
            return Ok(Keyed::Existing(Box::new(existing)));
        }
        if let Some(held) = answer.stale {
            self.stores.keep_held(key.merchant, key.agreement, &held);
            return Ok(Keyed::Stale);
        }
        // The object decided on its ledger at its time; the same pure step here gives its decision.
        evaluation.history.attempts = answer.attempts;
        evaluation.now = answer.now;
        let (decision, history) =
            decide_and_reserve(&evaluation, attempt_id).map_err(|e| ReserveError::Conflict(e.to_string()))?;
        match (answer.reserved, history) {
            (false, _) => Ok(Keyed::Decided(Reservation::Refused(Box::new(decision)))),
            (true, Some(history)) => {
                Ok(Keyed::Decided(Reservation::Reserved { decision: Box::new(decision), history }))
            }
            (true, None) => Err(ReserveError::Store(StoreError(
                "the Durable Object reserved a charge this Worker refuses (different engine versions?)"
                    .into(),
            ))),
        }
    }
}

/// The attempt store a deployment uses (`MITGATE_STORE`), chosen once per request.
pub(crate) enum Attempts<'s, K> {
    Kv(KvAttempts<'s, K>),
    Object(ObjectAttempts<'s, K>),
}

impl<K: Kv> AttemptStore for Attempts<'_, K> {
    async fn reserve(&self, key: LedgerKey<'_>, charge: Charge<'_>) -> Result<Reservation, ReserveError> {
        match self {
            Attempts::Kv(store) => store.reserve(key, charge).await,
            Attempts::Object(store) => store.reserve(key, charge).await,
        }
    }
}

impl<K: Kv> Stores<K> {
    /// Whether ledgers live in the agreements' Durable Objects (then the object decides a charge on its
    /// own ledger when it reserves: `ObjectAttempts`).
    pub fn ledgers_in_objects(&self) -> bool {
        self.objects.is_some()
    }

    /// The agreements' objects, when ledgers live there: a charge with an idempotency key takes it in
    /// the same call that decides and reserves ([`ObjectAttempts::charge`]).
    pub fn agreement_objects(&self) -> Option<ObjectAttempts<'_, K>> {
        self.objects.as_ref().map(|objects| ObjectAttempts { stores: self, objects })
    }

    /// Where this request's charges reserve their slots.
    pub fn attempt_store(&self) -> Attempts<'_, K> {
        match &self.objects {
            Some(objects) => Attempts::Object(ObjectAttempts { stores: self, objects }),
            None => Attempts::Kv(KvAttempts { stores: self }),
        }
    }
}

#[cfg(test)]
mod tests;
