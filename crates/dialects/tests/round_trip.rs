//! Per dialect: CIT documents → agreement; MIT request → `mitgate_core::evaluate` → refusal rendered in the
//! dialect with the status its document names; processor outcomes → state transitions.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_arguments,
    reason = "a test crate of its own (clippy.toml covers #[test] functions only): its helpers fail the test loudly; a case states every part of a document in one call"
)]

mod support;

use mitgate_core::decision::{Code, Decision, Verdict};
use mitgate_core::engine::Evaluation;
use mitgate_core::model::{Agreement, AgreementStatus, History, MitType, Payment};
use mitgate_core::state::{apply_outcome, record_attempt};
use mitgate_core::time::Timestamp;
use mitgate_core::{evaluate, Policy};
use mitgate_dialects::{
    axerve, coinflow, infinic, spg, AgreementLookup, Dialect, DialectId, DialectResponse, ParsedMit,
    RequestKind,
};
use serde_json::Value;
use support::*;

fn policy(json: &str) -> Policy {
    mitgate_core::validate::parse_json(json).unwrap()
}

fn decide(
    now: Timestamp,
    policy: &Policy,
    agreement: Option<&Agreement>,
    history: &History,
    parsed: &ParsedMit,
) -> Decision {
    let evaluation = Evaluation {
        now,
        policy: policy.clone(),
        agreement: agreement.cloned(),
        history: history.clone(),
        request: parsed.request_for(agreement),
    };
    evaluation.validate().unwrap();
    evaluate(&evaluation)
}

fn history(payment: &Payment) -> History {
    History { payments: vec![payment.clone()], ..History::default() }
}

fn body(r: &DialectResponse) -> Value {
    serde_json::from_str(&r.body).unwrap()
}

fn codes(d: &Decision) -> Vec<Code> {
    d.violations.iter().map(|v| v.code).collect()
}

/// Records the charge as allowed, then applies the processor's answer read by the dialect.
fn charge_and_settle(
    dialect: DialectId,
    agreement: &Agreement,
    hist: &History,
    parsed: &ParsedMit,
    decision: &Decision,
    attempt: &str,
    now: Timestamp,
    status: u16,
    answer: &str,
) -> (Agreement, History) {
    let request = parsed.request_for(Some(agreement));
    let recorded = record_attempt(agreement, hist, &request, decision, attempt, now).unwrap();
    let ctx = mitgate_dialects::OutcomeContext {
        attempt_id: attempt,
        at: now,
        network: agreement.payment_method.brand,
    };
    let outcome = dialect.read_outcome(status, answer, &ctx).unwrap().unwrap();
    apply_outcome(agreement, &recorded, &outcome).unwrap()
}

// ---------------------------------------------------------------- 001 Coinflow

fn coinflow_setup(endpoint: coinflow::CitEndpoint, request: &str) -> (Agreement, History) {
    let input = coinflow::CitInput {
        endpoint,
        request: &fixture(request),
        response: &fixture("coinflow/checkout_response.json"),
        zero_auth_currency: cur("USD"),
        token_cvv_verified: true,
    };
    let headers = [("x-user-id", "customer-123")];
    let c = coinflow::capture_cit(&input, &cit_ctx("your-merchant-id", &headers, "2026-01-01T00:00:00Z"))
        .unwrap();
    let h = history(&c.payment);
    (c.agreement, h)
}

fn coinflow_mit(cents: u64, reference: &str) -> ParsedMit {
    let mut v = fixture_json("coinflow/curl_mit_request.json");
    v["subtotal"]["cents"] = cents.into();
    v["originalPaymentId"] = reference.into();
    let headers = [("x-user-id", "customer-123")];
    coinflow::parse_mit(&v.to_string(), &mit_ctx("your-merchant-id", &headers)).unwrap()
}

#[test]
fn coinflow_zero_auth_then_mit_round_trip() {
    let settings = policy(&fixture("coinflow/merchant_settings.json"));
    let (a, h) = coinflow_setup(
        coinflow::CitEndpoint::ZeroAuthorization,
        "coinflow/curl_zero_auth_token_request.json",
    );
    assert_eq!(
        coinflow::classify("POST", "/api/checkout/merchant-initiated-transaction", ""),
        RequestKind::Mit
    );
    let parsed = coinflow::parse_mit(
        &fixture("coinflow/curl_mit_request.json"),
        &mit_ctx("your-merchant-id", &[("x-user-id", "customer-123")]),
    )
    .unwrap();
    let now = ts("2026-01-01T01:00:00Z");
    // 50.00 is within maxZeroAuthAmount 20.00 × maxMultiple 3.
    let allowed = decide(now, &settings, Some(&a), &h, &parsed);
    assert_eq!(allowed.outcome, Verdict::Allowed, "{:?}", allowed.violations);
    assert_eq!(coinflow::render_refusal(&allowed), None);

    // 70.00 is above: 410 with the document's sentence.
    let over = decide(now, &settings, Some(&a), &h, &coinflow_mit(7000, &a.id));
    assert_eq!(codes(&over), [Code::AmountAboveCeiling]);
    let r = coinflow::render_refusal(&over).unwrap();
    assert_eq!(r.status, 410);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("retry-after"), None);
    let b = body(&r);
    assert_eq!(
        b["message"],
        "Amount exceeds limit: the total for a card-on-file transaction cannot exceed $60.00 (the allowed multiplier of 3) of the original payment amount ($20.00)."
    );
    assert_eq!(b["mitgate"]["violations"][0]["code"], "amount_above_ceiling");
    assert_eq!(b["mitgate"]["violations"][0]["details"]["ceiling"]["amount"]["amount"], "60.00");
    assert_eq!(b["mitgate"]["outcome"], "refused");
}

#[test]
fn coinflow_velocity_is_429_with_retry_after() {
    let settings = policy(&fixture("coinflow/merchant_settings.json"));
    let (a, mut h) = coinflow_setup(coinflow::CitEndpoint::Card, "coinflow/curl_card_checkout_request.json");
    let parsed = coinflow_mit(5000, &a.id);
    // Five charges, one every ten minutes from 01:00.
    for i in 0..5u64 {
        let now = ts("2026-01-01T01:00:00Z").plus_seconds(i * 600);
        let d = decide(now, &settings, Some(&a), &h, &parsed);
        assert_eq!(d.outcome, Verdict::Allowed, "{i}: {:?}", d.violations);
        let (_, next) = charge_and_settle(
            DialectId::Coinflow,
            &a,
            &h,
            &parsed,
            &d,
            &format!("att-{i}"),
            now,
            200,
            &format!(r#"{{"paymentId":"mit-{i}"}}"#),
        );
        h = next;
    }
    let now = ts("2026-01-01T02:00:00Z");
    let d = decide(now, &settings, Some(&a), &h, &parsed);
    assert_eq!(codes(&d), [Code::VelocityExceeded]);
    let r = coinflow::render_refusal(&d).unwrap();
    assert_eq!(r.status, 429);
    // The first slot frees at 01:00 + 86400 s: 23 h after 02:00.
    assert_eq!(r.header("retry-after"), Some("82800"));
    assert_eq!(
        body(&r)["message"],
        "Max number of Card-on-File payments reached. (5 payments in 86400 seconds)"
    );
    assert_eq!(body(&r)["mitgate"]["retryAfterSeconds"], 82800);

    // Chaining: an MIT's own payment id as originalPaymentId is 403.
    let chained = decide(ts("2026-01-03T00:00:00Z"), &settings, Some(&a), &h, &coinflow_mit(100, "mit-0"));
    assert_eq!(codes(&chained), [Code::ReferenceIsMit]);
    let r = coinflow::render_refusal(&chained).unwrap();
    assert_eq!(r.status, 403);
    assert_eq!(
        body(&r)["message"],
        "Cannot perform card on file operations for a originalPaymentId which is a card on file transaction, please pass the originalPaymentId which processed with the CVV Verification"
    );
}

#[test]
fn coinflow_reference_window_not_enabled_and_unknown_reference() {
    let settings = policy(&fixture("coinflow/merchant_settings.json"));
    let (a, h) =
        coinflow_setup(coinflow::CitEndpoint::ZeroAuthorization, "coinflow/zero_auth_token_request.json");
    let parsed = coinflow_mit(1000, &a.id);

    let late = decide(ts("2026-01-31T00:00:00Z"), &settings, Some(&a), &h, &parsed);
    assert_eq!(codes(&late), [Code::ReferenceExpired]);
    let r = coinflow::render_refusal(&late).unwrap();
    assert_eq!(r.status, 410);
    assert_eq!(
        body(&r)["message"],
        "This original payment can no longer be used as a card-on-file reference because it has exceeded the allowed 43200-minute reference window."
    );

    let off = policy(r#"{"enabled": false}"#);
    let r =
        coinflow::render_refusal(&decide(ts("2026-01-02T00:00:00Z"), &off, Some(&a), &h, &parsed)).unwrap();
    assert_eq!(r.status, 403);
    assert_eq!(
        body(&r)["message"],
        "Merchant Initiated Transaction not enabled. Please contact your integrations representative."
    );

    let r = coinflow::render_refusal(&decide(
        ts("2026-01-02T00:00:00Z"),
        &settings,
        None,
        &History::default(),
        &parsed,
    ))
    .unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(body(&r)["mitgate"]["violations"][0]["code"], "agreement_not_found");

    // Another customer (x-user-id) on the same reference.
    let other = coinflow::parse_mit(
        &fixture("coinflow/mit_request.json"),
        &mit_ctx("your-merchant-id", &[("x-user-id", "customer-999")]),
    )
    .unwrap();
    let r = coinflow::render_refusal(&decide(ts("2026-01-02T00:00:00Z"), &settings, Some(&a), &h, &other))
        .unwrap();
    assert_eq!(r.status, 403);
    assert_eq!(body(&r)["mitgate"]["violations"][0]["code"], "customer_mismatch");
}

// ---------------------------------------------------------------- 000 Infinic

fn infinic_setup(credential_event: &str) -> (Agreement, History) {
    let input = infinic::CitInput {
        request: &fixture("infinic/intent_request.json"),
        credential_event,
        status_event: None,
    };
    let c = infinic::capture_cit(&input, &cit_ctx("m_infinic", &[], "2024-09-01T00:00:07Z")).unwrap();
    let h = history(&c.payment);
    (c.agreement, h)
}

#[test]
fn infinic_round_trip_and_the_three_documented_errors() {
    let enabled = policy(r#"{"enabled": true}"#);
    let (a, h) = infinic_setup(&fixture("infinic/payment_credential_webhook.json"));
    let parsed =
        infinic::parse_mit(&fixture("infinic/auto_attempt_request.json"), &mit_ctx("m_infinic", &[]))
            .unwrap();
    assert_eq!(parsed.lookup, AgreementLookup::CredentialToken(a.credential.token.clone()));
    let now = ts("2024-10-01T00:00:00Z");
    let d = decide(now, &enabled, Some(&a), &h, &parsed);
    assert_eq!(d.outcome, Verdict::Allowed, "{:?}", d.violations);

    let detail = |file: &str| fixture_json(&format!("infinic/{file}"))["detail"].clone();

    // 404: the credential token resolves to no agreement.
    let r = infinic::render_refusal(&decide(now, &enabled, None, &History::default(), &parsed)).unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(body(&r)["detail"], detail("error_404.json"));

    // 403: the credential belongs to a different merchant.
    let other_merchant =
        infinic::parse_mit(&fixture("infinic/auto_attempt_request.json"), &mit_ctx("m_other", &[])).unwrap();
    let r = infinic::render_refusal(&decide(now, &enabled, Some(&a), &h, &other_merchant)).unwrap();
    assert_eq!(r.status, 403);
    assert_eq!(body(&r)["detail"], detail("error_403.json"));
    assert_eq!(body(&r)["mitgate"]["violations"][0]["code"], "merchant_mismatch");

    // 422: the payment method does not support MIT.
    let mut webhook = fixture_json("infinic/payment_credential_webhook.json");
    webhook["content"]["is_mit_compatible"] = false.into();
    let (b, hb) = infinic_setup(&webhook.to_string());
    let r = infinic::render_refusal(&decide(now, &enabled, Some(&b), &hb, &parsed)).unwrap();
    assert_eq!(r.status, 422);
    assert_eq!(body(&r)["detail"], detail("error_422.json"));
    assert_eq!(body(&r)["mitgate"]["violations"][0]["code"], "credential_not_mit_compatible");
}

#[test]
fn infinic_card_expired_outcome_requires_a_new_card() {
    let enabled = policy(r#"{"enabled": true}"#);
    let (a, h) = infinic_setup(&fixture("infinic/payment_credential_webhook.json"));
    let parsed =
        infinic::parse_mit(&fixture("infinic/auto_attempt_request.json"), &mit_ctx("m_infinic", &[]))
            .unwrap();
    let now = ts("2024-10-01T00:00:00Z");
    let d = decide(now, &enabled, Some(&a), &h, &parsed);
    let (a2, h2) = charge_and_settle(
        DialectId::Infinic,
        &a,
        &h,
        &parsed,
        &d,
        "att-1",
        now,
        200,
        &fixture("infinic/auto_attempt_response_failed.json"),
    );
    assert_eq!(a2.status, AgreementStatus::ReauthenticationRequired);
    assert_eq!(a2.status_reason.as_deref(), Some("card_expired"));
    let again = decide(ts("2024-10-02T00:00:00Z"), &enabled, Some(&a2), &h2, &parsed);
    assert_eq!(codes(&again)[0], Code::ReauthenticationRequired);
    assert_eq!(infinic::render_refusal(&again).unwrap().status, 422);
}

// ---------------------------------------------------------------- 002 SPG

#[test]
fn spg_round_trip_with_the_exact_original_datetime() {
    let p = policy(r#"{"enabled": true, "maxMultiple": 3, "maxZeroAuthAmount": {"cents": 2000}}"#);
    let input = spg::CitInput {
        request: &fixture("spg/cit_auth_request.json"),
        response: &fixture("spg/cit_auth_response.json"),
    };
    let c = spg::capture_cit(&input, &cit_ctx("terminal-11111", &[], "2026-04-16T10:15:31Z")).unwrap();
    let (a, h) = (c.agreement, history(&c.payment));
    let parsed = spg::parse_mit(&fixture("spg/mit_request.json"), &mit_ctx("terminal-11111", &[])).unwrap();
    let now = ts("2026-04-17T10:15:30Z");
    let d = decide(now, &p, Some(&a), &h, &parsed);
    assert_eq!(d.outcome, Verdict::Allowed, "{:?}", d.violations);
    let (_, settled) = charge_and_settle(
        DialectId::Spg,
        &a,
        &h,
        &parsed,
        &d,
        "att-1",
        now,
        200,
        &fixture("spg/mit_response.json"),
    );
    assert_eq!(settled.attempts[0].payment_id.as_deref(), Some("txMIT123456789"));

    // The same instant written with an offset is the same timestamp.
    let mut v = fixture_json("spg/mit_request.json");
    v["originalTransaction"]["datetime"] = "2026-04-16T12:15:30+02:00".into();
    let same = spg::parse_mit(&v.to_string(), &mit_ctx("terminal-11111", &[])).unwrap();
    assert_eq!(decide(now, &p, Some(&a), &h, &same).outcome, Verdict::Allowed);

    // One second off: the document's pitfall 2, 422 in SPG's returnStatus shape.
    v["originalTransaction"]["datetime"] = "2026-04-16T10:15:31.000Z".into();
    let off = spg::parse_mit(&v.to_string(), &mit_ctx("terminal-11111", &[])).unwrap();
    let d = decide(now, &p, Some(&a), &h, &off);
    assert_eq!(codes(&d), [Code::ReferenceDatetimeMismatch]);
    let r = spg::render_refusal(&d).unwrap();
    assert_eq!(r.status, 422);
    let b = body(&r);
    assert_eq!(b["returnStatus"]["statusCode"], "422");
    assert!(b["returnStatus"]["statusMsg"].as_str().unwrap().starts_with("Incorrect datetime value: "));
    assert_eq!(b["paymentStatus"], "Failed");
    assert_eq!(b["mitgate"]["violations"][0]["code"], "reference_datetime_mismatch");

    // Above 20.00 × 3: 410.
    v["originalTransaction"]["datetime"] = "2026-04-16T10:15:30.000Z".into();
    v["transaction"]["amount"]["value"] = serde_json::from_str::<Value>("60.01").unwrap();
    let over = spg::parse_mit(&v.to_string(), &mit_ctx("terminal-11111", &[])).unwrap();
    assert_eq!(over.request.amount.minor_units(), 6001);
    let r = spg::render_refusal(&decide(now, &p, Some(&a), &h, &over)).unwrap();
    assert_eq!(r.status, 410);
    assert_eq!(body(&r)["returnStatus"]["statusCode"], "410");
}

#[test]
fn spg_advanced_mit_on_a_plain_auth_is_allowed_and_a_declared_type_must_match() {
    // 002 section 1's AUTH declares no MIT type: section 3's RCRR MIT on it is what the document shows.
    let p = policy(r#"{"enabled": true}"#);
    let input = spg::CitInput {
        request: &fixture("spg/cit_auth_request.json"),
        response: &fixture("spg/cit_auth_response.json"),
    };
    let c = spg::capture_cit(&input, &cit_ctx("t", &[], "2026-04-16T10:15:31Z")).unwrap();
    assert_eq!(c.agreement.mit_type, MitType::Unscheduled);
    assert!(!c.agreement.type_declared);
    let parsed = spg::parse_mit(&fixture("spg/mit_request_advanced.json"), &mit_ctx("t", &[])).unwrap();
    let d = decide(ts("2026-04-18T10:15:30Z"), &p, Some(&c.agreement), &history(&c.payment), &parsed);
    assert_eq!(codes(&d), []);

    // An AUTH that declared UCOF: the RCRR MIT contradicts it (422).
    let mut declared: Value = serde_json::from_str(&fixture("spg/cit_auth_request.json")).unwrap();
    declared["merchantInitiatedTransaction"] = serde_json::json!({"type": "UCOF"});
    let declared = declared.to_string();
    let input = spg::CitInput { request: &declared, response: &fixture("spg/cit_auth_response.json") };
    let c = spg::capture_cit(&input, &cit_ctx("t", &[], "2026-04-16T10:15:31Z")).unwrap();
    assert!(c.agreement.type_declared);
    let d = decide(ts("2026-04-18T10:15:30Z"), &p, Some(&c.agreement), &history(&c.payment), &parsed);
    assert_eq!(codes(&d), [Code::MitTypeMismatch]);
    assert_eq!(spg::render_refusal(&d).unwrap().status, 422);
}

// ---------------------------------------------------------------- 003 Axerve

fn axerve_setup() -> (Agreement, History) {
    let input = axerve::CitInput {
        request: &fixture("axerve/cit_01f_request.json"),
        response: &fixture("axerve/cit_01f_response.json"),
    };
    let c = axerve::capture_cit(&input, &cit_ctx("GESPAY00001", &[], "2026-02-01T09:00:00Z")).unwrap();
    let h = history(&c.payment);
    (c.agreement, h)
}

fn axerve_mit(amount: &str) -> ParsedMit {
    let mut v = fixture_json("axerve/mit_01n_request.json");
    v["amount"] = amount.into();
    axerve::parse_mit(&v.to_string(), &mit_ctx("GESPAY00001", &[])).unwrap()
}

#[test]
fn axerve_recurring_chain_round_trip() {
    let p = policy(r#"{"enabled": true}"#);
    let (a, h) = axerve_setup();
    let now = ts("2026-03-01T09:00:00Z");
    let parsed =
        axerve::parse_mit(&fixture("axerve/mit_01n_request.json"), &mit_ctx("GESPAY00001", &[])).unwrap();
    let d = decide(now, &p, Some(&a), &h, &parsed);
    assert_eq!(d.outcome, Verdict::Allowed, "{:?}", d.violations);

    // Above authenticationAmount: 410.
    let over = decide(now, &p, Some(&a), &h, &axerve_mit("10.01"));
    assert_eq!(codes(&over), [Code::AmountAboveCeiling]);
    let r = axerve::render_refusal(&over).unwrap();
    assert_eq!(r.status, 410);
    assert_eq!(body(&r)["transactionResult"], "KO");
    assert_eq!(body(&r)["errorCode"], "410");

    // Charged, then again 9 days later: frequency 14 says wait.
    let (a1, h1) = charge_and_settle(
        DialectId::Axerve,
        &a,
        &h,
        &parsed,
        &d,
        "att-1",
        now,
        200,
        &fixture("axerve/mit_response_ok.json"),
    );
    let soon = decide(ts("2026-03-10T09:00:00Z"), &p, Some(&a1), &h1, &parsed);
    assert_eq!(codes(&soon), [Code::IntervalTooShort]);
    let r = axerve::render_refusal(&soon).unwrap();
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("432000"));

    // After the 14 days the next charge is allowed; the issuer answers 8026.
    let later = ts("2026-03-15T09:00:00Z");
    let d2 = decide(later, &p, Some(&a1), &h1, &parsed);
    assert_eq!(d2.outcome, Verdict::Allowed, "{:?}", d2.violations);
    let (a2, h2) = charge_and_settle(
        DialectId::Axerve,
        &a1,
        &h1,
        &parsed,
        &d2,
        "att-2",
        later,
        200,
        &fixture("axerve/mit_response_8026.json"),
    );
    assert_eq!(a2.status, AgreementStatus::ReauthenticationRequired);
    assert_eq!(a2.status_reason.as_deref(), Some("soft_decline_8026"));

    // The chain now needs a new 01F: rendered as Axerve's own 8026.
    let d3 = decide(ts("2026-04-01T09:00:00Z"), &p, Some(&a2), &h2, &parsed);
    assert_eq!(codes(&d3)[0], Code::ReauthenticationRequired);
    let r = axerve::render_refusal(&d3).unwrap();
    assert_eq!(r.status, 403);
    assert_eq!(body(&r)["errorCode"], "8026");
    assert_eq!(body(&r)["errorDescription"], "Soft decline - Cardholder authentication required");

    // An unscheduled 03N on this recurring chain is the wrong type.
    let mut v = fixture_json("axerve/mit_03n_request.json");
    v["transDetails"]["previousTransDetails"]["bankTransactionID"] = "BTX-01F-0001".into();
    v["tokenValue"] = "TOK-01F-0001".into();
    let wrong = axerve::parse_mit(&v.to_string(), &mit_ctx("GESPAY00001", &[])).unwrap();
    let d4 = decide(now, &p, Some(&a), &h, &wrong);
    assert_eq!(codes(&d4), [Code::MitTypeMismatch]);
    assert_eq!(axerve::render_refusal(&d4).unwrap().status, 422);
}

#[test]
fn axerve_grandfathered_chain() {
    let setup = axerve::GrandfatheredSetup {
        token: "TOK-LEGACY-0001".into(),
        mit_type: MitType::Recurring,
        currency: cur("EUR"),
        max_amount: Some(money("50", "EUR")),
        expiry: None,
        frequency_days: None,
        card_expiry: None,
    };
    let ctx = cit_ctx("GESPAY00001", &[], "2026-01-01T00:00:00Z");
    let a = axerve::register_grandfathered(&setup, &ctx).unwrap();
    assert_eq!(a.id, "grandfathered:TOK-LEGACY-0001");
    assert_eq!(a.established.method, mitgate_core::model::EstablishmentMethod::Grandfathered);
    let parsed = axerve::parse_mit(
        &fixture("axerve/mit_grandfathered_01n_request.json"),
        &mit_ctx("GESPAY00001", &[]),
    )
    .unwrap();
    assert_eq!(parsed.request_for(Some(&a)).reference, "-100");
    let now = ts("2026-02-01T00:00:00Z");
    let d = decide(now, &policy(r#"{"enabled": true}"#), Some(&a), &History::default(), &parsed);
    assert_eq!(d.outcome, Verdict::Allowed, "{:?}", d.violations);
    let off = decide(
        now,
        &policy(r#"{"enabled": true, "allowGrandfathered": false}"#),
        Some(&a),
        &History::default(),
        &parsed,
    );
    assert_eq!(codes(&off), [Code::GrandfatheredNotAllowed]);
    assert_eq!(axerve::render_refusal(&off).unwrap().status, 403);

    let bad = axerve::GrandfatheredSetup { mit_type: MitType::Installment, ..setup };
    assert_eq!(axerve::register_grandfathered(&bad, &ctx).unwrap_err()[0].path, "mitType");
}

// ---------------------------------------------------------------- the shared interface

fn status_of<D: Dialect>(d: &Decision) -> u16 {
    D::render_refusal(d).map_or(200, |r| r.status)
}

#[test]
fn one_refusal_four_dialects() {
    let (a, h) =
        coinflow_setup(coinflow::CitEndpoint::ZeroAuthorization, "coinflow/zero_auth_token_request.json");
    let d = decide(
        ts("2026-01-02T00:00:00Z"),
        &policy(r#"{"enabled": true}"#),
        None,
        &h,
        &coinflow_mit(100, &a.id),
    );
    assert_eq!(codes(&d), [Code::AgreementNotFound]);
    assert_eq!(status_of::<infinic::Infinic>(&d), 404);
    assert_eq!(status_of::<coinflow::Coinflow>(&d), 404);
    assert_eq!(status_of::<spg::Spg>(&d), 404);
    assert_eq!(status_of::<axerve::Axerve>(&d), 404);
    for id in DialectId::ALL {
        let r = id.render_refusal(&d).unwrap();
        let b = body(&r);
        assert_eq!(b["mitgate"]["violations"][0]["code"], "agreement_not_found", "{id:?}");
        assert_eq!(DialectId::from_name(id.name()), Some(id));
    }
}

#[test]
fn proxy_routing_through_dialect_ids() {
    let cases = [
        (
            "/infinic/api/intents/auto-attempt",
            fixture("infinic/auto_attempt_request.json"),
            DialectId::Infinic,
        ),
        (
            "/coinflow/api/checkout/merchant-initiated-transaction",
            fixture("coinflow/mit_request.json"),
            DialectId::Coinflow,
        ),
        ("/spg/api/v2/payments", fixture("spg/mit_request.json"), DialectId::Spg),
        ("/axerve/api/v1/payment/submit", fixture("axerve/mit_01n_request.json"), DialectId::Axerve),
    ];
    for (path, body_text, expected) in cases {
        let (id, rest) = DialectId::split_path(path).unwrap();
        assert_eq!(id, expected);
        assert_eq!(id.classify("POST", rest, &body_text), RequestKind::Mit, "{path}");
        let parsed = id.parse_mit(&body_text, &mit_ctx("m", &[])).unwrap();
        assert!(parsed.request.amount.minor_units() > 0);
        let bad = id.parse_mit("{", &mit_ctx("m", &[])).unwrap_err();
        let r = id.render_errors(&bad);
        assert_eq!(r.status, 400);
        let b: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(b["mitgate"]["code"], "bad_input");
        assert_eq!(b["mitgate"]["errors"][0]["path"], "");
    }
    assert_eq!(
        DialectId::Spg.classify("POST", "/api/v2/payments", &fixture("spg/cit_auth_request.json")),
        RequestKind::Cit
    );
    assert_eq!(DialectId::Spg.classify("GET", "/api/v2/payments", ""), RequestKind::Other);
    assert_eq!(DialectId::Spg.classify("POST", "/api/v2/payments", "{not json"), RequestKind::Mit);
    assert_eq!(DialectId::Axerve.classify("POST", "/x", r#"{"amount": "1"}"#), RequestKind::Other);
}

#[test]
fn coinflow_raw_card_expiry_is_kept_and_enforced() {
    let settings = policy(&fixture("coinflow/merchant_settings.json"));
    let (a, h) = coinflow_setup(coinflow::CitEndpoint::Card, "coinflow/card_checkout_card_request.json");
    let parsed = coinflow_mit(1000, &a.id);
    // The document's card expires 12/2025: from 2026-01-01 it no longer works (410 in Coinflow's words).
    let after = decide(ts("2026-01-01T00:00:01Z"), &settings, Some(&a), &h, &parsed);
    assert_eq!(codes(&after), [Code::CardExpired]);
    assert_eq!(coinflow::render_refusal(&after).unwrap().status, 410);
}

#[test]
fn network_rule_refusals_in_every_dialect() {
    let (mut a, h) =
        coinflow_setup(coinflow::CitEndpoint::ZeroAuthorization, "coinflow/zero_auth_token_request.json");
    a.payment_method.brand = Some(mitgate_core::model::CardBrand::Mastercard);
    let settings = policy(r#"{"enabled": true, "maxMultiple": 3, "maxZeroAuthAmount": {"cents": 2000}}"#);
    // Ten declines of the card on the merchant's other agreement in the last ten hours.
    let attempts_json: Vec<String> = (0..10)
        .map(|i| {
            format!(
                r#"{{"id":"other-{i}","at":"2026-01-01T{:02}:00:00Z","amount":{{"amount":"1.00","currency":"USD"}},"status":"declined","credentialToken":"{}","decline":{{"code":"05"}}}}"#,
                i + 10,
                a.credential.token
            )
        })
        .collect();
    let mut shared = h.clone();
    shared.credential_attempts =
        mitgate_core::validate::parse_json(&format!("[{}]", attempts_json.join(","))).unwrap();
    let d = decide(ts("2026-01-01T20:00:00Z"), &settings, Some(&a), &shared, &coinflow_mit(100, &a.id));
    assert_eq!(codes(&d), [Code::CardDeclineLimitReached]);
    for id in DialectId::ALL {
        let r = id.render_refusal(&d).unwrap();
        assert_eq!(r.status, 429, "{id:?}");
        // The oldest decline (10:00) leaves the 24-hour window at 10:00 the next day: 14 h after 20:00.
        assert_eq!(r.header("retry-after"), Some("50400"), "{id:?}");
        assert_eq!(body(&r)["mitgate"]["violations"][0]["code"], "card_decline_limit_reached", "{id:?}");
    }

    a.established.advice_code = Some("41".to_string());
    let d = decide(ts("2026-01-01T20:00:00Z"), &settings, Some(&a), &h, &coinflow_mit(100, &a.id));
    assert_eq!(codes(&d), [Code::CredentialNotStorable]);
    assert_eq!(status_of::<infinic::Infinic>(&d), 422);
    assert_eq!(
        body(&infinic::Infinic::render_refusal(&d).unwrap())["detail"],
        "Credential cannot be used for MIT transactions"
    );
    assert_eq!(status_of::<coinflow::Coinflow>(&d), 403);
    assert_eq!(status_of::<spg::Spg>(&d), 403);
}
