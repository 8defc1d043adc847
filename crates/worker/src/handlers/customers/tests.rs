use crate::app::{App, Call, Config};
use crate::handlers::agreements;
use crate::http::HttpRequest;
use crate::store::memory::MemoryKv;
use crate::store::Stores;
use crate::test_util::block_on;
use mitgate_core::time::Timestamp;

fn agreement(id: &str, merchant: &str, customer: &str) -> HttpRequest {
    let body = format!(
        r#"{{"agreement": {{"id": "{id}", "merchantId": "{merchant}", "customerId": "{customer}",
        "type": "unscheduled", "established": {{"method": "zero_auth", "at": "2026-05-30T00:00:00Z"}},
        "currency": "USD", "paymentMethod": {{"type": "card"}}, "credential": {{"token": "tok_{id}"}},
        "consent": {{"storeCredential": true, "merchantInitiated": true}}}}}}"#
    );
    HttpRequest {
        method: "PUT".into(),
        path: format!("/v1/agreements/{id}"),
        body: body.into_bytes(),
        ..HttpRequest::default()
    }
}

#[test]
fn a_customer_s_agreements_newest_first_and_only_the_caller_s() {
    let stores =
        Stores::new(MemoryKv::default(), MemoryKv::default(), MemoryKv::default(), MemoryKv::default());
    let config = Config::default();
    let new_id = || "att_1".to_string();
    let app = App {
        stores: &stores,
        processor: &(),
        config: &config,
        now: Timestamp::parse("2026-06-01T12:00:00Z").unwrap(),
        new_id: &new_id,
    };
    for (id, merchant, customer) in
        [("a1", "m1", "c1"), ("a2", "m1", "c1"), ("a3", "m1", "c2"), ("b1", "m2", "c1"), ("a1", "m1", "c1")]
    {
        let r = block_on(agreements::put(
            &app,
            &crate::handlers::testkit::on(merchant, id, &agreement(id, merchant, customer)),
        ));
        assert!(r.is_ok(), "{id}: {r:?}");
    }
    let ids = |merchant: &str, customer: &str| {
        let r = block_on(super::agreements(
            &app,
            &Call { customer, ..Call::new(merchant, &HttpRequest::default()) },
        ))
        .unwrap();
        assert_eq!(r.status, 200);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["customerId"], customer);
        v["agreements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["agreement"]["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    // a1 was written again last: it comes first; a3 is another customer's, b1 another merchant's.
    assert_eq!(ids("m1", "c1"), ["a1", "a2"]);
    assert_eq!(ids("m1", "c2"), ["a3"]);
    assert_eq!(ids("m2", "c1"), ["b1"]);
    assert!(ids("m1", "nobody").is_empty());
}
