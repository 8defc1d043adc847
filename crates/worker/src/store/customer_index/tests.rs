use super::*;
use mitgate_core::engine::{self, LimitsQuery};
use mitgate_core::model::{Agreement, History};
use mitgate_core::policy::Policy;

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn pay(id: &str, amount: &str, when: &str) -> CustomerPayment {
    CustomerPayment {
        agreement_id: id.into(),
        payment: mitgate_core::json::from_str(&format!(
            r#"{{"id": "{id}", "at": "{when}", "amount": {{"amount": "{amount}", "currency": "USD"}}, "cvvVerified": true}}"#
        ))
        .unwrap(),
    }
}

fn record(id: &str, customer: Option<&str>) -> AgreementRecord {
    let customer = customer.map_or(String::new(), |c| format!(r#""customerId": "{c}","#));
    let agreement: Agreement = mitgate_core::json::from_str(&format!(
        r#"{{"id": "{id}", "merchantId": "demo", {customer} "type": "unscheduled",
            "established": {{"method": "cvv_purchase", "at": "2026-05-01T00:00:00Z", "amount": {{"amount": "10.00", "currency": "USD"}}}},
            "currency": "USD", "paymentMethod": {{"type": "card"}}, "credential": {{"token": "tok"}},
            "consent": {{"storeCredential": true, "merchantInitiated": true}}}}"#
    ))
    .unwrap();
    AgreementRecord {
        agreement,
        payments: vec![pay(id, "10.00", "2026-05-01T00:00:00Z").payment],
        dialect: None,
        processor_context: crate::store::ProcessorContext::new(),
        created_at: at("2026-05-01T00:00:00Z"),
        updated_at: at("2026-05-01T00:00:00Z"),
        rev: 0,
    }
}

/// Document 001's example 1: 10, 6, 12, 40 leave only 40 (the others are older and smaller).
#[test]
fn example_1_keeps_the_forty() {
    let mut index = CustomerIndex::default();
    let now = at("2026-05-05T00:00:00Z");
    for (id, amount, when) in [
        ("p10", "10.00", "2026-05-01T00:00:00Z"),
        ("p6", "6.00", "2026-05-02T00:00:00Z"),
        ("p12", "12.00", "2026-05-03T00:00:00Z"),
        ("p40", "40.00", "2026-05-04T00:00:00Z"),
    ] {
        merge(&mut index, vec![pay(id, amount, when)], now, Some(2_592_000));
    }
    let ids: Vec<&str> = index.payments.iter().map(|p| p.payment.id.as_str()).collect();
    assert_eq!(ids, ["p40"]);
    // A later smaller one stays: it will be the base once the 40 leaves the lookback.
    merge(&mut index, vec![pay("p5", "5.00", "2026-05-05T00:00:00Z")], now, Some(2_592_000));
    assert_eq!(index.payments.len(), 2);
    // Out of the lookback: gone.
    merge(&mut index, vec![], at("2026-06-03T00:00:01Z"), Some(2_592_000));
    let ids: Vec<&str> = index.payments.iter().map(|p| p.payment.id.as_str()).collect();
    assert_eq!(ids, ["p5"]);
}

#[test]
fn the_cap_keeps_the_largest() {
    let mut index = CustomerIndex::default();
    let now = at("2026-05-05T00:00:00Z");
    // Strictly decreasing amounts over time: none dominates another.
    let new: Vec<CustomerPayment> = (0..40)
        .map(|i| pay(&format!("p{i}"), &format!("{}.00", 100 - i), &format!("2026-05-01T00:{i:02}:00Z")))
        .collect();
    merge(&mut index, new, now, None);
    assert_eq!(index.payments.len(), MAX_PER_CURRENCY);
    assert_eq!(index.payments[0].payment.id, "p0");
}

#[test]
fn agreements_without_a_customer_index_nothing() {
    assert!(indexable(&record("a1", None)).is_empty());
    let with = indexable(&record("a1", Some("c1")));
    assert_eq!(with.len(), 1, "the listed initial payment, once");
    let mut unlisted = record("a2", Some("c1"));
    unlisted.payments.clear();
    assert_eq!(indexable(&unlisted)[0].payment.id, "a2", "the initial CVV purchase stands for itself");
}

#[test]
fn names_escape_the_merchant_and_hash_the_customer() {
    assert_ne!(index_name("a/b", "c"), index_name("a", "b/c"));
    assert!(index_name("m", "4111111111111111").starts_with("m/"));
    assert!(!index_name("m", "4111111111111111").contains("4111111111111111"));
    assert_eq!(index_name("m%2Fx", "c").split('/').next(), Some("m%252Fx"));
}

/// Pruning never changes the engine's base: any order of adds, any later `now`, compared with the
/// base over every payment ever added.
#[test]
fn pruning_keeps_the_engines_base() {
    let amounts = ["10.00", "6.00", "12.00", "40.00", "40.00", "3.00", "25.00", "12.00"];
    let lookback = 3 * 86_400;
    let policy: Policy = mitgate_core::json::from_str(&format!(
        r#"{{"enabled": true, "maxMultiple": 3, "maxZeroAuthAmount": {{"cents": 2000}}, "maxAmountLookback": {lookback}}}"#
    ))
    .unwrap();
    let mut rec = record("own", Some("c1"));
    rec.payments.clear();
    rec.agreement.established.method = EstablishmentMethod::ZeroAuth;
    for rotation in 0..amounts.len() {
        let mut index = CustomerIndex::default();
        let mut all = Vec::new();
        for step in 0..amounts.len() {
            let i = (step + rotation) % amounts.len();
            let p = pay(&format!("p{i}"), amounts[i], &format!("2026-05-0{}T{:02}:00:00Z", 1 + i / 3, i));
            let write_now = at("2026-05-04T00:00:00Z");
            all.push(p.clone());
            merge(&mut index, vec![p], write_now, Some(lookback));
        }
        for day in
            ["2026-05-04T00:00:00Z", "2026-05-05T01:30:00Z", "2026-05-06T03:00:00Z", "2026-05-07T12:00:00Z"]
        {
            let base = |payments: Vec<Payment>| {
                let q = LimitsQuery {
                    now: at(day),
                    policy: policy.clone(),
                    agreement: rec.agreement.clone(),
                    history: History { payments, ..History::default() },
                };
                let c = engine::limits(&q).ceiling;
                (c.amount, c.policy.and_then(|p| p.base_payment_id))
            };
            let full = base(all.iter().map(|p| p.payment.clone()).collect());
            let pruned = base(history_payments(&rec, &index));
            assert_eq!(pruned, full, "rotation {rotation}, at {day}");
        }
    }
}
