//! How processor bodies are read (`mitgate_core::json`): unknown fields ignored, `null` as absent, a key
//! given twice refused, Axerve's `token` / `tokenValue` alias, numbers kept as written, and bodies that
//! are not objects.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test crate of its own (clippy.toml covers #[test] functions only): its helpers fail the test loudly"
)]

mod support;

use mitgate_dialects::{axerve, coinflow, infinic, spg, DialectId, RequestKind};
use support::*;

fn cf(body: &str) -> Result<mitgate_dialects::ParsedMit, Vec<mitgate_dialects::FieldError>> {
    coinflow::parse_mit(body, &mit_ctx("m", &[("x-user-id", "c")]))
}

#[test]
fn unknown_fields_are_ignored_and_null_is_absent() {
    let parsed = cf(r#"{"subtotal": {"cents": 2500, "currency": "USD", "x": [1, {"y": null}]},
        "originalPaymentId": "p1", "presentment": null, "webhookInfo": {"a": 1}, "settlementType": "USDC"}"#)
    .unwrap();
    assert_eq!(parsed.request.amount, money("25.00", "USD"));
    let e = cf(r#"{"subtotal": {"cents": 2500, "currency": "USD"}, "originalPaymentId": null}"#).unwrap_err();
    assert_eq!((e[0].path.as_str(), e[0].message.as_str()), ("originalPaymentId", "is required"));
}

#[test]
fn a_known_key_given_twice_is_refused() {
    let e = cf(r#"{"subtotal": {"cents": 1, "currency": "USD", "cents": 2}, "originalPaymentId": "p1"}"#)
        .unwrap_err();
    assert_eq!(e[0].path, "subtotal.cents");
    assert!(e[0].message.starts_with("duplicate field `cents`"), "{e:?}");
    // An ignored key may repeat, as before.
    cf(r#"{"subtotal": {"cents": 1, "currency": "USD"}, "originalPaymentId": "p1", "a": 1, "a": 2}"#)
        .unwrap();
}

#[test]
fn axerve_token_value_is_an_alias_of_token() {
    let request = fixture("axerve/cit_01f_request.json");
    let response = fixture("axerve/cit_01f_response.json");
    let ctx = cit_ctx("m", &[], "2026-02-01T09:00:00Z");
    let capture =
        |response: &str| axerve::capture_cit(&axerve::CitInput { request: &request, response }, &ctx);
    let aliased = response.replace("\"token\":", "\"tokenValue\":");
    assert_eq!(capture(&aliased).unwrap().agreement.credential.token, "TOK-01F-0001");
    let both = response.replace("\"token\":", "\"tokenValue\": \"TOK-X\", \"token\":");
    let e = capture(&both).unwrap_err();
    assert_eq!(e[0].path, "response.token");
    assert!(e[0].message.starts_with("duplicate field `token`"), "{e:?}");
}

#[test]
fn axerve_ids_are_strings_or_integers() {
    let ctx = outcome_ctx("a", "2026-01-01T00:00:00Z", None);
    let read = |id: &str| {
        axerve::read_outcome(
            200,
            &format!(r#"{{"transactionResult": "OK", "bankTransactionID": {id}}}"#),
            &ctx,
        )
    };
    assert_eq!(read("12345").unwrap().unwrap().payment_id.as_deref(), Some("12345"));
    assert_eq!(read("\" B1 \"").unwrap().unwrap().payment_id.as_deref(), Some("B1"));
    assert_eq!(read("null").unwrap().unwrap().payment_id, None);
    for bad in ["1.5", "1e3", "true", "{}", "[]"] {
        assert_eq!(read(bad).unwrap_err()[0].path, "bankTransactionID", "{bad}");
    }
}

#[test]
fn spg_amounts_are_read_from_their_text() {
    let body = fixture("spg/mit_request.json");
    for (literal, cents) in [("29.90", 2990), ("\"29.9\"", 2990), ("29.900", 2990), ("0.01", 1)] {
        let parsed = spg::parse_mit(&body.replace("29.90", literal), &mit_ctx("m", &[])).unwrap();
        assert_eq!(parsed.request.amount.minor_units(), cents, "{literal}");
    }
    let e = spg::parse_mit(&body.replace("29.90", "null"), &mit_ctx("m", &[])).unwrap_err();
    assert_eq!((e[0].path.as_str(), e[0].message.as_str()), ("transaction.amount.value", "is required"));
}

#[test]
fn bodies_that_are_not_objects_are_refused_at_their_root() {
    for id in DialectId::ALL {
        for body in ["[]", "[{}]", "\"x\"", "1", "null"] {
            let e = id.parse_mit(body, &mit_ctx("m", &[])).unwrap_err();
            assert_eq!(e[0].path, "", "{id:?} {body}");
        }
    }
    // A sub-object written as an array is a type error, not a positional struct.
    let e = cf(r#"{"subtotal": [2500, "USD"], "originalPaymentId": "p1"}"#).unwrap_err();
    assert_eq!(e[0].path, "subtotal");
}

#[test]
fn unreadable_bodies_classify_as_before() {
    // SPG and Axerve: a body that cannot be read is an MIT (mitgate parses it and answers 400).
    for body in [
        "{",
        "[]",
        r#"{"transaction": 1}"#,
        r#"{"transaction": {"paymentType": "AUTH", "paymentType": "AUTH"}}"#,
    ] {
        assert_eq!(spg::classify("POST", "/api/v2/payments", body), RequestKind::Mit, "{body}");
    }
    assert_eq!(
        spg::classify("POST", "/api/v2/payments", r#"{"transaction": {"paymentType": "AUTH"}, "x": 1}"#),
        RequestKind::Cit
    );
    assert_eq!(
        spg::classify(
            "POST",
            "/api/v2/payments",
            r#"{"transaction": {"paymentType": "AUTH"}, "originalTransaction": {}}"#
        ),
        RequestKind::Mit
    );
    assert_eq!(
        spg::classify("POST", "/api/v2/payments", r#"{"transaction": null, "originalTransaction": null}"#),
        RequestKind::Other
    );
    for body in ["{", r#"{"transDetails": "01N"}"#] {
        assert_eq!(axerve::classify("POST", "/", body), RequestKind::Mit, "{body}");
    }
    assert_eq!(axerve::classify("POST", "/", r#"{"transDetails": {"type": "03F"}}"#), RequestKind::Cit);
    assert_eq!(axerve::classify("POST", "/", r#"{"transDetails": {"type": 1}}"#), RequestKind::Other);
    // Infinic webhooks: anything but an object with a string `type` is another event.
    for body in ["{", "[]", r#"{"type": 1}"#, r#"{"type": "StatusChange", "type": "StatusChange"}"#] {
        assert_eq!(infinic::classify_webhook(body), infinic::WebhookKind::Other, "{body}");
    }
}
