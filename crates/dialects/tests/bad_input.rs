//! Bad input across the dialects: malformed JSON, wrong types, missing fields, too many decimals, unknown
//! currencies, contradictions. Each case asserts the path of the first error; none may panic, and no
//! error message may echo a card number.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test crate of its own (clippy.toml covers #[test] functions only): its helpers fail the test loudly"
)]

mod support;

use mitgate_core::pan::looks_like_card_number;
use mitgate_dialects::{axerve, coinflow, infinic, spg, FieldError};
use serde_json::{json, Value};
use support::*;

fn err<T: std::fmt::Debug>(r: Result<T, Vec<FieldError>>) -> Vec<FieldError> {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    }
}

/// A fixture with one edit.
fn edit(path: &str, f: impl FnOnce(&mut Value)) -> String {
    let mut v = fixture_json(path);
    f(&mut v);
    v.to_string()
}

fn cf_mit(body: &str) -> Vec<FieldError> {
    err(coinflow::parse_mit(body, &mit_ctx("m", &[("x-user-id", "customer-123")])))
}

fn cf_mit_headers(body: &str, headers: &[(&str, &str)]) -> Vec<FieldError> {
    err(coinflow::parse_mit(body, &mit_ctx("m", headers)))
}

fn cf_cit(endpoint: coinflow::CitEndpoint, request: &str, response: &str) -> Vec<FieldError> {
    let input = coinflow::CitInput {
        endpoint,
        request,
        response,
        zero_auth_currency: cur("USD"),
        token_cvv_verified: true,
    };
    err(coinflow::capture_cit(&input, &cit_ctx("m", &[("x-user-id", "c")], "2026-01-01T00:00:00Z")))
}

fn cf_card(f: impl FnOnce(&mut Value)) -> Vec<FieldError> {
    let req = edit("coinflow/card_checkout_card_request.json", f);
    cf_cit(coinflow::CitEndpoint::Card, &req, &fixture("coinflow/checkout_response.json"))
}

fn inf_mit(body: &str) -> Vec<FieldError> {
    err(infinic::parse_mit(body, &mit_ctx("m", &[])))
}

fn inf_cit(request: &str, credential_event: &str, status_event: Option<&str>) -> Vec<FieldError> {
    let input = infinic::CitInput { request, credential_event, status_event };
    err(infinic::capture_cit(&input, &cit_ctx("m", &[], "2024-09-01T00:00:07Z")))
}

fn inf_webhook(f: impl FnOnce(&mut Value)) -> Vec<FieldError> {
    inf_cit(
        &fixture("infinic/intent_request.json"),
        &edit("infinic/payment_credential_webhook.json", f),
        None,
    )
}

fn spg_mit(f: impl FnOnce(&mut Value)) -> Vec<FieldError> {
    err(spg::parse_mit(&edit("spg/mit_request.json", f), &mit_ctx("m", &[])))
}

fn spg_cit(request: &str, response: &str) -> Vec<FieldError> {
    err(spg::capture_cit(&spg::CitInput { request, response }, &cit_ctx("m", &[], "2026-04-16T10:15:31Z")))
}

fn ax_mit(f: impl FnOnce(&mut Value)) -> Vec<FieldError> {
    err(axerve::parse_mit(&edit("axerve/mit_01n_request.json", f), &mit_ctx("m", &[])))
}

fn ax_cit(req: impl FnOnce(&mut Value), resp: impl FnOnce(&mut Value)) -> Vec<FieldError> {
    let request = edit("axerve/cit_01f_request.json", req);
    let response = edit("axerve/cit_01f_response.json", resp);
    err(axerve::capture_cit(
        &axerve::CitInput { request: &request, response: &response },
        &cit_ctx("m", &[], "2026-02-01T09:00:00Z"),
    ))
}

/// The SPG MIT example with its amount literal replaced verbatim (a `Value` round trip would rewrite
/// `2.99e1` or `0.00`).
fn spg_amount(literal: &str) -> Vec<FieldError> {
    let text = fixture("spg/mit_request.json");
    assert!(text.contains("\"value\": 29.90"));
    err(spg::parse_mit(
        &text.replace("\"value\": 29.90", &format!("\"value\": {literal}")),
        &mit_ctx("m", &[]),
    ))
}

#[test]
fn every_bad_input_names_its_field() {
    let cf_resp = fixture("coinflow/checkout_response.json");
    let cases: Vec<(&str, Vec<FieldError>, &str)> = vec![
        // ---- 001 Coinflow MIT
        ("coinflow: truncated JSON", cf_mit(r#"{"subtotal": "#), "subtotal"),
        ("coinflow: not JSON", cf_mit("subtotal=2500"), ""),
        ("coinflow: body is an array", cf_mit("[]"), ""),
        ("coinflow: trailing data", cf_mit(&(fixture("coinflow/mit_request.json") + "x")), ""),
        (
            "coinflow: cents as a string",
            cf_mit(r#"{"subtotal":{"cents":"2500","currency":"USD"},"originalPaymentId":"p1"}"#),
            "subtotal.cents",
        ),
        (
            "coinflow: fractional cents",
            cf_mit(r#"{"subtotal":{"cents":25.5,"currency":"USD"},"originalPaymentId":"p1"}"#),
            "subtotal.cents",
        ),
        (
            "coinflow: negative cents",
            cf_mit(r#"{"subtotal":{"cents":-1,"currency":"USD"},"originalPaymentId":"p1"}"#),
            "subtotal.cents",
        ),
        (
            "coinflow: zero cents",
            cf_mit(r#"{"subtotal":{"cents":0,"currency":"USD"},"originalPaymentId":"p1"}"#),
            "subtotal.cents",
        ),
        (
            "coinflow: cents beyond 2^53",
            cf_mit(r#"{"subtotal":{"cents":9007199254740992,"currency":"USD"},"originalPaymentId":"p1"}"#),
            "subtotal.cents",
        ),
        ("coinflow: missing subtotal", cf_mit(r#"{"originalPaymentId":"p1"}"#), "subtotal"),
        (
            "coinflow: missing cents",
            cf_mit(r#"{"subtotal":{"currency":"USD"},"originalPaymentId":"p1"}"#),
            "subtotal.cents",
        ),
        (
            "coinflow: missing currency",
            cf_mit(r#"{"subtotal":{"cents":1},"originalPaymentId":"p1"}"#),
            "subtotal.currency",
        ),
        (
            "coinflow: unknown currency",
            cf_mit(r#"{"subtotal":{"cents":1,"currency":"XYZ"},"originalPaymentId":"p1"}"#),
            "subtotal.currency",
        ),
        (
            "coinflow: lower-case currency",
            cf_mit(r#"{"subtotal":{"cents":1,"currency":"usd"},"originalPaymentId":"p1"}"#),
            "subtotal.currency",
        ),
        (
            "coinflow: missing originalPaymentId",
            cf_mit(r#"{"subtotal":{"cents":1,"currency":"USD"}}"#),
            "originalPaymentId",
        ),
        (
            "coinflow: null originalPaymentId",
            cf_mit(r#"{"subtotal":{"cents":1,"currency":"USD"},"originalPaymentId":null}"#),
            "originalPaymentId",
        ),
        (
            "coinflow: numeric originalPaymentId",
            cf_mit(r#"{"subtotal":{"cents":1,"currency":"USD"},"originalPaymentId":123}"#),
            "originalPaymentId",
        ),
        (
            "coinflow: empty originalPaymentId",
            cf_mit(r#"{"subtotal":{"cents":1,"currency":"USD"},"originalPaymentId":""}"#),
            "originalPaymentId",
        ),
        (
            "coinflow: unknown presentment currency",
            cf_mit(
                r#"{"subtotal":{"cents":1,"currency":"USD"},"originalPaymentId":"p1","presentment":"EURO"}"#,
            ),
            "presentment",
        ),
        (
            "coinflow: x-user-id with a space",
            cf_mit_headers(&fixture("coinflow/mit_request.json"), &[("X-User-Id", "customer 123")]),
            "headers.x-user-id",
        ),
        // ---- 001 Coinflow CIT
        (
            "coinflow cit: short card number",
            cf_card(|v| v["card"]["number"] = "4111".into()),
            "request.card.number",
        ),
        (
            "coinflow cit: card number as a JSON number",
            cf_card(|v| v["card"]["number"] = json!(4111111111111111u64)),
            "request.card.number",
        ),
        (
            "coinflow cit: no cvv",
            cf_card(|v| {
                v["card"].as_object_mut().unwrap().remove("cvv");
            }),
            "request.card.cvv",
        ),
        ("coinflow cit: five-digit cvv", cf_card(|v| v["card"]["cvv"] = "12345".into()), "request.card.cvv"),
        (
            "coinflow cit: month 13",
            cf_card(|v| v["card"]["expiryMonth"] = "13".into()),
            "request.card.expiryMonth",
        ),
        (
            "coinflow cit: year not a number",
            cf_card(|v| v["card"]["expiryYear"] = "20x5".into()),
            "request.card.expiryYear",
        ),
        (
            "coinflow cit: missing expiryYear",
            cf_card(|v| {
                v["card"].as_object_mut().unwrap().remove("expiryYear");
            }),
            "request.card.expiryYear",
        ),
        ("coinflow cit: card and token", cf_card(|v| v["token"] = "tok_1".into()), "request.card"),
        (
            "coinflow cit: checkout without subtotal",
            cf_card(|v| {
                v.as_object_mut().unwrap().remove("subtotal");
            }),
            "request.subtotal",
        ),
        (
            "coinflow cit: neither card nor token",
            cf_cit(coinflow::CitEndpoint::ZeroAuthorization, "{}", &cf_resp),
            "request.token",
        ),
        (
            "coinflow cit: token that is a card number",
            cf_cit(coinflow::CitEndpoint::ZeroAuthorization, r#"{"token":"4111111111111111"}"#, &cf_resp),
            "request.token",
        ),
        (
            "coinflow cit: response without paymentId",
            cf_cit(
                coinflow::CitEndpoint::ZeroAuthorization,
                &fixture("coinflow/zero_auth_token_request.json"),
                "{}",
            ),
            "response.paymentId",
        ),
        (
            "coinflow cit: malformed response",
            cf_cit(
                coinflow::CitEndpoint::ZeroAuthorization,
                &fixture("coinflow/zero_auth_token_request.json"),
                "<html>",
            ),
            "response",
        ),
        // ---- 000 Infinic MIT
        (
            "infinic: fractional amount",
            inf_mit(&edit("infinic/auto_attempt_request.json", |v| v["amount"] = json!(100.5))),
            "amount",
        ),
        (
            "infinic: amount as a string",
            inf_mit(&edit("infinic/auto_attempt_request.json", |v| v["amount"] = "10000".into())),
            "amount",
        ),
        (
            "infinic: missing currency",
            inf_mit(&edit("infinic/auto_attempt_request.json", |v| {
                v.as_object_mut().unwrap().remove("currency");
            })),
            "currency",
        ),
        (
            "infinic: unknown currency",
            inf_mit(&edit("infinic/auto_attempt_request.json", |v| v["currency"] = "ZZZ".into())),
            "currency",
        ),
        (
            "infinic: no credentials",
            inf_mit(&edit("infinic/auto_attempt_request.json", |v| {
                v.as_object_mut().unwrap().remove("credentials");
            })),
            "credentials",
        ),
        (
            "infinic: empty credentials",
            inf_mit(&edit("infinic/auto_attempt_request.json", |v| v["credentials"] = json!([]))),
            "credentials",
        ),
        (
            "infinic: two credentials",
            inf_mit(&edit("infinic/auto_attempt_request.json", |v| v["credentials"] = json!(["a", "b"]))),
            "credentials",
        ),
        (
            "infinic: credentials not a list",
            inf_mit(&edit("infinic/auto_attempt_request.json", |v| v["credentials"] = "cred".into())),
            "credentials",
        ),
        (
            "infinic: numeric credential",
            inf_mit(&edit("infinic/auto_attempt_request.json", |v| v["credentials"] = json!([5]))),
            "credentials[0]",
        ),
        (
            "infinic: credential is a card number",
            inf_mit(&edit("infinic/auto_attempt_request.json", |v| {
                v["credentials"] = json!(["4111 1111 1111 1111"])
            })),
            "credentials[0]",
        ),
        (
            "infinic: empty purchaser_id",
            inf_mit(&edit("infinic/auto_attempt_request.json", |v| v["purchaser_id"] = "".into())),
            "purchaser_id",
        ),
        // ---- 000 Infinic CIT
        (
            "infinic cit: card_expiry as 12/2025",
            inf_webhook(|v| v["content"]["card_expiry"] = "12/2025".into()),
            "credentialEvent.content.card_expiry",
        ),
        (
            "infinic cit: wrong event type",
            inf_webhook(|v| v["type"] = "StatusChange".into()),
            "credentialEvent.type",
        ),
        (
            "infinic cit: created not an instant",
            inf_webhook(|v| v["created"] = "yesterday".into()),
            "credentialEvent.created",
        ),
        (
            "infinic cit: no credential_token",
            inf_webhook(|v| {
                v["content"].as_object_mut().unwrap().remove("credential_token");
            }),
            "credentialEvent.content.credential_token",
        ),
        (
            "infinic cit: is_mit_compatible as a string",
            inf_webhook(|v| v["content"]["is_mit_compatible"] = "yes".into()),
            "credentialEvent.content.is_mit_compatible",
        ),
        (
            "infinic cit: another purchaser",
            inf_webhook(|v| v["content"]["purchaser_id"] = "customer_999".into()),
            "credentialEvent.content.purchaser_id",
        ),
        (
            "infinic cit: card_last4 of three digits",
            inf_webhook(|v| v["content"]["card_last4"] = "123".into()),
            "credentialEvent.content.card_last4",
        ),
        (
            "infinic cit: intent amount missing",
            inf_cit(
                &edit("infinic/intent_request.json", |v| {
                    v.as_object_mut().unwrap().remove("amount");
                }),
                &fixture("infinic/payment_credential_webhook.json"),
                None,
            ),
            "request.amount",
        ),
        (
            "infinic cit: failed StatusChange",
            inf_cit(
                &fixture("infinic/intent_request.json"),
                &fixture("infinic/payment_credential_webhook.json"),
                Some(&edit("infinic/status_change_failed.json", |v| {
                    v["content"]["intent_id"] = "550e8400-e29b-41d4-a716-446655440000".into()
                })),
            ),
            "statusEvent.content.status",
        ),
        (
            "infinic cit: StatusChange of another intent",
            inf_cit(
                &fixture("infinic/intent_request.json"),
                &fixture("infinic/payment_credential_webhook.json"),
                Some(&fixture("infinic/status_change_success.json")),
            ),
            "statusEvent.content.intent_id",
        ),
        // ---- 002 SPG MIT
        ("spg: three decimals in EUR", spg_amount(r#"29.901"#), "transaction.amount.value"),
        ("spg: exponent notation", spg_amount(r#"2.99e1"#), "transaction.amount.value"),
        ("spg: amount as a word", spg_amount(r#""abc""#), "transaction.amount.value"),
        ("spg: amount as a boolean", spg_amount(r#"true"#), "transaction.amount.value"),
        ("spg: negative amount", spg_amount(r#"-29.90"#), "transaction.amount.value"),
        ("spg: zero amount", spg_amount(r#"0.00"#), "transaction.amount.value"),
        (
            "spg: decimals in JPY",
            err(spg::parse_mit(
                &fixture("spg/mit_request.json").replace("29.90", "10.5").replace("\"EUR\"", "\"JPY\""),
                &mit_ctx("m", &[]),
            )),
            "transaction.amount.value",
        ),
        (
            "spg: unknown currency",
            spg_mit(|v| v["transaction"]["amount"]["currency"] = "EURO".into()),
            "transaction.amount.currency",
        ),
        (
            "spg: missing amount",
            spg_mit(|v| {
                v["transaction"].as_object_mut().unwrap().remove("amount");
            }),
            "transaction.amount",
        ),
        (
            "spg: missing value",
            spg_mit(|v| {
                v["transaction"]["amount"].as_object_mut().unwrap().remove("value");
            }),
            "transaction.amount.value",
        ),
        (
            "spg: paymentType AUTH",
            spg_mit(|v| v["transaction"]["paymentType"] = "AUTH".into()),
            "transaction.paymentType",
        ),
        (
            "spg: paymentType a number",
            spg_mit(|v| v["transaction"]["paymentType"] = json!(2)),
            "transaction.paymentType",
        ),
        (
            "spg: no originalTransaction",
            spg_mit(|v| {
                v.as_object_mut().unwrap().remove("originalTransaction");
            }),
            "originalTransaction",
        ),
        (
            "spg: no originalTransaction.id",
            spg_mit(|v| {
                v["originalTransaction"].as_object_mut().unwrap().remove("id");
            }),
            "originalTransaction.id",
        ),
        (
            "spg: date-only datetime",
            spg_mit(|v| v["originalTransaction"]["datetime"] = "2026-04-16".into()),
            "originalTransaction.datetime",
        ),
        (
            "spg: bad transactionTimestamp",
            spg_mit(|v| v["transaction"]["transactionTimestamp"] = "16/04/2026".into()),
            "transaction.transactionTimestamp",
        ),
        (
            "spg: unknown MIT type",
            spg_mit(|v| v["merchantInitiatedTransaction"] = json!({"type": "XXXX"})),
            "merchantInitiatedTransaction.type",
        ),
        (
            "spg: unknown amountQualifier",
            spg_mit(|v| {
                v["merchantInitiatedTransaction"] = json!({"type": "RCRR", "amountQualifier": "MAX"})
            }),
            "merchantInitiatedTransaction.amountQualifier",
        ),
        // ---- 002 SPG CIT
        (
            "spg cit: declined authorization",
            spg_cit(
                &fixture("spg/cit_auth_request.json"),
                &edit("spg/cit_auth_response.json", |v| v["returnStatus"]["statusCode"] = "051".into()),
            ),
            "response.returnStatus.statusCode",
        ),
        (
            "spg cit: no token",
            spg_cit(
                &fixture("spg/cit_auth_request.json"),
                &edit("spg/cit_auth_response.json", |v| {
                    v.as_object_mut().unwrap().remove("token");
                }),
            ),
            "response.token",
        ),
        (
            "spg cit: MIT sent as the initial authorization",
            spg_cit(&fixture("spg/mit_request.json"), &fixture("spg/cit_auth_response.json")),
            "request.transaction.paymentType",
        ),
        (
            "spg cit: unknown schedule interval",
            spg_cit(
                &edit(
                    "spg/cit_auth_request.json",
                    |v| v["merchantInitiatedTransaction"] = json!({"type": "RCRR", "schedule": {"initialDate": "2026-05-01T00:00:00.000Z", "interval": "FORTNIGHTLY"}}),
                ),
                &fixture("spg/cit_auth_response.json"),
            ),
            "request.merchantInitiatedTransaction.schedule.interval",
        ),
        (
            "spg cit: bad validityDate",
            spg_cit(
                &edit("spg/cit_auth_request.json", |v| {
                    v["merchantInitiatedTransaction"] =
                        json!({"type": "UCOF", "validityDate": "2027-02-30T00:00:00Z"})
                }),
                &fixture("spg/cit_auth_response.json"),
            ),
            "request.merchantInitiatedTransaction.validityDate",
        ),
        // ---- 003 Axerve MIT
        (
            "axerve: first-transaction type on an MIT",
            ax_mit(|v| v["transDetails"]["type"] = "01F".into()),
            "transDetails.type",
        ),
        ("axerve: unknown type", ax_mit(|v| v["transDetails"]["type"] = "02N".into()), "transDetails.type"),
        (
            "axerve: no bankTransactionID",
            ax_mit(|v| {
                v["transDetails"].as_object_mut().unwrap().remove("previousTransDetails");
            }),
            "transDetails.previousTransDetails.bankTransactionID",
        ),
        (
            "axerve: bankTransactionID as an object",
            ax_mit(|v| v["transDetails"]["previousTransDetails"]["bankTransactionID"] = json!({})),
            "transDetails.previousTransDetails.bankTransactionID",
        ),
        (
            "axerve: grandfathered without tokenValue",
            ax_mit(|v| {
                v["transDetails"]["previousTransDetails"]["bankTransactionID"] = "-100".into();
                v.as_object_mut().unwrap().remove("tokenValue");
            }),
            "tokenValue",
        ),
        ("axerve: unknown uicCode", ax_mit(|v| v["uicCode"] = "999".into()), "uicCode"),
        (
            "axerve: no currency at all",
            ax_mit(|v| {
                v.as_object_mut().unwrap().remove("uicCode");
            }),
            "currency",
        ),
        ("axerve: currency contradicts uicCode", ax_mit(|v| v["currency"] = "USD".into()), "currency"),
        ("axerve: three decimals", ax_mit(|v| v["amount"] = "10.001".into()), "amount"),
        (
            "axerve: amount missing",
            ax_mit(|v| {
                v.as_object_mut().unwrap().remove("amount");
            }),
            "amount",
        ),
        (
            "axerve: expiry with dashes",
            ax_mit(|v| v["transDetails"]["recurringTransaction"] = json!({"expiry": "2030-12-25"})),
            "transDetails.recurringTransaction.expiry",
        ),
        (
            "axerve: frequency in words",
            ax_mit(|v| v["transDetails"]["recurringTransaction"] = json!({"frequency": "two weeks"})),
            "transDetails.recurringTransaction.frequency",
        ),
        (
            "axerve: tokenValue that is a card number",
            ax_mit(|v| v["tokenValue"] = "5555555555554444".into()),
            "tokenValue",
        ),
        // ---- 003 Axerve CIT
        (
            "axerve cit: 01F without authenticationAmount",
            ax_cit(
                |v| {
                    v["transDetails"].as_object_mut().unwrap().remove("authenticationAmount");
                },
                |_| {},
            ),
            "request.transDetails.authenticationAmount",
        ),
        (
            "axerve cit: authenticationAmount below amount",
            ax_cit(|v| v["amount"] = "20".into(), |_| {}),
            "request.transDetails.authenticationAmount",
        ),
        (
            "axerve cit: 01F without frequency",
            ax_cit(|v| v["transDetails"]["recurringTransaction"] = json!({"expiry": "20301225"}), |_| {}),
            "request.transDetails.recurringTransaction.frequency",
        ),
        (
            "axerve cit: no expiry",
            ax_cit(|v| v["transDetails"]["recurringTransaction"] = json!({"frequency": "14"}), |_| {}),
            "request.transDetails.recurringTransaction.expiry",
        ),
        (
            "axerve cit: impossible expiry date",
            ax_cit(|v| v["transDetails"]["recurringTransaction"]["expiry"] = "20300231".into(), |_| {}),
            "request.transDetails.recurringTransaction.expiry",
        ),
        (
            "axerve cit: failed first transaction",
            ax_cit(|_| {}, |v| v["transactionResult"] = "KO".into()),
            "response.transactionResult",
        ),
        (
            "axerve cit: token expiry month 13",
            ax_cit(|_| {}, |v| v["tokenExpiryMonth"] = "13".into()),
            "response.tokenExpiryMonth",
        ),
        (
            "axerve cit: no bankTransactionID",
            ax_cit(
                |_| {},
                |v| {
                    v.as_object_mut().unwrap().remove("bankTransactionID");
                },
            ),
            "response.bankTransactionID",
        ),
    ];
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (name, errors, path) in &cases {
        match errors.first() {
            Some(first) if first.path == *path => {}
            _ => failures.push(format!("{name}: expected path `{path}`, got {errors:?}")),
        }
        for e in errors {
            assert!(!e.message.is_empty(), "{name}");
            assert!(
                !looks_like_card_number(&e.message),
                "{name}: message echoes a card number: {}",
                e.message
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn hostile_inputs_never_panic() {
    let bodies = [
        "",
        " ",
        "null",
        "0",
        "\"x\"",
        "[]",
        "{}",
        "{\"a\":",
        "\u{0}",
        "{\"subtotal\":{\"cents\":1e400}}",
        "{\"transaction\":{\"amount\":{\"value\":1e400,\"currency\":\"EUR\"}}}",
        "{\"transaction\":{\"amount\":{\"value\":99999999999999999999999999999999,\"currency\":\"EUR\"}}}",
        "{\"amount\":\"\",\"currency\":\"EUR\",\"transDetails\":{\"type\":\"01N\"}}",
        "{\"credentials\":[null]}",
    ];
    let deep = "[".repeat(10_000);
    let ctx = mit_ctx("m", &[]);
    for b in bodies.iter().copied().chain(std::iter::once(deep.as_str())) {
        for id in mitgate_dialects::DialectId::ALL {
            let _ = id.classify("POST", "/api/v2/payments", b);
            if let Err(errors) = id.parse_mit(b, &ctx) {
                assert!(!errors.is_empty());
                let _ = id.render_errors(&errors);
            }
            let octx = outcome_ctx("a", "2026-01-01T00:00:00Z", None);
            for status in [200, 402, 404, 500] {
                let _ = id.read_outcome(status, b, &octx);
            }
        }
    }
}
