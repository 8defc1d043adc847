use super::*;
use crate::store::memory::MemoryKv;
use crate::test_util::block_on;

fn evaluation(now: &str) -> String {
    format!(
        r#"{{"now": "{now}",
        "policy": {{"enabled": true, "maxCount": 1, "period": 86400, "maxMultiple": 3, "maxZeroAuthAmount": {{"cents": 2000}}}},
        "agreement": {{"id": "pay_1", "merchantId": "demo", "type": "unscheduled",
            "established": {{"method": "zero_auth", "at": "2026-05-30T00:00:00Z"}}, "currency": "USD",
            "paymentMethod": {{"type": "card", "brand": "visa"}}, "credential": {{"token": "tok_1"}},
            "consent": {{"storeCredential": true, "merchantInitiated": true}}}},
        "history": {{"payments": [], "attempts": []}},
        "request": {{"merchantId": "demo", "reference": "pay_1", "amount": {{"amount": "10.00", "currency": "USD"}}}}}}"#
    )
}

fn reserve(kv: &MemoryKv, state: &mut ObjectState, now: &str, id: &str) -> Reservation {
    let op = ObjectOp { body: evaluation(now), attempt_id: id.into(), ..ObjectOp::new(OpKind::Charge) };
    mitgate_core::json::from_str(&block_on(apply(kv, state, op)).unwrap()).unwrap()
}

#[test]
fn reserve_is_check_and_reserve() {
    let (kv, mut state) = (MemoryKv::default(), ObjectState::default());
    let first = reserve(&kv, &mut state, "2026-06-01T12:00:00Z", "a1");
    assert!(first.reserved);
    assert!(first.attempts.is_empty(), "the ledger the decision was made on");
    let second = reserve(&kv, &mut state, "2026-06-01T12:00:01Z", "a2");
    assert!(!second.reserved, "maxCount 1");
    assert_eq!(second.attempts.len(), 1);
}

#[test]
fn time_never_runs_backwards_per_agreement() {
    let (kv, mut state) = (MemoryKv::default(), ObjectState::default());
    assert!(reserve(&kv, &mut state, "2026-06-01T12:00:05Z", "a1").reserved);
    // A request whose clock was read earlier arrives later: it still sees a1 in its window.
    let late = reserve(&kv, &mut state, "2026-06-01T12:00:00Z", "a2");
    assert!(!late.reserved);
    assert_eq!(late.now, Timestamp::parse("2026-06-01T12:00:05Z").unwrap());
}

#[test]
fn idempotency_claims_once_and_expires() {
    let (kv, mut state) = (MemoryKv::default(), ObjectState::default());
    let at = Timestamp::parse("2026-06-01T12:00:00Z").unwrap();
    let record = IdempotencyRecord::pending("f".into(), at);
    let claim = || ObjectOp::new(OpKind::IdempotencyClaim).with_body(&record).unwrap();
    assert_eq!(block_on(apply(&kv, &mut state, claim())).unwrap(), "null", "claimed");
    let again: Option<IdempotencyRecord> =
        mitgate_core::json::from_str(&block_on(apply(&kv, &mut state, claim())).unwrap()).unwrap();
    assert_eq!(again, Some(record.clone()), "the second claim gets the first record");
    let later = ObjectOp { now: Some(at.plus_seconds(86_401)), ..ObjectOp::new(OpKind::IdempotencyGet) };
    assert_eq!(block_on(apply(&kv, &mut state, later)).unwrap(), "null", "expired after 24 hours");
    // From storage alone (an evicted object) the same.
    let fresh = ObjectOp { now: Some(at), ..ObjectOp::new(OpKind::IdempotencyGet) };
    let stored: Option<IdempotencyRecord> =
        mitgate_core::json::from_str(&block_on(apply(&kv, &mut ObjectState::default(), fresh)).unwrap())
            .unwrap();
    assert_eq!(stored, Some(record));
}

/// The ledger is read from storage once and kept parsed: 50 reservations, one load. Storage always
/// holds what memory holds (an evicted object, starting empty, decides the same), and a write that fails
/// leaves memory as storage is.
#[test]
fn the_object_keeps_its_ledger_parsed_between_requests() {
    let (kv, mut state) = (MemoryKv::default(), ObjectState::default());
    for i in 0..50 {
        reserve(&kv, &mut state, &format!("2026-06-{:02}T12:00:00Z", 1 + i % 28), &format!("a{i}"));
    }
    assert_eq!(state.loads, 1, "read from storage once");
    let ledger =
        |state: &mut ObjectState| block_on(apply(&kv, state, ObjectOp::new(OpKind::Ledger))).unwrap();
    let kept = ledger(&mut state);
    assert_eq!(kept, ledger(&mut ObjectState::default()), "storage holds what memory holds");
    assert_eq!(state.loads, 1);
    // A reservation whose write fails: nothing reserved, in storage or in memory.
    *kv.fail_writes.borrow_mut() = true;
    let op = ObjectOp {
        body: evaluation("2026-07-01T12:00:00Z"),
        attempt_id: "x".into(),
        ..ObjectOp::new(OpKind::Charge)
    };
    assert!(block_on(apply(&kv, &mut state, op)).is_err());
    *kv.fail_writes.borrow_mut() = false;
    assert_eq!(ledger(&mut state), kept, "the failed write is not in memory");
    assert!(!kept.contains("\"x\""));
}
