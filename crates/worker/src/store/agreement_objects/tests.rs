//! The agreement's object owns its agreement (issue 14, item 2): what a warm isolate keeps is checked by
//! the object at each charge; every other reader asks the object; a record KV held is adopted once.

use crate::app::flatten;
use crate::handlers::testkit::{block_on, call, on, req, seeded_objects, World, AGREEMENT, CHARGE};
use crate::handlers::{agreements, charges, policy};
use crate::http::HttpResponse;
use crate::store::durable_object::{Held, ObjectOp, OpKind};
use crate::store::Kv;

const LOOSE: &str = r#"{"enabled": true, "maxCount": 10, "period": 86400, "maxMultiple": 3, "maxZeroAuthAmount": {"cents": 2000}}"#;

/// The Durable Object store, warm, with a policy that allows 10 charges a day.
fn world() -> World {
    let w = seeded_objects();
    let put = w.run(|app| block_on(policy::put(app, &call("demo", &req("PUT", "/v1/policy", LOOSE, &[])))));
    assert_eq!(put.unwrap().status, 200);
    w
}

fn charge(w: &World, body: &str) -> HttpResponse {
    w.run(|app| flatten(block_on(charges::post(app, &call("demo", &req("POST", "/v1/charges", body, &[]))))))
}

fn text(r: &HttpResponse) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// What the agreement's object `agreement/demo/{id}` answers it holds, asked directly (as another
/// isolate's request would reach it).
fn held(w: &World, id: &str) -> Held {
    let objects = w.stores.objects.as_ref().unwrap();
    let op = serde_json::to_string(&ObjectOp::new(OpKind::Agreement)).unwrap();
    let answer = block_on(objects.call_object(&format!("agreement/demo/{id}"), &op)).unwrap();
    mitgate_core::json::from_str(&answer).unwrap()
}

/// Counts of one request: (KV reads, KV writes, object calls).
fn counted(w: &World, f: impl FnOnce(&World) -> HttpResponse) -> (HttpResponse, (u32, u32, u32)) {
    let c = &w.stores.counters;
    let before = (c.kv_reads.get(), c.kv_writes.get(), c.do_calls.get());
    let r = f(w);
    (r, (c.kv_reads.get() - before.0, c.kv_writes.get() - before.1, c.do_calls.get() - before.2))
}

#[test]
fn a_warm_charge_reads_no_kv_and_writes_none() {
    let w = world();
    let (allowed, cost) = counted(&w, |w| charge(w, CHARGE));
    assert_eq!(allowed.status, 200, "{}", text(&allowed));
    assert_eq!(cost, (0, 0, 2), "one call before forwarding, one after; the payment marker waits");
    assert_eq!(w.stores.deferred.borrow().len(), 1, "the MIT's payment marker, sent after the answer");
    let refused = r#"{"reference": "pay_1", "amount": {"amount": "70.00", "currency": "USD"}}"#;
    let (refused, cost) = counted(&w, |w| charge(w, refused));
    assert_eq!(refused.status, 410, "{}", text(&refused));
    assert_eq!(cost, (0, 0, 1), "a refusal is one call");
    // A new isolate reads the agreement from its object first (1 call) and the token's list (1 KV read).
    let mut w = w;
    w.stores.new_isolate();
    let (cold, cost) = counted(&w, |w| charge(w, CHARGE));
    assert_eq!(cold.status, 200, "{}", text(&cold));
    assert_eq!(cost, (2, 0, 3), "the policy and the token's list; the agreement, then charge and settle");
}

/// Another isolate revokes the agreement (its object holds revision 2): this isolate's copy is revision
/// 1, so its next charge is not decided on it; it loads again on the object's record and is refused.
#[test]
fn a_revocation_by_another_isolate_is_seen_by_the_next_charge() {
    let w = world();
    assert_eq!(charge(&w, CHARGE).status, 200);
    let mut revoked = held(&w, "pay_1").record.unwrap();
    assert_eq!(revoked.rev, 1);
    revoked.agreement =
        mitgate_core::state::revoke(&revoked.agreement, revoked.updated_at, "customer_removed_card");
    let op =
        serde_json::to_string(&ObjectOp::new(OpKind::PutAgreement).with_body(&revoked).unwrap()).unwrap();
    block_on(w.stores.objects.as_ref().unwrap().call_object("agreement/demo/pay_1", &op)).unwrap();
    assert_eq!(held(&w, "pay_1").record.unwrap().rev, 2);
    let sent = w.processor.sent.borrow().len();
    let (refused, cost) = counted(&w, |w| charge(w, CHARGE));
    assert_eq!(refused.status, 403, "{}", text(&refused));
    assert!(text(&refused).contains("agreement_revoked"), "{}", text(&refused));
    assert_eq!(cost.2, 2, "the charge on revision 1 (answered with revision 2), then the refusal");
    assert_eq!(w.processor.sent.borrow().len(), sent, "nothing forwarded");
}

/// A write made from a revision the object no longer holds is refused: nothing is lost or loosened.
#[test]
fn a_write_from_an_old_revision_is_refused() {
    let w = world();
    let stale = held(&w, "pay_1").record.unwrap();
    let r =
        w.run(|app| block_on(agreements::delete(app, &on("demo", "pay_1", &req("DELETE", "/", "", &[])))));
    assert_eq!(r.unwrap().status, 200);
    let err = block_on(w.stores.put_agreement(&stale)).unwrap_err();
    assert!(err.0.contains("changed concurrently"), "{}", err.0);
    assert_eq!(
        held(&w, "pay_1").record.unwrap().agreement.status,
        mitgate_core::model::AgreementStatus::Revoked
    );
}

/// A PUT of the agreement after charges replaces the record, not the ledger its object keeps.
#[test]
fn a_put_after_charges_keeps_the_ledger() {
    let w = world();
    assert_eq!(charge(&w, CHARGE).status, 200);
    assert_eq!(charge(&w, CHARGE).status, 200);
    let put = req("PUT", "/v1/agreements/pay_1", AGREEMENT, &[]);
    let r = w.run(|app| block_on(agreements::put(app, &on("demo", "pay_1", &put)))).unwrap();
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(held(&w, "pay_1").record.unwrap().rev, 2);
    let get = w.run(|app| block_on(agreements::get(app, &on("demo", "pay_1", &req("GET", "/", "", &[])))));
    let got: serde_json::Value = serde_json::from_slice(&get.unwrap().body).unwrap();
    assert_eq!(got["history"]["attempts"].as_array().unwrap().len(), 2, "{got}");
    assert_eq!(charge(&w, CHARGE).status, 200, "charged on the new revision");
}

/// An agreement stored in KV before this layout: read once when its object holds none, adopted, then the
/// object's (the KV copy is no longer read).
#[test]
fn an_agreement_kv_held_is_adopted_by_its_object() {
    let w = world();
    let mut record = held(&w, "pay_1").record.unwrap();
    record.agreement.id = "pay_old".into();
    record.rev = 0;
    let key = "agreement/v2/demo/pay_old";
    w.stores.agreements.map.borrow_mut().insert(key.into(), serde_json::to_string(&record).unwrap());
    assert!(held(&w, "pay_old").record.is_none());
    let body = CHARGE.replace("pay_1", "pay_old");
    let (allowed, cost) = counted(&w, |w| charge(w, &body));
    assert_eq!(allowed.status, 200, "{}", text(&allowed));
    // The KV record read once; its object asked, then adopting it; pay_1's ledger (the same card: the
    // networks' per-card counts); charge and settle.
    assert_eq!(cost, (1, 0, 5));
    assert_eq!(held(&w, "pay_old").record.unwrap().rev, 1, "adopted");
    w.stores.agreements.map.borrow_mut().remove(key);
    assert_eq!(charge(&w, &body).status, 200, "the object's now");
}

/// An evicted object reloads its agreement from storage; this isolate's copy is still its revision.
#[test]
fn an_evicted_object_reloads_its_agreement() {
    let w = world();
    assert_eq!(charge(&w, CHARGE).status, 200);
    w.stores.objects.as_ref().unwrap().evict();
    let (allowed, cost) = counted(&w, |w| charge(w, CHARGE));
    assert_eq!(allowed.status, 200, "{}", text(&allowed));
    assert_eq!(cost, (0, 0, 2));
    let live = w.stores.objects.as_ref().unwrap().objects.borrow();
    assert!(live.get("agreement/demo/pay_1").unwrap().loads >= 2, "ledger and agreement read again");
}

/// An MIT's payment id is marked in its own object once the answer is sent; this isolate knows it at
/// once, another only once the marker is written. A reference to it is refused `reference_is_mit`.
#[test]
fn a_reference_to_an_mit_payment_is_refused() {
    let mut w = world();
    assert_eq!(charge(&w, CHARGE).status, 200);
    let chained = CHARGE.replace("pay_1", "pay_mit_1");
    let r = charge(&w, &chained);
    assert!(text(&r).contains("reference_is_mit"), "{}", text(&r));
    block_on(w.stores.run_deferred()).unwrap();
    assert_eq!(held(&w, "pay_mit_1").mit_of.as_deref(), Some("pay_1"));
    w.stores.new_isolate();
    let r = charge(&w, &chained);
    assert!(text(&r).contains("reference_is_mit"), "another isolate: {}", text(&r));
    assert_eq!(w.processor.sent.borrow().len(), 1);
}
