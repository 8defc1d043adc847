#![allow(clippy::type_complexity, reason = "the fixtures' tuple types are spelt once")]
use mitgate_core::json::from_str;
use mitgate_core::model::{Agreement, Attempt};
use mitgate_core::time::Timestamp;
use mitgate_dialects::DialectId;

use super::durable_object::{ObjectOp, OpKind};
use super::indexes::{ATTEMPT_REF, PAYMENT, PENDING_CIT, TOKEN};
use super::keys::idempotency_key;
use super::*;
use crate::http::HttpResponse;

/// A merge whose latest ledger cannot be read writes nothing: a concurrent reservation survives.
#[test]
fn merge_attempt_never_writes_a_stale_ledger() {
    use crate::test_util::block_on;
    use memory::MemoryKv;
    let stores =
        Stores::new(MemoryKv::default(), MemoryKv::default(), MemoryKv::default(), MemoryKv::default());
    let attempt = |id: &str, status: &str| -> Attempt {
        from_str(&format!(
            r#"{{"id": "{id}", "at": "2026-04-10T12:00:00Z", "amount": {{"amount": "1.00", "currency": "USD"}}, "status": "{status}"}}"#
        ))
        .unwrap()
    };
    let both = AttemptLedger { attempts: vec![attempt("att_a", "pending"), attempt("att_b", "pending")] };
    block_on(stores.put_agreement(&record("m", "agr"))).unwrap();
    block_on(stores.put_attempts("m", "agr", &both)).unwrap();
    *stores.agreements.fail_reads.borrow_mut() = true;
    assert!(block_on(stores.merge_attempt("m", "agr", &attempt("att_a", "approved"))).is_err());
    *stores.agreements.fail_reads.borrow_mut() = false;
    let ledger = block_on(stores.attempts("m", "agr")).unwrap();
    assert_eq!(ledger.attempts, both.attempts, "att_b (reserved concurrently) is still there");
    block_on(stores.merge_attempt("m", "agr", &attempt("att_a", "approved"))).unwrap();
    let ledger = block_on(stores.attempts("m", "agr")).unwrap();
    assert_eq!(ledger.attempts.len(), 2);
}

/// An agreement record of merchant `m` with id `id`.
pub(super) fn record(m: &str, id: &str) -> AgreementRecord {
    from_str(&format!(
        r#"{{"agreement": {{"id": "{id}", "merchantId": "{m}", "type": "unscheduled",
            "established": {{"method": "zero_auth", "at": "2026-05-30T00:00:00Z"}}, "currency": "USD",
            "paymentMethod": {{"type": "card", "brand": "visa"}}, "credential": {{"token": "tok_1"}},
            "consent": {{"storeCredential": true, "merchantInitiated": true}}}},
        "createdAt": "2026-05-30T00:00:00Z", "updatedAt": "2026-05-30T00:00:00Z"}}"#
    ))
    .unwrap()
}

/// Key components are joined with `/`: with merchant ids that cannot hold one (auth.rs), no two
/// (merchant, component) pairs give the same key, whatever the second component holds.
#[test]
fn merchant_keys_never_collide() {
    let token_key = |m: &str, t: &str| TOKEN.key(m, t);
    let builders: [&dyn Fn(&str, &str) -> String; 5] = [
        &token_key,
        &|m, p| PAYMENT.key(m, p),
        &|m, r| PENDING_CIT.key(m, r),
        &|m, r| ATTEMPT_REF.key(m, r),
        &idempotency_key,
    ];
    let pairs = [("a", "b/c"), ("a/b", "c"), ("a", "b"), ("ab", "c"), ("a", "/b/c"), ("a/", "b/c")];
    for build in builders {
        let mut seen = std::collections::BTreeMap::new();
        for (merchant, rest) in pairs.iter().filter(|(m, _)| crate::auth::valid_merchant_id(m)) {
            if let Some(other) = seen.insert(build(merchant, rest), (*merchant, *rest)) {
                panic!("{merchant}/{rest} collides with {other:?}");
            }
        }
        assert_eq!(seen.len(), 4, "a/b and a/ are not merchant ids");
    }
    assert!(!crate::auth::valid_merchant_id("a/b"));
    assert_eq!(token_key("a", "b/c"), token_key("a/b", "c"), "why merchant ids may not hold `/`");
}

/// What the store writes reads back to the same value; unknown members of a record are refused.
#[test]
fn records_read_back() {
    let at = Timestamp::parse("2026-06-01T12:00:00Z").unwrap();
    let agreement: Agreement = from_str(
        r#"{"id": "a1", "merchantId": "demo", "type": "unscheduled",
            "established": {"method": "zero_auth", "at": "2026-05-30T00:00:00Z"}, "currency": "USD",
            "paymentMethod": {"type": "card", "brand": "visa"}, "credential": {"token": "tok_1"},
            "consent": {"storeCredential": true, "merchantInitiated": true}}"#,
    )
    .unwrap();
    let mut processor_context = crate::store::ProcessorContext::new();
    processor_context.insert("terminalId".into(), mitgate_json::RawJson::string("11111"));
    // Kept as written: spacing, `2.50`, a number beyond f64.
    let n = r#"[1, -2, 2.50, 1e400, null, {"b": true}]"#;
    processor_context.insert("n".into(), mitgate_json::RawJson::parse(n).unwrap());
    let record = AgreementRecord {
        agreement,
        payments: vec![],
        dialect: Some(DialectId::Spg),
        processor_context,
        created_at: at,
        updated_at: at,
        rev: 0,
    };
    let stored = encode(&record).unwrap();
    assert!(
        stored.contains(
            r#""processorContext":{"n":[1, -2, 2.50, 1e400, null, {"b": true}],"terminalId":"11111"}"#
        ),
        "{stored}"
    );
    assert_eq!(from_str::<AgreementRecord>(&stored).unwrap(), record);
    let response =
        HttpResponse::json(402, &serde_json::json!({"declineCode": "8026"})).with_header("retry-after", "1");
    let idem = IdempotencyRecord { response: Some(response), ..IdempotencyRecord::pending("f".into(), at) };
    assert_eq!(from_str::<IdempotencyRecord>(&encode(&idem).unwrap()).unwrap(), idem);
    let link = AttemptRef { agreement_id: "a1".into(), attempt_id: "att_1".into() };
    assert_eq!(from_str::<AttemptRef>(&encode(&link).unwrap()).unwrap(), link);
    let ledger = AttemptLedger::default();
    assert_eq!(from_str::<AttemptLedger>(&encode(&ledger).unwrap()).unwrap(), ledger);
    let e = from_str::<AttemptRef>(r#"{"agreementId": "a", "attemptId": "b", "x": 1}"#).unwrap_err();
    assert_eq!(e.path, "x");
    let e = from_str::<IdempotencyRecord>(
        r#"{"fingerprint": "f", "createdAt": "2026-06-01T12:00:00Z",
            "response": {"status": 200, "headers": [["a"]], "body": ""}}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "response.headers[0]");
}

#[test]
fn object_operations_read_back() {
    let op = ObjectOp {
        attempt_id: "att_1".into(),
        now: Some(Timestamp::parse("2026-06-01T12:00:00Z").unwrap()),
        ..ObjectOp::new(OpKind::IdempotencyClaim)
    };
    let back: ObjectOp = from_str(&encode(&op).unwrap()).unwrap();
    assert_eq!((back.op, back.attempt_id, back.now, back.body), (op.op, op.attempt_id, op.now, op.body));
    assert!(from_str::<ObjectOp>(r#"{"op": "explode"}"#).unwrap_err().message.starts_with("unknown variant"));
}

/// The isolate's policy cache: one `POLICIES` read per merchant per `POLICY_TTL_SECONDS`, a policy written
/// through it is seen at once, and one written elsewhere is seen once the entry is older than the TTL.
#[test]
fn policies_are_read_once_per_ttl() {
    use crate::test_util::block_on;
    use memory::MemoryKv;
    let mut stores =
        Stores::new(MemoryKv::default(), MemoryKv::default(), MemoryKv::default(), MemoryKv::default());
    let cache = Rc::new(PolicyCache::default());
    let t0 = Timestamp::parse("2026-04-10T12:00:00Z").unwrap();
    let policy =
        |max: u32| -> Policy { from_str(&format!(r#"{{"enabled": true, "maxCount": {max}}}"#)).unwrap() };
    // A request of this isolate at `now`: its clock, and its own counters.
    fn request<'a>(
        stores: &'a mut Stores<MemoryKv>,
        cache: &Rc<PolicyCache>,
        now: Timestamp,
    ) -> &'a Stores<MemoryKv> {
        stores.policy_cache = Some((cache.clone(), now));
        stores.counters = Counters::default();
        stores
    }
    block_on(request(&mut stores, &cache, t0).put_policy("m", &policy(5))).unwrap();
    let s = request(&mut stores, &cache, t0.plus_seconds(1));
    assert_eq!(block_on(s.policy("m")).unwrap(), Some(policy(5)), "the write is seen at once");
    assert_eq!(s.counters.kv_reads.get(), 0, "from the cache");
    // Another isolate replaces it (straight into the namespace).
    block_on(s.policies.put(&keys::policy_key("m"), &encode(&policy(7)).unwrap(), None)).unwrap();
    let s = request(&mut stores, &cache, t0.plus_seconds(POLICY_TTL_SECONDS - 1));
    assert_eq!(block_on(s.policy("m")).unwrap(), Some(policy(5)), "within the TTL: the cached one");
    assert_eq!(s.counters.kv_reads.get(), 0);
    let s = request(&mut stores, &cache, t0.plus_seconds(POLICY_TTL_SECONDS));
    assert_eq!(block_on(s.policy("m")).unwrap(), Some(policy(7)), "at the TTL: read again");
    assert_eq!(s.counters.kv_reads.get(), 1);
    let s = request(&mut stores, &cache, t0.plus_seconds(POLICY_TTL_SECONDS + 1));
    assert_eq!(block_on(s.policy("m")).unwrap(), Some(policy(7)));
    assert_eq!(s.counters.kv_reads.get(), 0, "kept from the read before");
    // A clock behind the entry never uses it; an unknown merchant is read once (its absence is kept).
    let s = request(&mut stores, &cache, t0);
    assert_eq!(block_on(s.policy("m")).unwrap(), Some(policy(7)));
    assert_eq!(s.counters.kv_reads.get(), 1);
    let s = request(&mut stores, &cache, t0.plus_seconds(20));
    assert_eq!(block_on(s.policy("other")).unwrap(), None);
    assert_eq!(block_on(s.policy("other")).unwrap(), None);
    assert_eq!(s.counters.kv_reads.get(), 1);
}

/// A customer's index is read at most once per isolate per `POLICY_TTL_SECONDS` (as a policy), a merge
/// this isolate made is seen at once (the object answers the index as merged), and another isolate's merge
/// is seen once the TTL has passed: with the KV store and with the Durable Object store.
#[test]
fn customer_indexes_are_read_once_per_ttl() {
    use crate::test_util::block_on;
    use customer_index::{CustomerAdd, CustomerPayment};
    use memory::MemoryKv;
    let pay = |id: &str, amount: &str| {
        CustomerPayment {
        agreement_id: id.into(),
        payment: from_str(&format!(
            r#"{{"id": "{id}", "at": "2026-04-10T11:00:00Z", "amount": {{"amount": "{amount}", "currency": "USD"}}, "cvvVerified": true}}"#
        ))
        .unwrap(),
    }
    };
    let add = |p: CustomerPayment| CustomerAdd { payments: vec![p], lookback: None };
    let t0 = Timestamp::parse("2026-04-10T12:00:00Z").unwrap();
    // A request of an isolate (`cache`) at `now`, with its own counters.
    fn step(stores: &mut Stores<MemoryKv>, cache: &Rc<PolicyCache>, now: Timestamp) {
        stores.policy_cache = Some((cache.clone(), now));
        stores.counters = Counters::default();
    }
    let reads = |s: &Stores<MemoryKv>| s.counters.kv_reads.get() + s.counters.do_calls.get();
    let ids = |s: &Stores<MemoryKv>| -> Vec<String> {
        block_on(s.customer_index("m", "c")).unwrap().payments.into_iter().map(|p| p.payment.id).collect()
    };
    for objects in [false, true] {
        let kv = MemoryKv::default;
        let mut stores = Stores::new(kv(), kv(), kv(), kv());
        if objects {
            stores = stores.with_objects(kv());
        }
        let mine = Rc::new(PolicyCache::default());
        step(&mut stores, &mine, t0);
        block_on(stores.add_customer_payments("m", "c", &add(pay("a", "10.00")), t0)).unwrap();
        step(&mut stores, &mine, t0.plus_seconds(1));
        assert_eq!(ids(&stores), ["a"], "objects {objects}: the merge is seen at once");
        assert_eq!(reads(&stores), 0, "objects {objects}: from the cache");
        // Another isolate merges a larger payment.
        step(&mut stores, &Rc::new(PolicyCache::default()), t0.plus_seconds(1));
        block_on(stores.add_customer_payments("m", "c", &add(pay("b", "20.00")), t0)).unwrap();
        step(&mut stores, &mine, t0.plus_seconds(POLICY_TTL_SECONDS - 1));
        assert_eq!(ids(&stores), ["a"], "objects {objects}: within the TTL, the copy (a lower ceiling)");
        assert_eq!(reads(&stores), 0);
        step(&mut stores, &mine, t0.plus_seconds(POLICY_TTL_SECONDS));
        assert_eq!(ids(&stores), ["b"], "objects {objects}: read again after the TTL (b outranks a)");
        assert_eq!(reads(&stores), 1);
    }
}
