//! The canonical API's handlers over memory: charges, outcomes, idempotency, failures of each store.

use mitgate_core::model::{AgreementStatus, AttemptStatus};

use super::testkit::*;
use super::{agreements, charges, decisions, outcomes};
use crate::app::{authenticate, flatten, Call, Forwarded};
use crate::error::{ErrorCode, Finality, ResponseKind};
use crate::http::{HttpRequest, HttpResponse};
use crate::idempotency::{finality_of, idempotent};

/// A reservation that cannot be read back: nothing is forwarded and the answer says what is true
/// (issue 15, item 4): released when the store takes the release, otherwise pending with its id.
#[test]
fn unreadable_reservation_is_answered_truthfully() {
    let w = seeded();
    *w.stores.agreements.fail_reads_after_put.borrow_mut() = true;
    let r = charge_once(&w, &[("idempotency-key", "k-unverified")]);
    assert_eq!(r.status, 503);
    let body = r.body_serde().unwrap();
    assert_eq!(body["error"]["code"], "reservation_unverified", "{body}");
    let attempt = r.headers.iter().find(|(k, _)| k == "x-mitgate-attempt-id").unwrap().1.clone();
    assert!(body["error"]["message"].as_str().unwrap().contains(&attempt));
    assert!(w.processor.sent.borrow().is_empty(), "nothing forwarded");
    *w.stores.agreements.fail_reads_after_put.borrow_mut() = false;
    *w.stores.agreements.fail_reads.borrow_mut() = false;
    let ledger = block_on(w.stores.attempts("demo", "pay_1")).unwrap();
    assert_eq!(ledger.attempts.len(), 1);
    assert_eq!(ledger.attempts[0].id, attempt);
    assert_eq!(ledger.attempts[0].status, AttemptStatus::Pending, "the answer said it stays pending");
    // Nothing was forwarded, so the key is free: the retry is decided again. The pending attempt holds
    // the policy's one slot (429) until the merchant settles it as not sent; then the retry goes out once.
    let again = charge_once(&w, &[("idempotency-key", "k-unverified")]);
    assert_eq!(again.status, 429, "{:?}", again.body_serde());
    assert!(!again.headers.iter().any(|(k, _)| k == "idempotent-replayed"));
    let path = format!("/v1/agreements/pay_1/attempts/{attempt}/outcome");
    let settled = w.run(|app| {
        let r = req("POST", &path, r#"{"result": "not_sent"}"#, &[]);
        block_on(outcomes::post(app, &Call { id: "pay_1", attempt: &attempt, ..call("demo", &r) }))
    });
    assert_eq!(settled.unwrap().status, 200);
    let third = charge_once(&w, &[("idempotency-key", "k-unverified")]);
    assert_eq!(third.status, 200, "{:?}", third.body_serde());
    assert_eq!(w.processor.sent.borrow().len(), 1);
}

/// An outcome whose agreement write fails leaves the attempt pending, so the same request completes it
/// (issue 15, item 4): never a resolved attempt with the agreement's new status lost.
#[test]
fn outcome_with_a_failed_agreement_write_can_be_completed() {
    let w = seeded();
    *w.processor.answer.borrow_mut() = Forwarded::TimedOut;
    let r = charge_once(&w, &[]);
    assert_eq!(r.status, 504);
    let attempt = r.headers.iter().find(|(k, _)| k == "x-mitgate-attempt-id").unwrap().1.clone();
    let path = format!("/v1/agreements/pay_1/attempts/{attempt}/outcome");
    let body = r#"{"result": "declined", "decline": {"code": "8026", "reason": "authentication_required"}}"#;
    let settle = |w: &World| {
        w.run(|app| {
            let r = req("POST", &path, body, &[]);
            block_on(outcomes::post(app, &Call { id: "pay_1", attempt: &attempt, ..call("demo", &r) }))
        })
    };
    *w.stores.agreements.fail_writes.borrow_mut() = true;
    assert_eq!(flatten(settle(&w)).status, 503);
    *w.stores.agreements.fail_writes.borrow_mut() = false;
    let ledger = block_on(w.stores.attempts("demo", "pay_1")).unwrap();
    assert_eq!(
        ledger.attempts[0].status,
        AttemptStatus::Pending,
        "not resolved while the status is unwritten"
    );
    assert_eq!(flatten(settle(&w)).status, 200);
    let record = block_on(w.stores.agreement("demo", "pay_1")).unwrap().unwrap();
    assert_eq!(record.agreement.status, AgreementStatus::ReauthenticationRequired);
    let ledger = block_on(w.stores.attempts("demo", "pay_1")).unwrap();
    assert_eq!(ledger.attempts[0].status, AttemptStatus::Declined);
}

/// Answers that say when to try again are not stored as final (issue 15, item 8).
#[test]
fn refusals_that_name_a_retry_time_are_not_final() {
    let refusal = |status| HttpResponse::json_text(status, r#"{"outcome":"refused"}"#.into());
    let velocity = refusal(429).with_header("retry-after", "7");
    assert!(matches!(finality_of(&velocity), Finality::Retryable));
    let processor_rate_limit =
        HttpResponse::json_text(429, "{}".into()).with_header("x-mitgate-attempt-id", "att_1");
    assert!(matches!(finality_of(&processor_rate_limit), Finality::Retryable));
    let interval = refusal(403).with_header("retry-after", "60");
    assert!(matches!(finality_of(&interval), Finality::Retryable));
    // Forwarded answers (an attempt was made) are final even with a Retry-After of the processor's.
    let declined = HttpResponse::json_text(402, "{}".into())
        .with_header("x-mitgate-attempt-id", "att_1")
        .with_header("retry-after", "60");
    assert!(matches!(finality_of(&declined), Finality::Final));
    let refused = refusal(403);
    assert!(matches!(finality_of(&refused), Finality::Final));
    // The kind decides, not the body: an error answer of a retryable code frees the key, whatever it says.
    let store = HttpResponse::error(ErrorCode::StoreUnavailable, "KV is down");
    assert!(matches!(finality_of(&store), Finality::Retryable));
    let not_sent =
        HttpResponse::json_text(502, r#"{"outcome":"not_sent"}"#.into()).of_kind(ResponseKind::NotSent);
    assert!(matches!(finality_of(&not_sent), Finality::Retryable));
    let looks_like_one = HttpResponse::json_text(502, r#"{"outcome":"not_sent"}"#.into());
    assert!(matches!(finality_of(&looks_like_one), Finality::Final), "a body is never parsed to decide");
}

#[test]
fn authenticates_by_header() {
    let w = World::new();
    assert_eq!(
        authenticate(&w.config, &req("GET", "/", "", &[("x-mitgate-key", "sk_test_demo")])).unwrap(),
        "demo"
    );
    assert_eq!(authenticate(&w.config, &req("GET", "/", "", &[])).unwrap_err().status, 401);
    assert_eq!(
        authenticate(&w.config, &req("GET", "/", "", &[("x-mitgate-key", "sk_test_x")])).unwrap_err().status,
        401
    );
}

#[test]
fn charge_reserves_forwards_and_records() {
    let w = seeded();
    let r = charge_once(&w, &[("authorization", "processor-key")]);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let sent = w.processor.sent.borrow();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url, "http://processor.test/api/checkout/merchant-initiated-transaction");
    assert!(sent[0].headers.contains(&("authorization".into(), "processor-key".into())));
    let ledger = block_on(w.stores.attempts("demo", "pay_1")).unwrap();
    assert_eq!(ledger.attempts.len(), 1);
    assert_eq!(ledger.attempts[0].status, AttemptStatus::Approved);
    drop(sent);
    let second = charge_once(&w, &[]);
    assert_eq!(second.status, 429);
    assert!(second.headers.iter().any(|(k, _)| k == "retry-after"));
    assert_eq!(w.processor.sent.borrow().len(), 1, "a refusal is never forwarded");
}

#[test]
fn storage_operations_are_counted() {
    let w = seeded();
    let before = (w.stores.counters.kv_reads.get(), w.stores.counters.kv_writes.get());
    assert_eq!(charge_once(&w, &[]).status, 200);
    let reads = w.stores.counters.kv_reads.get() - before.0;
    let writes = w.stores.counters.kv_writes.get() - before.1;
    // the agreement with its ledger (one value), policy, token index (another agreement on the credential),
    // re-read after reservation, the value before the outcome merge.
    assert_eq!(reads, 5, "{}", w.stores.counters.header_value());
    // reservation, outcome, payment index.
    assert_eq!(writes, 3, "{}", w.stores.counters.header_value());
    assert!(w.stores.counters.header_value().starts_with("kv_reads="));
}

#[test]
fn durable_object_store_reserves_and_records() {
    let w = seeded_objects();
    let r = charge_once(&w, &[("idempotency-key", "d1")]);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(w.stores.velocity.map.borrow().is_empty(), "ledgers live in the objects");
    assert!(w.stores.idempotency.map.borrow().is_empty(), "idempotency records live in the objects");
    let ledger = block_on(w.stores.attempts("demo", "pay_1")).unwrap();
    assert_eq!(ledger.attempts.len(), 1);
    assert_eq!(ledger.attempts[0].status, AttemptStatus::Approved);
    // reserve, outcome merge, idempotency claim and final answer.
    let replay = charge_once(&w, &[("idempotency-key", "d1")]);
    assert_eq!(replay.body, r.body);
    assert_eq!(w.processor.sent.borrow().len(), 1);
    let second = charge_once(&w, &[]);
    assert_eq!(second.status, 429, "{}", String::from_utf8_lossy(&second.body));
    assert_eq!(w.processor.sent.borrow().len(), 1, "a refusal is never forwarded");
    assert!(w.stores.counters.do_calls.get() > 0);
}

/// With the Durable Object store the agreement's object decides a charge in its reservation call: an
/// allowed charge is one object call before forwarding (and one to record the outcome), a refused one is
/// one call, and the answers are byte-identical to the KV store's. A refused charge that could not be
/// sent either (no dialect) is answered with its refusal, as with KV.
#[test]
fn durable_object_store_decides_in_one_call() {
    let post = |w: &World, body: &str| {
        w.stores.counters.do_calls.set(0);
        w.run(|app| {
            let r = req("POST", "/v1/charges", body, &[]);
            crate::app::flatten(block_on(charges::post(app, &call("demo", &r))))
        })
    };
    let (kv, objects) = (seeded(), seeded_objects());
    let allowed = (post(&kv, CHARGE), post(&objects, CHARGE));
    assert_eq!(allowed.1.status, 200, "{}", String::from_utf8_lossy(&allowed.1.body));
    assert_eq!(objects.stores.counters.do_calls.get(), 2, "reserve (decided there), then the outcome");
    assert_eq!(allowed.0.body, allowed.1.body);
    let refused = (post(&kv, CHARGE), post(&objects, CHARGE));
    assert_eq!(refused.1.status, 429, "{}", String::from_utf8_lossy(&refused.1.body));
    assert_eq!(objects.stores.counters.do_calls.get(), 1, "one call: the object refused on its ledger");
    assert_eq!(refused.0.body, refused.1.body, "the same refusal, byte for byte");
    assert_eq!(objects.processor.sent.borrow().len(), 1);
    // An agreement without a dialect: a refusal is still a refusal; an allowed charge cannot be sent.
    let no_dialect =
        AGREEMENT.replace(r#""id": "pay_1""#, r#""id": "pay_2""#).replace(r#", "dialect": "coinflow""#, "");
    for w in [&kv, &objects] {
        w.run(|app| {
            let r = req("PUT", "/v1/agreements/pay_2", &no_dialect, &[]);
            assert_eq!(
                block_on(agreements::put(app, &Call { id: "pay_2", ..call("demo", &r) })).unwrap().status,
                201
            );
        });
    }
    let above = r#"{"reference": "pay_2", "amount": {"amount": "70.00", "currency": "USD"}}"#;
    let refused = (post(&kv, above), post(&objects, above));
    assert_eq!(refused.1.status, 410, "{}", String::from_utf8_lossy(&refused.1.body));
    assert_eq!(refused.0.body, refused.1.body);
    let unsendable =
        (post(&kv, &above.replace("70.00", "10.00")), post(&objects, &above.replace("70.00", "10.00")));
    assert_eq!(unsendable.1.status, unsendable.0.status);
    assert_eq!(unsendable.0.body, unsendable.1.body);
    assert!(String::from_utf8_lossy(&unsendable.1.body).contains("no_processor"));
    assert_eq!(objects.processor.sent.borrow().len(), 1, "nothing more forwarded");
}

#[test]
fn durable_object_failure_fails_closed() {
    let w = seeded_objects();
    *w.stores.objects.as_ref().unwrap().fail.borrow_mut() = true;
    let r = charge_once(&w, &[]);
    assert_eq!(r.status, 503, "{}", String::from_utf8_lossy(&r.body));
    let r = charge_once(&w, &[("idempotency-key", "k")]);
    assert_eq!(r.status, 503);
    assert!(w.processor.sent.borrow().is_empty(), "nothing forwarded without the object");
    *w.stores.objects.as_ref().unwrap().fail.borrow_mut() = false;
    assert_eq!(charge_once(&w, &[("idempotency-key", "k")]).status, 200);
    assert!(block_on(w.stores.attempts("demo", "pay_1")).unwrap().attempts.len() == 1);
}

#[test]
fn kv_failure_fails_closed() {
    let w = seeded();
    *w.stores.agreements.fail.borrow_mut() = true;
    let r = charge_once(&w, &[]);
    assert_eq!(r.status, 503);
    assert!(w.processor.sent.borrow().is_empty(), "nothing forwarded without readable state");
    *w.stores.agreements.fail.borrow_mut() = false;
    *w.stores.idempotency.fail.borrow_mut() = true;
    let r = charge_once(&w, &[("idempotency-key", "k")]);
    assert_eq!(r.status, 503);
    assert!(w.processor.sent.borrow().is_empty());
}

#[test]
fn idempotent_replay_and_conflict() {
    let w = seeded();
    let a = charge_once(&w, &[("idempotency-key", "k1")]);
    let b = charge_once(&w, &[("idempotency-key", "k1")]);
    assert_eq!(a.status, 200);
    assert_eq!(a.body, b.body);
    assert!(b.headers.contains(&("idempotent-replayed".into(), "true".into())));
    assert_eq!(w.processor.sent.borrow().len(), 1);
    let other = w.run(|app| {
        let r = req(
            "POST",
            "/v1/charges",
            r#"{"reference": "pay_1", "amount": {"amount": "11.00", "currency": "USD"}}"#,
            &[("idempotency-key", "k1")],
        );
        block_on(idempotent(app, "demo", &r, None, None, async {
            (HttpResponse::error(ErrorCode::Internal, "not run"), Finality::Final)
        }))
    });
    assert_eq!(other.status, 422);
}

#[test]
fn body_idempotency_key_on_charges() {
    let w = seeded();
    let body =
        r#"{"reference": "pay_1", "amount": {"amount": "10.00", "currency": "USD"}, "idempotencyKey": "b1"}"#;
    let run = |w: &World| {
        w.run(|app| {
            let r = req("POST", "/v1/charges", body, &[]);
            flatten(block_on(charges::post(app, &call("demo", &r))))
        })
    };
    let a = run(&w);
    let b = run(&w);
    assert_eq!(a.status, 200);
    assert_eq!(a.body, b.body);
    assert_eq!(w.processor.sent.borrow().len(), 1);
}

#[test]
fn timeout_keeps_the_slot_and_not_sent_releases_it() {
    let w = seeded();
    *w.processor.answer.borrow_mut() = Forwarded::TimedOut;
    assert_eq!(charge_once(&w, &[]).status, 504);
    let ledger = block_on(w.stores.attempts("demo", "pay_1")).unwrap();
    assert_eq!(ledger.attempts[0].status, AttemptStatus::Pending);
    let w = seeded();
    *w.processor.answer.borrow_mut() = Forwarded::NotSent("refused".into());
    assert_eq!(charge_once(&w, &[]).status, 502);
    let ledger = block_on(w.stores.attempts("demo", "pay_1")).unwrap();
    assert_eq!(ledger.attempts[0].status, AttemptStatus::Released);
    *w.processor.answer.borrow_mut() = approved();
    assert_eq!(charge_once(&w, &[]).status, 200, "the released slot is free again");
}

#[test]
fn soft_decline_requires_a_new_cit() {
    let w = seeded();
    *w.processor.answer.borrow_mut() = Forwarded::Answered(HttpResponse::json(
        402,
        &serde_json::json!({"message": "Soft decline - Cardholder authentication required", "declineCode": "8026"}),
    ));
    assert_eq!(charge_once(&w, &[]).status, 402);
    let record = block_on(w.stores.agreement("demo", "pay_1")).unwrap().unwrap();
    assert_eq!(record.agreement.status, mitgate_core::model::AgreementStatus::ReauthenticationRequired);
}

#[test]
fn other_merchants_see_unknown_ids_and_fields_are_named() {
    let w = seeded();
    w.run(|app| {
        // Issue 15, item 10: another merchant's id answers exactly as an id nobody uses (it was 403,
        // which revealed that the id exists).
        let none = HttpRequest::default();
        let foreign = block_on(agreements::get(app, &on("other", "pay_1", &none))).unwrap_err();
        let unknown = block_on(agreements::get(app, &on("nobody", "pay_1", &none))).unwrap_err();
        assert_eq!((foreign.status, &foreign.body), (404, &unknown.body));
        // Nor can another merchant claim it: its PUT creates its own agreement, demo's is untouched.
        let theirs = AGREEMENT.replace("\"merchantId\": \"demo\"", "\"merchantId\": \"other\"");
        assert!(theirs.contains("\"other\""), "{theirs}");
        let put = block_on(agreements::put(app, &on("other", "pay_1", &req("PUT", "/v1/agreements/pay_1", &theirs, &[]))));
        assert_eq!(put.unwrap().status, 201);
        let ours = block_on(agreements::get(app, &on("demo", "pay_1", &none))).unwrap();
        assert!(String::from_utf8_lossy(&ours.body).contains("\"merchantId\":\"demo\""));
        assert_eq!(block_on(agreements::get(app, &on("demo", "nope", &none))).unwrap_err().status, 404);
        let bad = block_on(decisions::post(app, &call("demo", &req("POST", "/v1/decisions", r#"{"reference": "pay_1", "amount": {"amount": "-1", "currency": "USD"}}"#, &[]))));
        let bad = bad.unwrap_err();
        assert_eq!(bad.status, 400);
        assert!(String::from_utf8_lossy(&bad.body).contains("amount"));
        let spoof = block_on(decisions::post(app, &call("demo", &req("POST", "/v1/decisions", r#"{"merchantId": "other", "reference": "pay_1", "amount": {"amount": "1.00", "currency": "USD"}}"#, &[]))));
        assert_eq!(spoof.unwrap_err().status, 403);
        // Paths and positions are those of the caller's text; a key given twice is named by its path.
        for (body, field, message) in [
            (r#"{"reference": "pay_1", "amountCents": 1}"#, "amountCents", "unknown field `amountCents`"),
            (r#"{"reference": "pay_1", "amount": {"amount": "1.00", "amount": "2.00", "currency": "USD"}}"#, "amount.amount", "is given more than once"),
            (r#"{"reference": "pay_1"}"#, "", "missing field `amount` at line 1 column 1"),
            (r#"{"reference": 5,"#, "", "malformed JSON: EOF while parsing"),
            ("[1]", "", "must be a JSON object"),
        ] {
            let r = block_on(decisions::post(app, &call("demo", &req("POST", "/v1/decisions", body, &[])))).unwrap_err();
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!((r.status, v["error"]["fields"][0]["path"].as_str()), (400, Some(field)), "{body}");
            assert!(v["error"]["fields"][0]["message"].as_str().unwrap().starts_with(message), "{v}");
        }
    });
}

/// The processor's answer is quoted in ours as it wrote it: every number's text (`10.50`, `1e400`, a
/// 20-digit integer), members in name order; a body that is not JSON is a string.
#[test]
fn processor_answers_are_quoted_as_written() {
    let w = seeded();
    let body = r#"{"paymentId": "pay_mit_1", "amount": 10.50, "fee": 1e400, "ref": 123456789012345678901}"#;
    *w.processor.answer.borrow_mut() = Forwarded::Answered(HttpResponse::json_text(200, body.to_string()));
    let r = charge_once(&w, &[]);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let text = String::from_utf8_lossy(&r.body).into_owned();
    assert!(
        text.contains(r#""answer":{"body":{"amount":10.50,"fee":1e400,"paymentId":"pay_mit_1","ref":123456789012345678901},"status":200}"#),
        "{text}"
    );
    let w = seeded();
    *w.processor.answer.borrow_mut() =
        Forwarded::Answered(HttpResponse::new(200, vec![], b"OK paid".to_vec()));
    let text = String::from_utf8_lossy(&charge_once(&w, &[]).body).into_owned();
    assert!(text.contains(r#""answer":{"body":"OK paid","status":200}"#), "{text}");
}

/// Idempotency fingerprints come from mitgate's own tree: key order, spacing and escapes do not count,
/// numbers count as written (docs/worker.md, "Idempotency").
#[test]
fn fingerprints_keep_numbers_as_written() {
    let fp = |body: &str| crate::idempotency::fingerprint(&req("POST", "/v1/charges", body, &[]));
    let a = fp(r#"{"b": 2.50, "a": "\u00e9"}"#);
    assert_eq!(a, fp(r#"{ "a":"é",  "b":2.50 }"#));
    assert_ne!(a, fp(r#"{"a": "é", "b": 2.5}"#));
    assert_eq!(fp(r#"{"n": 1e400}"#), fp(r#"{"n":1e400}"#), "beyond f64 is no problem");
    assert_ne!(fp("{not json"), fp("{not  json"), "text that is not JSON counts byte for byte");
}

/// A `POST /v1/charges` body at `amount` (dollars).
fn charge_of(w: &World, amount: &str, key: &str) -> HttpResponse {
    w.run(|app| {
        let body =
            format!(r#"{{"reference": "pay_1", "amount": {{"amount": "{amount}", "currency": "USD"}}}}"#);
        let r = req("POST", "/v1/charges", &body, &[("idempotency-key", key)]);
        flatten(block_on(charges::post(app, &call("demo", &r))))
    })
}

/// Issue 14, item 2: with the Durable Object store a charge with an idempotency key is one call to its
/// agreement's object before forwarding (claim, decide, reserve) and one after (outcome and final
/// answer); a replay is one call and never forwards; a final refusal is one call, kept as the key's answer
/// and replayed byte for byte (decided again on the evaluation it was decided on); a refusal that names a
/// time (429) frees the key, so a retry is decided again.
#[test]
fn durable_object_charge_is_one_call_before_and_one_after() {
    let w = seeded_objects();
    let calls = |w: &World| w.stores.counters.do_calls.get();
    let replayed = |r: &HttpResponse| r.headers.contains(&("idempotent-replayed".into(), "true".into()));

    // A refusal (above the zero-auth ceiling: 20.00 × 3) with a key: one call, kept.
    let before = calls(&w);
    let refused = charge_of(&w, "70.00", "k-refused");
    assert_eq!(refused.status, 410, "{}", String::from_utf8_lossy(&refused.body));
    assert_eq!(calls(&w) - before, 1, "a refusal is one object call");
    let before = calls(&w);
    let again = charge_of(&w, "70.00", "k-refused");
    assert_eq!((again.status, &again.body), (refused.status, &refused.body), "replayed byte for byte");
    assert!(replayed(&again));
    assert_eq!(calls(&w) - before, 1);
    assert_eq!(charge_of(&w, "10.00", "k-refused").status, 422, "the same key with another body");

    // Allowed: one call before forwarding, one after.
    let before = calls(&w);
    let allowed = charge_of(&w, "10.00", "k-allowed");
    assert_eq!(allowed.status, 200, "{}", String::from_utf8_lossy(&allowed.body));
    assert_eq!(calls(&w) - before, 2, "Charge before forwarding, Settle after");
    let ledger = block_on(w.stores.attempts("demo", "pay_1")).unwrap();
    assert_eq!(ledger.attempts.len(), 1);
    assert_eq!(ledger.attempts[0].status, AttemptStatus::Approved, "the outcome was merged by Settle");
    let before = calls(&w);
    let replay = charge_of(&w, "10.00", "k-allowed");
    assert_eq!(replay.body, allowed.body);
    assert!(replayed(&replay));
    assert_eq!(calls(&w) - before, 1, "a replay is one call");
    assert_eq!(w.processor.sent.borrow().len(), 1, "never forwarded twice");

    // The objects were evicted (a restart): the records are read back from storage, the same answers.
    w.stores.objects.as_ref().unwrap().evict();
    assert_eq!(charge_of(&w, "10.00", "k-allowed").body, allowed.body);
    assert_eq!(charge_of(&w, "70.00", "k-refused").body, refused.body);

    // A refusal naming a time (maxCount 1 a day: 429) frees its key: the retry is decided again.
    let late = charge_of(&w, "10.00", "k-late");
    assert_eq!(late.status, 429);
    let retry = charge_of(&w, "10.00", "k-late");
    assert_eq!(retry.status, 429);
    assert!(!replayed(&retry), "decided again, not replayed");
    assert_eq!(w.processor.sent.borrow().len(), 1);
}

/// The object call fails: nothing is forwarded (503), and the key is not left claimed.
#[test]
fn durable_object_charge_fails_closed() {
    let w = seeded_objects();
    *w.stores.objects.as_ref().unwrap().fail.borrow_mut() = true;
    let r = charge_of(&w, "10.00", "k-fail");
    assert_eq!(r.status, 503, "{}", String::from_utf8_lossy(&r.body));
    assert!(w.processor.sent.borrow().is_empty());
    *w.stores.objects.as_ref().unwrap().fail.borrow_mut() = false;
    let r = charge_of(&w, "10.00", "k-fail");
    assert_eq!(r.status, 200, "the key is free: {}", String::from_utf8_lossy(&r.body));
    assert_eq!(w.processor.sent.borrow().len(), 1);
}

/// KV store, the agreement and its ledger in one value: a PUT of the agreement after charges keeps the
/// ledger (the velocity slot still counts), a revocation keeps it too, and requests refused for bad input
/// leave the stored value exactly as it was.
#[test]
fn agreement_writes_keep_the_ledger_and_bad_input_changes_nothing() {
    let w = seeded();
    assert_eq!(charge_once(&w, &[]).status, 200);
    let value = || w.stores.agreements.map.borrow()["agreement/v2/demo/pay_1"].clone();
    let charged = value();
    let put = |body: &str| {
        w.run(|app| {
            let r = req("PUT", "/v1/agreements/pay_1", body, &[]);
            flatten(block_on(agreements::put(app, &on("demo", "pay_1", &r))))
        })
    };
    let delete = |query: &str| {
        w.run(|app| {
            let r = HttpRequest { query: query.into(), ..req("DELETE", "/v1/agreements/pay_1", "", &[]) };
            flatten(block_on(agreements::delete(app, &on("demo", "pay_1", &r))))
        })
    };
    // Bad input: nothing written.
    assert_eq!(put(r#"{"agreement": {"id": "pay_1"}}"#).status, 400);
    assert_eq!(put(&AGREEMENT.replace(r#""id": "pay_1""#, r#""id": "pay_2""#)).status, 400);
    assert_eq!(delete("reason=not%20a%20reason!").status, 400);
    let r = w.run(|app| {
        let r = req(
            "POST",
            "/v1/charges",
            r#"{"reference": "pay_1", "amount": {"amount": "-1", "currency": "USD"}}"#,
            &[],
        );
        flatten(block_on(charges::post(app, &call("demo", &r))))
    });
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(value(), charged, "refused input leaves the value byte for byte");
    // A PUT after the charge: the ledger stays, and with it the velocity slot.
    let again = put(AGREEMENT);
    assert_eq!(again.status, 200, "{}", String::from_utf8_lossy(&again.body));
    assert_eq!(again.body_serde().unwrap()["history"]["attempts"][0]["status"], "approved");
    let stored: serde_json::Value = serde_json::from_str(&value()).unwrap();
    assert_eq!(stored["attempts"].as_array().unwrap().len(), 1, "{stored}");
    assert_eq!(stored["revision"], 2, "the seed's PUT, then this one");
    assert_eq!(charge_once(&w, &[]).status, 429, "the attempt still counts");
    // A revocation keeps it as well.
    let revoked = delete("reason=customer_removed_card");
    assert_eq!(revoked.status, 200);
    let stored: serde_json::Value = serde_json::from_str(&value()).unwrap();
    assert_eq!(
        (stored["agreement"]["status"].as_str(), stored["attempts"].as_array().unwrap().len()),
        (Some("revoked"), 1)
    );
    assert_eq!(charge_once(&w, &[]).status, 403);
}

/// KV store: a charge's outcome that sets a status (8026: re-authentication required) goes onto the
/// agreement as its merge reads it, so a revocation written while the charge was out stands.
#[test]
fn an_outcome_status_never_undoes_a_revocation() {
    let w = seeded();
    *w.processor.answer.borrow_mut() = Forwarded::TimedOut;
    let r = charge_once(&w, &[]);
    assert_eq!(r.status, 504);
    let attempt = r.headers.iter().find(|(k, _)| k == "x-mitgate-attempt-id").unwrap().1.clone();
    // The charge's copy, from before the revocation.
    let (stale, history) = w.run(|app| {
        let record = block_on(app.stores.agreement("demo", "pay_1")).unwrap().unwrap();
        let attempts = block_on(app.stores.ledger("demo", "pay_1")).unwrap().attempts;
        (record, mitgate_core::model::History { attempts, ..Default::default() })
    });
    let revoke = req("DELETE", "/v1/agreements/pay_1", "", &[]);
    assert_eq!(
        w.run(|app| flatten(block_on(agreements::delete(app, &on("demo", "pay_1", &revoke))))).status,
        200
    );
    let outcome: mitgate_core::model::Outcome = mitgate_core::json::from_str(&format!(
        r#"{{"attemptId": "{attempt}", "at": "2026-06-01T12:00:05Z", "result": "declined", "decline": {{"code": "8026"}}}}"#
    ))
    .unwrap();
    let recorded = w.run(|app| block_on(outcomes::record_outcome(app, "demo", &stale, &history, &outcome)));
    assert_eq!(recorded.warning, None);
    let record = block_on(w.stores.agreement("demo", "pay_1")).unwrap().unwrap();
    assert_eq!(record.agreement.status, AgreementStatus::Revoked);
    let ledger = block_on(w.stores.ledger("demo", "pay_1")).unwrap();
    assert_eq!(ledger.attempts[0].status, AttemptStatus::Declined);
}
