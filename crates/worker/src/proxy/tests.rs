//! The drop-in proxies over memory: fail closed, forwarding, headers, customer-level history.

use mitgate_dialects::DialectId;

use super::mit::card_data_path;
use crate::app::Forwarded;
use crate::handlers::testkit::*;
use crate::handlers::{agreements, decisions};
use crate::http::{HttpRequest, HttpResponse};

/// The card-data walk renders only the path it reports, however wide the body (issue 15, item 9).
#[test]
fn card_data_walk_renders_only_what_it_reports() {
    let items = vec![r#"{"sku": "a", "qty": 2}"#; 5000].join(",");
    let clean = format!(r#"{{"items": [{items}]}}"#);
    let dirty = format!(r#"{{"items": [{items}, {{"note": "4111 1111 1111 1111"}}]}}"#);
    crate::tree::RENDERED.with(|n| n.set(0));
    let root = mitgate_core::json::Path::root("");
    assert_eq!(card_data_path(&mitgate_core::json::parse(&clean).unwrap(), &root), None);
    assert_eq!(crate::tree::RENDERED.with(std::cell::Cell::get), 0);
    let found = card_data_path(&mitgate_core::json::parse(&dirty).unwrap(), &root);
    assert_eq!(found.as_deref(), Some("items[5000].note"));
    assert_eq!(crate::tree::RENDERED.with(std::cell::Cell::get), 1);
}

/// Walking a body is work in proportion to its size, not elements × path length (issue 15, item 9), counted
/// as the bytes each walk allocates (not time): 1,000 and then 10,000 elements under a key as long as the
/// array, so the document grows tenfold. The walks may allocate tenfold (at most ×15 here); rebuilding the
/// whole path per element, as they did before, allocated about a hundredfold (each element's path holds
/// the key).
#[test]
fn walks_allocate_in_proportion_to_the_document() {
    let walk_bytes = |n: usize| {
        let key = "k".repeat(n);
        let items = vec![r#"{"sku": "a", "qty": 2}"#; n].join(",");
        let text = format!(r#"{{"{key}": [{items}]}}"#);
        let value = mitgate_core::json::parse(&text).unwrap();
        let root = mitgate_core::json::Path::root("");
        let duplicate = allocation_counter::measure(|| assert_eq!(crate::tree::duplicate_path(&value), None));
        let card = allocation_counter::measure(|| assert_eq!(card_data_path(&value, &root), None));
        (duplicate.bytes_total, card.bytes_total)
    };
    let (small, large) = (walk_bytes(1_000), walk_bytes(10_000));
    for (walk, small, large) in [("duplicate_path", small.0, large.0), ("card_data_path", small.1, large.1)] {
        assert!(small > 0, "{walk}: allocations are counted (the counting allocator is installed)");
        assert!(large <= 15 * small, "{walk}: {small} B for 1,000 elements, {large} B for 10,000");
    }
}

const MIT_9000: &str = r#"{"subtotal": {"cents": 900000, "currency": "USD"}, "originalPaymentId": "pay_1"}"#;
const MIT_10: &str = r#"{"subtotal": {"cents": 1000, "currency": "USD"}, "originalPaymentId": "pay_1"}"#;

/// Issue 11: look-alikes of the MIT route are 404 in Coinflow's words and never reach the processor;
/// the route itself, spelt exactly, is decided.
#[test]
fn proxy_fails_closed_on_unknown_routes() {
    let w = seeded();
    for path in [
        "/coinflow/api/checkout/Merchant-Initiated-Transaction",
        "/coinflow/api//checkout/merchant-initiated-transaction",
        "/coinflow/api/checkout/merchant%2Dinitiated-transaction",
        "/coinflow/api/checkout/merchant-initiated-transaction/",
        "/coinflow/api/checkout/merchant-initiated-transaction;jsessionid=1",
        "/coinflow/api/checkout/refund",
        "/coinflow",
        "/coinflowx/api/checkout/merchant-initiated-transaction",
    ] {
        let r = proxy(&w, "POST", path, "", MIT_9000, &[("x-user-id", "customer-123")]);
        assert_eq!(r.status, 404, "{path}");
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            (v["message"].as_str(), v["mitgate"]["code"].as_str()),
            (Some("Not Found"), Some("route_not_found"))
        );
    }
    let get = proxy(&w, "GET", "/coinflow/api/checkout/merchant-initiated-transaction", "", "", &[]);
    assert_eq!(get.status, 404);
    let query =
        proxy(&w, "POST", "/coinflow/api/checkout/merchant-initiated-transaction", "cents=1", MIT_10, &[]);
    assert_eq!(query.status, 400, "no query string on a payment route");
    assert!(w.processor.sent.borrow().is_empty(), "nothing reached the processor");
    let refused =
        proxy(&w, "POST", "/coinflow/api/checkout/merchant-initiated-transaction", "", MIT_9000, &[]);
    assert_eq!(refused.status, 410, "decided: above the ceiling");
    assert!(w.processor.sent.borrow().is_empty());
    let allowed = proxy(&w, "POST", "/coinflow/api/checkout/merchant-initiated-transaction", "", MIT_10, &[]);
    assert_eq!(allowed.status, 200, "{}", String::from_utf8_lossy(&allowed.body));
    let sent = w.processor.sent.borrow();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url, "http://processor.test/api/checkout/merchant-initiated-transaction");
}

/// The read-only allowlist: Infinic's status read is forwarded with its query, without a body; other
/// methods on that path are not.
#[test]
fn proxy_forwards_the_read_only_route() {
    let mut w = seeded();
    w.config.processor_urls.push((DialectId::Infinic, "http://infinic.test".into()));
    let read = |method: &str, body: &str| {
        w.run(|app| {
            let mut r = req(
                method,
                "/infinic/api/intents/550e8400-e29b-41d4",
                body,
                &[("authorization", "Bearer k")],
            );
            r.query = "iauth=tok_1".into();
            block_on(crate::proxy::handle(app, "demo", DialectId::Infinic, &r))
        })
    };
    assert_eq!(read("GET", "{}").status, 200);
    assert_eq!(read("DELETE", "").status, 404);
    assert_eq!(read("POST", "{}").status, 404);
    let sent = w.processor.sent.borrow();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "GET");
    assert_eq!(sent[0].url, "http://infinic.test/api/intents/550e8400-e29b-41d4?iauth=tok_1");
    assert!(sent[0].body.is_empty());
    assert_eq!(sent[0].headers, [("authorization".to_string(), "Bearer k".to_string())]);
}

/// Issue 15 item 7: only allowlisted headers reach the processor; its Set-Cookie is neither passed
/// back nor kept in the idempotency record.
#[test]
fn proxy_forwards_allowlisted_headers_and_drops_cookies() {
    let w = seeded();
    *w.processor.answer.borrow_mut() = Forwarded::Answered(
        HttpResponse::json(200, &serde_json::json!({"paymentId": "pay_mit_1"}))
            .with_header("set-cookie", "session=s3cr3t; HttpOnly"),
    );
    let headers = [
        ("authorization", "coinflow-key"),
        ("content-type", "application/json"),
        ("idempotency-key", "k1"),
        ("cookie", "session=abc"),
        ("forwarded", "for=1.2.3.4;host=evil.test"),
        ("x-forwarded-host", "evil.test"),
        ("x-forwarded-for", "1.2.3.4"),
        ("true-client-ip", "1.2.3.4"),
        ("x-mitgate-test-fault", "kv"),
        ("x-mitgate-key", "sk_test_demo"),
        ("x-mitgate-token-cvv-verified", "false"),
        ("x-sandbox-card", "4000000000000119"),
        ("x-something-else", "1"),
    ];
    let r = proxy(&w, "POST", "/coinflow/api/checkout/merchant-initiated-transaction", "", MIT_10, &headers);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(!r.headers.iter().any(|(k, _)| k == "set-cookie"), "not passed back");
    let sent = w.processor.sent.borrow();
    let names: Vec<&str> = sent[0].headers.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["authorization", "content-type", "idempotency-key"]);
    let stored = w.stores.idempotency.map.borrow();
    assert_eq!(stored.len(), 1);
    assert!(stored.values().all(|v| !v.to_ascii_lowercase().contains("set-cookie") && !v.contains("s3cr3t")));
}

/// A Coinflow card checkout through the proxy, answered with `payment_id`.
fn coinflow_cit(w: &World, payment_id: &str, cents: u32, user: Option<&str>) -> HttpResponse {
    *w.processor.answer.borrow_mut() =
        Forwarded::Answered(HttpResponse::json(200, &serde_json::json!({"paymentId": payment_id})));
    let body =
        format!(r#"{{"subtotal": {{"cents": {cents}, "currency": "USD"}}, "token": "4111114324324111_bt"}}"#);
    let headers: Vec<(&str, &str)> = user.map(|u| ("x-user-id", u)).into_iter().collect();
    proxy(w, "POST", "/coinflow/api/checkout/card/merchant-demo", "", &body, &headers)
}

fn decide(w: &World, reference: &str, amount: &str, user: Option<&str>) -> serde_json::Value {
    let customer = user.map_or(String::new(), |u| format!(r#""customerId": "{u}","#));
    let body = format!(
        r#"{{{customer} "reference": "{reference}", "amount": {{"amount": "{amount}", "currency": "USD"}}}}"#
    );
    let r = w
        .run(|app| block_on(decisions::post(app, &call("demo", &req("POST", "/v1/decisions", &body, &[])))))
        .unwrap();
    serde_json::from_slice(&r.body).unwrap()
}

/// Document 001's example 1 in both stores: 10, 6, 12 and 40 by one customer make 40.00 the base of
/// every one of the four references (120.00 allowed, 120.01 refused, the refusal names the 40.00
/// payment); a customer's new CIT raises the ceiling of their older references at once; another
/// customer, and an agreement without a customer, keep their own base.
#[test]
fn customer_level_history_raises_every_reference() {
    for w in [seeded(), seeded_objects()] {
        for (id, cents) in [("cit_10", 1000), ("cit_6", 600), ("cit_12", 1200)] {
            let r = coinflow_cit(&w, id, cents, Some("customer-123"));
            assert_eq!(r.status, 200);
            assert!(!r.headers.iter().any(|(k, _)| k == "x-mitgate-warning"), "{:?}", r.headers);
        }
        let before = decide(&w, "cit_10", "36.00", Some("customer-123"));
        assert_eq!(before["decision"]["outcome"], "allowed", "12.00 is the base so far: {before}");
        assert_eq!(decide(&w, "cit_10", "36.01", Some("customer-123"))["decision"]["outcome"], "refused");
        assert_eq!(coinflow_cit(&w, "cit_40", 4000, Some("customer-123")).status, 200);
        for reference in ["cit_10", "cit_6", "cit_12", "cit_40"] {
            let ok = decide(&w, reference, "120.00", Some("customer-123"));
            assert_eq!(ok["decision"]["outcome"], "allowed", "{reference}: {ok}");
            let no = decide(&w, reference, "120.01", Some("customer-123"));
            let v = &no["decision"]["violations"][0];
            assert_eq!(v["code"], "amount_above_ceiling", "{reference}: {no}");
            let p = &v["details"]["ceiling"]["policy"];
            assert_eq!(
                (&p["basePaymentId"], &p["base"]["amount"]),
                (&serde_json::json!("cit_40"), &serde_json::json!("40.00")),
                "{no}"
            );
            assert!(p["basePaymentAt"].is_string());
        }
        let limits = w
            .run(|app| block_on(agreements::limits(app, &on("demo", "cit_6", &HttpRequest::default()))))
            .unwrap();
        let limits: serde_json::Value = serde_json::from_slice(&limits.body).unwrap();
        assert_eq!(limits["limits"]["ceiling"]["amount"]["amount"], "120.00", "{limits}");
        assert_eq!(limits["limits"]["ceiling"]["policy"]["basePaymentId"], "cit_40");
        // Another customer of the same merchant: their own 10.00 only.
        assert_eq!(coinflow_cit(&w, "other_10", 1000, Some("customer-456")).status, 200);
        assert_eq!(decide(&w, "other_10", "30.01", Some("customer-456"))["decision"]["outcome"], "refused");
        // No customer: per reference.
        assert_eq!(coinflow_cit(&w, "anon_10", 1000, None).status, 200);
        assert_eq!(decide(&w, "anon_10", "30.00", None)["decision"]["outcome"], "allowed");
        assert_eq!(decide(&w, "anon_10", "30.01", None)["decision"]["outcome"], "refused");
    }
}

/// `PUT /v1/agreements/{id}` indexes the history it carries: a customer's agreement made through the
/// canonical API raises the ceiling of their other agreements too, in both stores.
#[test]
fn put_agreement_indexes_the_customer() {
    for w in [seeded(), seeded_objects()] {
        let put = |id: &str, amount: &str| {
            let body = format!(
                r#"{{"agreement": {{"id": "{id}", "merchantId": "demo", "customerId": "c-9", "type": "unscheduled",
                    "established": {{"method": "cvv_purchase", "at": "2026-05-30T00:00:00Z", "amount": {{"amount": "{amount}", "currency": "USD"}}}},
                    "currency": "USD", "paymentMethod": {{"type": "card"}}, "credential": {{"token": "tok_{id}"}},
                    "consent": {{"storeCredential": true, "merchantInitiated": true}}}}, "dialect": "coinflow"}}"#
            );
            let r = w.run(|app| {
                block_on(agreements::put(
                    app,
                    &on("demo", id, &req("PUT", &format!("/v1/agreements/{id}"), &body, &[])),
                ))
            });
            let r = r.unwrap();
            assert_eq!(r.status, 201);
            assert!(!r.headers.iter().any(|(k, _)| k == "x-mitgate-warning"), "{:?}", r.headers);
        };
        put("c9_small", "10.00");
        assert_eq!(decide(&w, "c9_small", "30.01", None)["decision"]["outcome"], "refused");
        put("c9_large", "50.00");
        let d = decide(&w, "c9_small", "150.00", None);
        assert_eq!(d["decision"]["outcome"], "allowed", "{d}");
        assert_eq!(decide(&w, "c9_small", "150.01", None)["decision"]["outcome"], "refused");
    }
}

/// A stored index that does not parse, or a store that fails, refuses to decide (503), never decides
/// on less than the customer's history without saying so.
#[test]
fn an_unreadable_customer_index_fails_closed() {
    let w = seeded();
    assert_eq!(coinflow_cit(&w, "cit_10", 1000, Some("customer-123")).status, 200);
    let key = format!("customer/v1/{}", crate::store::customer_index::index_name("demo", "customer-123"));
    assert!(w.stores.agreements.map.borrow().contains_key(&key), "the index lives in AGREEMENTS");
    w.stores.agreements.map.borrow_mut().insert(key, "{not json".into());
    let body = r#"{"reference": "cit_10", "amount": {"amount": "1.00", "currency": "USD"}}"#;
    let r =
        w.run(|app| block_on(decisions::post(app, &call("demo", &req("POST", "/v1/decisions", body, &[])))));
    assert_eq!(r.unwrap_err().status, 503);
}

fn proxy(
    w: &World,
    method: &str,
    path: &str,
    query: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> HttpResponse {
    w.run(|app| {
        let mut r = req(method, path, body, headers);
        r.query = query.to_string();
        block_on(crate::proxy::handle(app, "demo", DialectId::Coinflow, &r))
    })
}
