//! Outbound MITs (`render_mit`, what the Worker's `POST /v1/charges` sends): the exact bytes of each
//! dialect's request, and the round trip `parse_mit(render_mit(x)) == x` for every field the dialect
//! carries.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test crate of its own (clippy.toml covers #[test] functions only): its helpers fail the test loudly"
)]

mod support;

use chrono::DateTime;
use mitgate_core::model::{Agreement, ChargeRequest, MitType};
use mitgate_core::money::Money;
use mitgate_core::pan::looks_like_card_number;
use mitgate_core::time::Timestamp;
use mitgate_dialects::{AgreementLookup, DialectId, MitOrder, MitRequest, RequestKind};
use proptest::prelude::*;
use support::*;

fn agreement(customer: Option<&str>, token: &str, kind: MitType, at: Timestamp, currency: &str) -> Agreement {
    let mut v = serde_json::json!({
        "id": "BTX-1", "merchantId": "demo", "type": kind,
        "established": {"method": "sca", "at": at}, "currency": currency,
        "paymentMethod": {"type": "card"}, "credential": {"token": token},
        "consent": {"storeCredential": true, "merchantInitiated": true}
    });
    if let Some(c) = customer {
        v["customerId"] = c.into();
    }
    mitgate_core::json::from_str(&v.to_string()).unwrap()
}

fn request(reference: &str, customer: Option<&str>, token: Option<&str>, amount: Money) -> ChargeRequest {
    ChargeRequest {
        merchant_id: "demo".to_string(),
        customer_id: customer.map(str::to_string),
        reference: reference.to_string(),
        reference_at: None,
        credential_token: token.map(str::to_string),
        mit_type: None,
        amount,
        notice_sent_at: None,
        reminder_sent_at: None,
        idempotency_key: None,
    }
}

fn order<'a>(agreement: &'a Agreement, request: &'a ChargeRequest, now: Timestamp) -> MitOrder<'a> {
    MitOrder { agreement, request, attempt_id: "att_1", now, terminal_id: "11111", shop_login: "GESPAY00001" }
}

fn headers(r: &MitRequest) -> Vec<(&str, &str)> {
    r.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The bytes `POST /v1/charges` has sent since it first rendered each dialect (the sandbox processor and
/// tests/worker read them).
#[test]
fn each_dialect_renders_the_documented_request_exactly() {
    let established = ts("2026-04-16T10:15:30.000Z");
    let now = ts("2026-05-01T00:00:00Z");
    let json = [("content-type", "application/json"), ("accept", "application/json")];
    for (id, amount, path, body, extra) in [
        (
            DialectId::Coinflow,
            money("25.00", "USD"),
            "/api/checkout/merchant-initiated-transaction",
            r#"{"subtotal":{"cents":2500,"currency":"USD"},"originalPaymentId":"BTX-1"}"#,
            Some(("x-user-id", "customer-123")),
        ),
        (
            DialectId::Infinic,
            money("100.00", "ZAR"),
            "/api/intents/auto-attempt",
            r#"{"amount":10000,"currency":"ZAR","reference_id":"att_1","purchaser_id":"customer-123","credentials":["TOK-1"]}"#,
            None,
        ),
        (
            DialectId::Spg,
            money("29.90", "EUR"),
            "/api/v2/payments",
            r#"{"merchant":{"terminalId":"11111","channel":"web","merchantTransactionId":"att_1"},"transaction":{"transactionTimestamp":"2026-05-01T00:00:00Z","paymentType":"MIT","paymentMethod":["CARD"],"amount":{"value":29.90,"currency":"EUR"}},"originalTransaction":{"id":"BTX-1","datetime":"2026-04-16T10:15:30Z"},"merchantInitiatedTransaction":{"type":"UCOF"}}"#,
            None,
        ),
        (
            DialectId::Axerve,
            money("10.00", "EUR"),
            "/",
            r#"{"shopLogin":"GESPAY00001","currency":"EUR","amount":"10.00","shopTransactionId":"att_1","tokenValue":"TOK-1","transDetails":{"type":"03N","previousTransDetails":{"bankTransactionID":"BTX-1"}}}"#,
            None,
        ),
    ] {
        let a = agreement(
            Some("customer-123"),
            "TOK-1",
            MitType::Unscheduled,
            established,
            amount.currency().code(),
        );
        let req = request("BTX-1", None, None, amount);
        let r = id.render_mit(&order(&a, &req, now)).unwrap();
        assert_eq!(r.path, path, "{id:?}");
        assert_eq!(r.body, body, "{id:?}");
        let mut expected = json.to_vec();
        expected.extend(extra);
        assert_eq!(headers(&r), expected, "{id:?}");
    }
}

#[test]
fn recurring_and_installment_agreements_render_the_recurring_codes() {
    let at = ts("2026-04-16T10:15:30Z");
    for kind in [MitType::Recurring, MitType::Installment] {
        let a = agreement(None, "TOK-1", kind, at, "EUR");
        let req = request("BTX-1", None, None, money("10.00", "EUR"));
        let spg = DialectId::Spg.render_mit(&order(&a, &req, at)).unwrap();
        assert!(spg.body.ends_with(r#""merchantInitiatedTransaction":{"type":"RCRR"}}"#), "{}", spg.body);
        let axerve = DialectId::Axerve.render_mit(&order(&a, &req, at)).unwrap();
        assert!(axerve.body.contains(r#""transDetails":{"type":"01N","#), "{}", axerve.body);
    }
}

#[test]
fn a_grandfathered_axerve_chain_round_trips_by_its_token() {
    let at = ts("2026-04-16T10:15:30Z");
    let a = agreement(None, "TOK-GF", MitType::Recurring, at, "EUR");
    let req = request("-100", None, None, money("9.99", "EUR"));
    let r = DialectId::Axerve.render_mit(&order(&a, &req, at)).unwrap();
    let parsed = DialectId::Axerve.parse_mit(&r.body, &mit_ctx("demo", &headers(&r))).unwrap();
    assert_eq!(parsed.lookup, AgreementLookup::CredentialToken("TOK-GF".to_string()));
    assert_eq!(parsed.request_for(Some(&a)).reference, "-100");
}

/// An id mitgate accepts (printable ASCII without spaces, never a card number), with JSON's special
/// characters (`"`, `\`) in play.
fn id() -> impl Strategy<Value = String> {
    "[!-~]{1,40}"
        .prop_filter("an id, not a card number or -100", |s| !looks_like_card_number(s) && s != "-100")
}

fn instant() -> impl Strategy<Value = Timestamp> {
    // 2000-01-01 to 2100-01-01, to the millisecond.
    (946_684_800_000i64..4_102_444_800_000)
        .prop_map(|ms| Timestamp::from_datetime(DateTime::from_timestamp_millis(ms).unwrap()))
}

fn amount() -> impl Strategy<Value = Money> {
    (1u64..100_000_000_000, prop::sample::select(vec!["USD", "EUR", "JPY", "KWD", "ZAR"]))
        .prop_map(|(minor, code)| Money::from_minor(i128::from(minor), cur(code)).unwrap())
}

fn mit_type() -> impl Strategy<Value = MitType> {
    prop::sample::select(vec![MitType::Unscheduled, MitType::Recurring, MitType::Installment])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parse_of_render_is_the_charge_in_every_dialect(
        reference in id(), attempt in id(), agreement_token in id(), request_token in prop::option::of(id()),
        agreement_customer in prop::option::of(id()), request_customer in prop::option::of(id()),
        money in amount(), kind in mit_type(), established in instant(), reference_at in prop::option::of(instant()),
        now in instant(), terminal in id(), shop in id(),
    ) {
        let a = agreement(agreement_customer.as_deref(), &agreement_token, kind, established, money.currency().code());
        let mut req = request(&reference, request_customer.as_deref(), request_token.as_deref(), money);
        req.reference_at = reference_at;
        let order = MitOrder { agreement: &a, request: &req, attempt_id: &attempt, now, terminal_id: &terminal, shop_login: &shop };
        let customer = request_customer.or(agreement_customer);
        let token = request_token.unwrap_or(agreement_token);
        // What the processor is told the charge is: the types 002 and 003 can say.
        let declared = if kind == MitType::Unscheduled { MitType::Unscheduled } else { MitType::Recurring };
        for id in DialectId::ALL {
            // Infinic always names a purchaser: rendered without a customer, `purchaser_id` is empty.
            if id == DialectId::Infinic && customer.is_none() {
                continue;
            }
            let r = id.render_mit(&order).unwrap();
            prop_assert_eq!(id.classify("POST", r.path, &r.body), RequestKind::Mit, "{:?}", id);
            let parsed = id.parse_mit(&r.body, &mit_ctx("demo", &headers(&r)));
            prop_assert!(parsed.is_ok(), "{:?}: {:?}\n{}", id, parsed, r.body);
            let parsed = parsed.unwrap();
            let base = request(&reference, None, None, money);
            let (expected, lookup) = match id {
                DialectId::Coinflow => (
                    ChargeRequest { customer_id: customer.clone(), ..base },
                    AgreementLookup::Reference(reference.clone()),
                ),
                DialectId::Infinic => (
                    ChargeRequest {
                        customer_id: customer.clone(),
                        reference: a.id.clone(),
                        credential_token: Some(token.clone()),
                        idempotency_key: Some(attempt.clone()),
                        ..base
                    },
                    AgreementLookup::CredentialToken(token.clone()),
                ),
                DialectId::Spg => (
                    ChargeRequest {
                        reference_at: Some(reference_at.unwrap_or(established)),
                        mit_type: Some(declared),
                        idempotency_key: Some(attempt.clone()),
                        ..base
                    },
                    AgreementLookup::Reference(reference.clone()),
                ),
                DialectId::Axerve => (
                    ChargeRequest {
                        credential_token: Some(token.clone()),
                        mit_type: Some(declared),
                        idempotency_key: Some(attempt.clone()),
                        ..base
                    },
                    AgreementLookup::Reference(reference.clone()),
                ),
            };
            prop_assert_eq!(&parsed.lookup, &lookup, "{:?}", id);
            prop_assert_eq!(parsed.request_for(Some(&a)), expected, "{:?}", id);
        }
    }
}
