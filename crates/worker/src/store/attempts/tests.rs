//! Both attempt stores reserve and refuse the same way: one after the other, and when a second request
//! interleaves with the first (each storage operation yields once, and the two requests are polled in
//! turn, so every operation of one falls between two of the other).

use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};

use mitgate_core::decision::Verdict;
use mitgate_core::model::AttemptStatus;
use mitgate_core::validate::parse_json;

use super::*;
use crate::store::memory::MemoryKv;
use crate::store::AgreementRecord;
use crate::test_util::block_on;

/// A namespace whose every operation first yields once: the runtime may run another request there.
#[derive(Default)]
struct Yielding(MemoryKv);

/// Pending once, then ready.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}

impl Kv for Yielding {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        YieldOnce(false).await;
        self.0.get(key).await
    }
    async fn put(&self, key: &str, value: &str, ttl: Option<u64>) -> Result<(), StoreError> {
        YieldOnce(false).await;
        self.0.put(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        YieldOnce(false).await;
        self.0.delete(key).await
    }
    async fn call_object(&self, name: &str, op: &str) -> Result<String, StoreError> {
        YieldOnce(false).await;
        self.0.call_object(name, op).await
    }
}

/// Polls two futures in turn until both are done.
fn interleave<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut ra, mut rb) = (None, None);
    let mut cx = Context::from_waker(Waker::noop());
    while ra.is_none() || rb.is_none() {
        if ra.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(&mut cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(&mut cx) {
                rb = Some(v);
            }
        }
    }
    (ra.unwrap(), rb.unwrap())
}

/// The KV store, and the Durable Object store (objects in memory, the object's own `apply`).
fn both() -> [(&'static str, Stores<Yielding>); 2] {
    let kv =
        || Stores::new(Yielding::default(), Yielding::default(), Yielding::default(), Yielding::default());
    let stores = [("kv", kv()), ("durable_object", kv().with_objects(Yielding::default()))];
    for (_, s) in &stores {
        block_on(s.put_agreement(&record())).unwrap();
    }
    stores
}

/// The agreement the charges below are on, as stored.
fn record() -> AgreementRecord {
    let text = r#"{"agreement": {"id": "pay_1", "merchantId": "demo", "type": "unscheduled",
            "established": {"method": "zero_auth", "at": "2026-05-30T00:00:00Z"}, "currency": "USD",
            "paymentMethod": {"type": "card", "brand": "visa"}, "credential": {"token": "tok_1"},
            "consent": {"storeCredential": true, "merchantInitiated": true}},
        "createdAt": "2026-05-30T00:00:00Z", "updatedAt": "2026-05-30T00:00:00Z"}"#;
    parse_json(text).unwrap()
}

const KEY: LedgerKey<'static> = LedgerKey { merchant: "demo", agreement: "pay_1" };

/// A charge of 10.00 on `pay_1` (policy: one MIT a day) at `now`, decided on the ledger as the store
/// holds it now (what `load` reads).
fn evaluation<K: Kv>(stores: &Stores<K>, now: &str) -> Evaluation {
    let mut evaluation = bare(now);
    evaluation.history.attempts = block_on(stores.attempts("demo", "pay_1")).unwrap().attempts;
    evaluation
}

/// [`evaluation`] with no attempts (nothing read).
fn bare(now: &str) -> Evaluation {
    let text = format!(
        r#"{{"now": "{now}",
        "policy": {{"enabled": true, "maxCount": 1, "period": 86400, "maxMultiple": 3, "maxZeroAuthAmount": {{"cents": 2000}}}},
        "agreement": {{"id": "pay_1", "merchantId": "demo", "type": "unscheduled",
            "established": {{"method": "zero_auth", "at": "2026-05-30T00:00:00Z"}}, "currency": "USD",
            "paymentMethod": {{"type": "card", "brand": "visa"}}, "credential": {{"token": "tok_1"}},
            "consent": {{"storeCredential": true, "merchantInitiated": true}}}},
        "history": {{"payments": [], "attempts": []}},
        "request": {{"merchantId": "demo", "reference": "pay_1", "amount": {{"amount": "10.00", "currency": "USD"}}}}}}"#
    );
    parse_json(&text).unwrap()
}

fn reserve(stores: &Stores<Yielding>, evaluation: Evaluation, id: &str) -> Result<Reservation, ReserveError> {
    block_on(stores.attempt_store().reserve(KEY, Charge { evaluation, attempt_id: id }))
}

/// The decision as JSON (to compare the two stores' answers).
fn json(d: &Decision) -> String {
    serde_json::to_string(d).unwrap()
}

#[test]
fn both_stores_reserve_then_refuse_alike() {
    let mut seen: Vec<(String, String)> = Vec::new();
    for (name, stores) in both() {
        let first = reserve(&stores, evaluation(&stores, "2026-06-01T12:00:00Z"), "att_1").unwrap();
        let Reservation::Reserved { decision, history } = first else { panic!("{name}: not reserved") };
        assert_eq!(decision.outcome, Verdict::Allowed, "{name}");
        assert_eq!(history.attempts.len(), 1, "{name}");
        let ledger = block_on(stores.attempts("demo", "pay_1")).unwrap();
        assert_eq!(ledger.attempts.len(), 1, "{name}: the slot is held");
        assert_eq!(
            (ledger.attempts[0].id.as_str(), ledger.attempts[0].status),
            ("att_1", AttemptStatus::Pending)
        );
        let second = reserve(&stores, evaluation(&stores, "2026-06-01T12:00:01Z"), "att_2").unwrap();
        let Reservation::Refused(refusal) = second else { panic!("{name}: a second MIT within the day") };
        assert_eq!(refusal.http_status, 429, "{name}: velocity");
        assert_eq!(
            block_on(stores.attempts("demo", "pay_1")).unwrap().attempts.len(),
            1,
            "{name}: nothing written"
        );
        seen.push((json(&decision), json(&refusal)));
    }
    assert_eq!(seen[0], seen[1], "the same decisions in both stores");
}

/// A second request that read the same (empty) ledger and interleaves with the first: exactly one of
/// them holds the slot in either store, and the ledger holds only its attempt. The Durable Object
/// refuses the other by its decision (429); KV learns of it by reading back (409 `Raced`, nothing sent).
#[test]
fn a_concurrent_second_request_gets_no_slot() {
    for (name, stores) in both() {
        let (a, b) =
            (evaluation(&stores, "2026-06-01T12:00:00Z"), evaluation(&stores, "2026-06-01T12:00:00Z"));
        let store = stores.attempt_store();
        let (ra, rb) = interleave(
            store.reserve(KEY, Charge { evaluation: a, attempt_id: "att_a" }),
            store.reserve(KEY, Charge { evaluation: b, attempt_id: "att_b" }),
        );
        let ledger = block_on(stores.attempts("demo", "pay_1")).unwrap();
        assert_eq!(ledger.attempts.len(), 1, "{name}: one slot taken");
        let holder = ledger.attempts[0].id.clone();
        let reserved: Vec<&str> = [("att_a", &ra), ("att_b", &rb)]
            .into_iter()
            .filter(|(_, r)| matches!(r, Ok(Reservation::Reserved { .. })))
            .map(|(id, _)| id)
            .collect();
        assert_eq!(reserved, [holder.as_str()], "{name}: only the holder may forward");
        let loser = if holder == "att_a" { &rb } else { &ra };
        match (name, loser) {
            ("durable_object", Ok(Reservation::Refused(d))) => assert_eq!(d.http_status, 429),
            ("kv", Err(ReserveError::Raced)) => {}
            (_, other) => panic!("{name}: the second request got {other:?}"),
        }
    }
}

/// Without the interleaving, KV's documented race remains: two requests that decided on the same ledger
/// and whose write-then-read do not overlap both hold a slot (the last write keeps one attempt). The
/// Durable Object refuses the second.
#[test]
fn kv_race_is_what_the_docs_say() {
    for (name, stores) in both() {
        let (a, b) =
            (evaluation(&stores, "2026-06-01T12:00:00Z"), evaluation(&stores, "2026-06-01T12:00:00Z"));
        let first = reserve(&stores, a, "att_a").unwrap();
        let second = reserve(&stores, b, "att_b").unwrap();
        assert!(matches!(first, Reservation::Reserved { .. }), "{name}");
        match name {
            "kv" => assert!(matches!(second, Reservation::Reserved { .. }), "kv: the stale ledger decides"),
            _ => assert!(matches!(second, Reservation::Refused(_)), "{name}: decided on its own ledger"),
        }
    }
}

/// The bounded ledger in both stores: 500 days of charges, one every 12 hours, each approved. With the
/// network retry rules on, the longest window is 30 days, so the stored ledger never holds more than the
/// window's 60 attempts and the one before it (docs/ledger.md), though 1,000 were made.
#[test]
fn both_stores_keep_the_ledger_bounded() {
    let start = mitgate_core::time::Timestamp::parse("2026-06-01T00:00:00Z").unwrap();
    for (name, stores) in both() {
        let mut longest = 0;
        for i in 0..1_000u64 {
            let now = start.plus_seconds(i * 12 * 3600);
            let mut e = evaluation(&stores, &now.to_rfc3339());
            e.policy.max_count = Some(5);
            e.policy.network_retry_rules = true;
            let id = format!("att_{i}");
            let Reservation::Reserved { .. } = reserve(&stores, e, &id).unwrap() else {
                panic!("{name}: refused at {i}")
            };
            let mut ledger = block_on(stores.attempts("demo", "pay_1")).unwrap();
            longest = longest.max(ledger.attempts.len());
            assert!(
                ledger.attempts.len() <= 61,
                "{name}: {} attempts stored after {i}",
                ledger.attempts.len()
            );
            let Some(mut attempt) = ledger.attempts.pop().filter(|a| a.id == id) else {
                panic!("{name}: {id} not last")
            };
            attempt.status = AttemptStatus::Approved;
            attempt.resolved_at = Some(now);
            block_on(stores.merge_attempt("demo", "pay_1", &attempt)).unwrap();
        }
        assert_eq!(longest, 61, "{name}: the window's attempts are all kept ({longest})");
    }
}

/// A namespace shared by several requests (each its own `Stores`, as the runtime gives each request).
#[derive(Clone, Default)]
struct Shared(std::rc::Rc<Yielding>);

impl Kv for Shared {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.0.get(key).await
    }
    async fn put(&self, key: &str, value: &str, ttl: Option<u64>) -> Result<(), StoreError> {
        self.0.put(key, value, ttl).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).await
    }
}

/// One request's stores over the shared namespaces (KV store).
fn request(ns: &[Shared; 4]) -> Stores<Shared> {
    Stores::new(ns[0].clone(), ns[1].clone(), ns[2].clone(), ns[3].clone())
}

/// Yields `n` times: the other request runs that many storage operations first.
async fn after(n: usize) {
    for _ in 0..n {
        YieldOnce(false).await;
    }
}

/// A charge (load: the agreement with its ledger in one read; reserve) and a revocation (read, write,
/// read back) on one agreement, interleaved every way a few operations apart, KV store: whatever the
/// order, the stored agreement ends revoked, a charge that holds its slot keeps its attempt in the
/// ledger, and in some orders the revocation was overwritten by the charge and written again (its
/// revision went up twice).
#[test]
fn a_revocation_racing_a_charge_stands() {
    let mut repaired = 0;
    for (charge_first, offset) in [true, false].into_iter().flat_map(|f| (0..5).map(move |o| (f, o))) {
        let ns: [Shared; 4] = Default::default();
        block_on(request(&ns).put_agreement(&record())).unwrap();
        let (c, d) = (request(&ns), request(&ns));
        let charge = async {
            after(if charge_first { 0 } else { offset }).await;
            let record = c.agreement("demo", "pay_1").await.unwrap().unwrap();
            let mut e = bare("2026-06-01T12:00:00Z");
            e.agreement = Some(record.agreement);
            e.history.attempts = c.ledger("demo", "pay_1").await.unwrap().attempts;
            c.attempt_store().reserve(KEY, Charge { evaluation: e, attempt_id: "att_c" }).await
        };
        let revoke = async {
            after(if charge_first { offset } else { 0 }).await;
            let mut record = d.agreement("demo", "pay_1").await.unwrap().unwrap();
            let at = mitgate_core::time::Timestamp::parse("2026-06-01T12:00:00Z").unwrap();
            record.agreement = mitgate_core::state::revoke(&record.agreement, at, "customer_removed_card");
            d.put_agreement(&record).await
        };
        let (charged, revoked) = interleave(charge, revoke);
        revoked.unwrap();
        let end = block_on(request(&ns).read_held("demo", "pay_1")).unwrap().unwrap();
        let case = format!("charge first {charge_first}, offset {offset}: {charged:?}");
        assert_eq!(end.record.agreement.status, mitgate_core::model::AgreementStatus::Revoked, "{case}");
        match &charged {
            Ok(Reservation::Reserved { .. }) => {
                assert!(
                    end.attempts.iter().any(|a| a.id == "att_c" && a.status == AttemptStatus::Pending),
                    "{case}"
                );
            }
            Ok(Reservation::Refused(d)) => assert_eq!(d.http_status, 403, "{case}"),
            Err(ReserveError::Raced) => assert!(end.attempts.iter().all(|a| a.id != "att_c"), "{case}"),
            Err(e) => panic!("{case}: {e:?}"),
        }
        if end.revision > 2 {
            repaired += 1;
        }
    }
    assert!(repaired > 0, "some order overwrote the revocation and it was written again");
}

/// The layout before the ledger moved into the agreement's value: a record without `attempts` and the
/// ledger at `attempts/v2/...` in VELOCITY. It is read once and folded in (a charge decides on it), and
/// the next write of the value carries it, so the old value is not read again.
#[test]
fn an_old_separate_ledger_is_folded_in() {
    let ns: [Shared; 4] = Default::default();
    let old = record();
    block_on(ns[0].0 .0.put("agreement/v2/demo/pay_1", &serde_json::to_string(&old).unwrap(), None)).unwrap();
    let ledger = r#"{"attempts": [{"id": "att_old", "at": "2026-06-01T11:00:00Z", "amount": {"amount": "10.00", "currency": "USD"}, "status": "approved", "resolvedAt": "2026-06-01T11:00:01Z"}]}"#;
    block_on(ns[2].0 .0.put("attempts/v2/demo/pay_1", ledger, None)).unwrap();
    let first = request(&ns);
    let e = evaluation(&first, "2026-06-01T12:00:00Z");
    assert_eq!(e.history.attempts.len(), 1, "folded in on read");
    assert_eq!(first.counters.kv_reads.get(), 2, "the agreement's value and, once, the old ledger");
    let Reservation::Refused(refusal) =
        block_on(first.attempt_store().reserve(KEY, Charge { evaluation: e, attempt_id: "att_new" }))
            .unwrap()
    else {
        panic!("the old ledger's attempt counts (maxCount 1)")
    };
    assert_eq!(refusal.http_status, 429);
    // A writer of the value (a PUT) writes the ledger into it.
    let writer = request(&ns);
    let mut record = block_on(writer.agreement("demo", "pay_1")).unwrap().unwrap();
    record.updated_at = mitgate_core::time::Timestamp::parse("2026-06-01T12:00:00Z").unwrap();
    block_on(writer.put_agreement(&record)).unwrap();
    let stored: serde_json::Value =
        serde_json::from_str(&ns[0].0 .0.map.borrow()["agreement/v2/demo/pay_1"]).unwrap();
    assert_eq!(stored["attempts"][0]["id"], "att_old", "{stored}");
    let later = request(&ns);
    assert_eq!(block_on(later.attempts("demo", "pay_1")).unwrap().attempts.len(), 1);
    assert_eq!(later.counters.kv_reads.get(), 1, "the old ledger is not read again");
}
