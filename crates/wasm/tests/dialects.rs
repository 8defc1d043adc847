//! The dialect entry points natively: answers and field paths (the Node tests then check that the wasm
//! build gives the same bytes).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test crate of its own (clippy.toml covers #[test] functions only): its helpers fail the test loudly"
)]

use mitgate_wasm::dialects::{parse_cit_json, parse_mit_json, read_outcome_json, render_refusal_json};
use serde_json::{json, Value};

fn call(f: fn(&str) -> String, input: &Value) -> Value {
    serde_json::from_str(&f(&input.to_string())).unwrap()
}

fn paths(answer: &Value) -> Vec<String> {
    assert_eq!(answer["type"], "failure", "{answer}");
    answer["errors"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap().to_string()).collect()
}

const REF: &str = "550e8400-e29b-41d4-a716-446655440000";

fn evaluation(amount: &str) -> Value {
    json!({
        "now": "2026-04-10T12:00:00Z",
        "policy": {"enabled": true, "maxCount": 5, "period": 86400, "maxMultiple": 3, "expiration": 2592000,
                   "maxZeroAuthAmount": {"cents": 2000}, "maxAmountLookback": 2592000},
        "agreement": {"id": REF, "merchantId": "m1", "customerId": "c1", "type": "unscheduled",
            "established": {"method": "cvv_purchase", "at": "2026-04-01T10:00:00Z", "amount": {"amount": "15.00", "currency": "USD"}},
            "currency": "USD", "paymentMethod": {"type": "card"}, "credential": {"token": "tok_1"},
            "consent": {"storeCredential": true, "merchantInitiated": true}},
        "history": {"payments": [{"id": REF, "at": "2026-04-01T10:00:00Z", "amount": {"amount": "15.00", "currency": "USD"}, "cvvVerified": true}]},
        "request": {"merchantId": "m1", "customerId": "c1", "reference": REF, "amount": {"amount": amount, "currency": "USD"}}
    })
}

#[test]
fn coinflow_cit_then_mit() {
    let cit = call(
        parse_cit_json,
        &json!({"dialect": "coinflow", "merchantId": "m1", "at": "2026-04-01T10:00:00Z", "headers": {"x-user-id": "c1"},
                "endpoint": "card", "tokenCvvVerified": true,
                "request": {"subtotal": {"cents": 1500, "currency": "USD"}, "token": "4111114324324111_bt"},
                "response": {"paymentId": REF}}),
    );
    assert_eq!(cit["type"], "success", "{cit}");
    assert_eq!(cit["agreement"]["id"], REF);
    assert_eq!(cit["agreement"]["customerId"], "c1");
    assert_eq!(cit["payment"]["amount"], json!({"amount": "15.00", "currency": "USD"}));

    let mit = call(
        parse_mit_json,
        &json!({"dialect": "coinflow", "merchantId": "m1", "headers": {"x-user-id": "c1"},
                "body": {"subtotal": {"cents": 2500, "currency": "USD"}, "originalPaymentId": REF}}),
    );
    assert_eq!(mit["lookup"], json!({"by": "reference", "value": REF}));
    assert_eq!(mit["request"]["amount"], json!({"amount": "25.00", "currency": "USD"}));
}

#[test]
fn documents_may_be_text_and_amounts_stay_exact() {
    let body = r#"{"merchant":{"terminalId":"1","channel":"web","merchantTransactionId":"MIT-1"},
        "transaction":{"transactionTimestamp":"2026-04-17T10:15:30.000Z","paymentType":"MIT","paymentMethod":["CARD"],
        "amount":{"value":29.90,"currency":"EUR"}},"originalTransaction":{"id":"tx1","datetime":"2026-04-16T10:15:30.000Z"}}"#;
    let mit = call(parse_mit_json, &json!({"dialect": "spg", "merchantId": "m1", "body": body}));
    assert_eq!(mit["request"]["amount"], json!({"amount": "29.90", "currency": "EUR"}), "{mit}");
    assert_eq!(mit["request"]["referenceAt"], "2026-04-16T10:15:30Z");
}

#[test]
fn failures_name_the_input_fields() {
    let f = |v: Value| paths(&call(parse_mit_json, &v));
    assert_eq!(f(json!({"dialect": "stripe", "merchantId": "m1", "body": {}})), ["dialect"]);
    assert_eq!(
        f(json!({"dialect": "coinflow", "merchantId": "m1", "headers": {"x-user-id": "c1"},
                 "body": {"subtotal": {"cents": 25.5, "currency": "USD"}, "originalPaymentId": REF}})),
        ["body.subtotal.cents"]
    );
    assert_eq!(f(json!({"dialect": "coinflow", "merchantId": "", "body": {}})), ["merchantId"]);
    let cit = |v: Value| paths(&call(parse_cit_json, &v));
    assert_eq!(
        cit(json!({"dialect": "infinic", "merchantId": "m1", "at": "2026-04-01T10:00:00Z", "request": {}})),
        ["credentialEvent"]
    );
    assert_eq!(
        cit(
            json!({"dialect": "coinflow", "merchantId": "m1", "at": "2026-04-01T10:00:00Z", "endpoint": "zero_authorization",
                   "request": {"token": "t"}, "response": {"paymentId": "p"}})
        ),
        ["zeroAuthCurrency"]
    );
    let outcome = call(
        read_outcome_json,
        &json!({"dialect": "spg", "attemptId": "a", "at": "2026-04-01T10:00:00Z", "body": {}}),
    );
    assert_eq!(paths(&outcome), ["status"]);
    let mut bad = evaluation("10.00");
    bad["now"] = json!("yesterday");
    assert_eq!(
        paths(&call(render_refusal_json, &json!({"dialect": "axerve", "evaluation": bad}))),
        ["evaluation.now"]
    );
    assert_eq!(paths(&serde_json::from_str(&parse_cit_json("{")).unwrap()), [""]);
}

#[test]
fn refusals_render_in_the_dialect_and_allowed_charges_render_nothing() {
    let refused =
        call(render_refusal_json, &json!({"dialect": "coinflow", "evaluation": evaluation("45.01")}));
    assert_eq!(refused["decision"]["outcome"], "refused");
    assert_eq!(refused["response"]["status"], 410);
    assert!(refused["response"]["body"]["message"].as_str().unwrap().contains("$45.00"), "{refused}");
    let allowed = call(render_refusal_json, &json!({"dialect": "spg", "evaluation": evaluation("45.00")}));
    assert_eq!(allowed["decision"]["outcome"], "allowed");
    assert_eq!(allowed["response"], Value::Null);
}

#[test]
fn infinic_webhook_and_axerve_8026_outcomes() {
    let webhook = call(
        read_outcome_json,
        &json!({"dialect": "infinic", "attemptId": "a1", "at": "2024-10-01T00:00:06Z", "network": "visa",
                "body": {"type": "StatusChange", "created": "2024-10-01T00:00:05Z",
                         "content": {"intent_id": "i1", "status": "failed", "failure_reason": "InsufficientFunds"}}}),
    );
    assert_eq!(webhook["outcome"]["result"], "declined", "{webhook}");
    assert_eq!(webhook["outcome"]["decline"]["reason"], "insufficient_funds");
    let soft = call(
        read_outcome_json,
        &json!({"dialect": "axerve", "status": 200, "attemptId": "a1", "at": "2026-04-20T10:00:00Z",
                "body": {"transactionResult": "KO", "bankTransactionID": "B1", "errorCode": "8026"}}),
    );
    assert_eq!(soft["outcome"]["decline"]["code"], "8026", "{soft}");
}
