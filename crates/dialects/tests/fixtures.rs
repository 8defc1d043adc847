//! Every JSON example of the four documents parses into the expected canonical values, field by field.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test crate of its own (clippy.toml covers #[test] functions only): its helpers fail the test loudly"
)]

mod support;

use mitgate_core::model::{
    AgreementStatus, AmountQualifier, CardBrand, Consent, DeclineReason, EstablishmentMethod, Interval,
    MitType, OutcomeResult, PaymentKind, PaymentMethodKind,
};
use mitgate_core::time::{ValidUntil, YearMonth};
use mitgate_core::Policy;
use mitgate_dialects::{axerve, coinflow, infinic, spg, AgreementLookup, RequestKind};
use support::*;

// ---------------------------------------------------------------- 000 Infinic

#[test]
fn infinic_intent_and_payment_credential_webhook_give_the_agreement() {
    let input = infinic::CitInput {
        request: &fixture("infinic/intent_request.json"),
        credential_event: &fixture("infinic/payment_credential_webhook.json"),
        status_event: None,
    };
    let c = infinic::capture_cit(&input, &cit_ctx("m_infinic", &[], "2024-09-01T00:00:07Z")).unwrap();
    let a = &c.agreement;
    assert_eq!(a.id, "550e8400-e29b-41d4-a716-446655440000");
    assert_eq!(a.merchant_id, "m_infinic");
    assert_eq!(a.customer_id.as_deref(), Some("customer_123"));
    assert_eq!(a.mit_type, MitType::Unscheduled);
    assert_eq!(a.established.method, EstablishmentMethod::CvvPurchase);
    assert_eq!(a.established.at, ts("2024-09-01T00:00:00Z"));
    assert_eq!(a.established.amount, Some(money("100.00", "ZAR")));
    assert_eq!(a.currency, cur("ZAR"));
    assert_eq!(a.payment_method.kind, PaymentMethodKind::Card);
    assert_eq!(a.payment_method.brand, Some(CardBrand::Visa));
    assert!(a.payment_method.mit_compatible);
    assert_eq!(a.credential.token, "cred_token_abc123xyz");
    assert_eq!(a.credential.card_expiry, YearMonth::new(2025, 12));
    assert_eq!(a.credential.last4.as_deref(), Some("1234"));
    assert_eq!(a.consent, Consent { store_credential: true, merchant_initiated: true });
    assert_eq!(a.terms, Default::default());
    assert_eq!(a.status, AgreementStatus::Active);
    assert_eq!(a.status_reason, None);
    let p = &c.payment;
    assert_eq!(p.id, "550e8400-e29b-41d4-a716-446655440000");
    assert_eq!(p.at, ts("2024-09-01T00:00:00Z"));
    assert_eq!(p.amount.minor_units(), 10000);
    assert_eq!(p.amount.amount().to_string(), "100.00");
    assert!(p.cvv_verified);
    assert_eq!(p.kind, PaymentKind::Purchase);
}

#[test]
fn infinic_cit_with_its_status_change_success() {
    let mut status = fixture_json("infinic/status_change_success.json");
    status["content"]["intent_id"] = "550e8400-e29b-41d4-a716-446655440000".into();
    let status = status.to_string();
    let input = infinic::CitInput {
        request: &fixture("infinic/intent_request.json"),
        credential_event: &fixture("infinic/payment_credential_webhook.json"),
        status_event: Some(&status),
    };
    let c = infinic::capture_cit(&input, &cit_ctx("m_infinic", &[], "2024-09-01T00:00:07Z")).unwrap();
    assert_eq!(c.agreement.id, "550e8400-e29b-41d4-a716-446655440000");
}

#[test]
fn infinic_require_flag_is_consent_too_and_missing_flags_are_kept() {
    let mut req = fixture_json("infinic/intent_request.json");
    req.as_object_mut().unwrap().remove("request_unscheduled_mit");
    req["require_unscheduled_mit"] = true.into();
    let text = req.to_string();
    let webhook = fixture("infinic/payment_credential_webhook.json");
    let input = infinic::CitInput { request: &text, credential_event: &webhook, status_event: None };
    let a = infinic::capture_cit(&input, &cit_ctx("m", &[], "2024-09-01T00:00:07Z")).unwrap().agreement;
    assert_eq!(a.consent, Consent { store_credential: true, merchant_initiated: true });

    req.as_object_mut().unwrap().remove("require_unscheduled_mit");
    req["allow_remember_credentials"] = false.into();
    let text = req.to_string();
    let input = infinic::CitInput { request: &text, credential_event: &webhook, status_event: None };
    let a = infinic::capture_cit(&input, &cit_ctx("m", &[], "2024-09-01T00:00:07Z")).unwrap().agreement;
    assert_eq!(a.consent, Consent { store_credential: false, merchant_initiated: false });
}

#[test]
fn infinic_auto_attempt_request() {
    let parsed =
        infinic::parse_mit(&fixture("infinic/auto_attempt_request.json"), &mit_ctx("m_infinic", &[]))
            .unwrap();
    let r = &parsed.request;
    assert_eq!(parsed.lookup, AgreementLookup::CredentialToken("cred_token_abc123xyz".into()));
    assert_eq!(r.merchant_id, "m_infinic");
    assert_eq!(r.customer_id.as_deref(), Some("customer_123"));
    assert_eq!(r.reference, "cred_token_abc123xyz");
    assert_eq!(r.reference_at, None);
    assert_eq!(r.credential_token.as_deref(), Some("cred_token_abc123xyz"));
    assert_eq!(r.mit_type, None);
    assert_eq!(r.amount, money("100.00", "ZAR"));
    assert_eq!(r.amount.minor_units(), 10000);
    assert_eq!(r.notice_sent_at, None);
    assert_eq!(r.idempotency_key.as_deref(), Some("subscription_month_2_customer_123"));
    assert_eq!(infinic::classify("POST", "/api/intents/auto-attempt", ""), RequestKind::Mit);
    assert_eq!(infinic::classify("POST", "/api/intents", ""), RequestKind::Cit);
    assert_eq!(infinic::classify("GET", "/api/intents/abc?iauth=x", ""), RequestKind::Other);
}

#[test]
fn infinic_idempotency_header_wins() {
    let headers = [("Idempotency-Key", "idem-1")];
    let parsed =
        infinic::parse_mit(&fixture("infinic/auto_attempt_request.json"), &mit_ctx("m", &headers)).unwrap();
    assert_eq!(parsed.request.idempotency_key.as_deref(), Some("idem-1"));
}

#[test]
fn infinic_webhooks_and_responses_give_outcomes() {
    let ctx = outcome_ctx("att-1", "2024-10-01T00:00:06Z", Some(CardBrand::Visa));
    assert_eq!(
        infinic::classify_webhook(&fixture("infinic/status_change_success.json")),
        infinic::WebhookKind::StatusChange
    );
    assert_eq!(
        infinic::classify_webhook(&fixture("infinic/payment_credential_webhook.json")),
        infinic::WebhookKind::PaymentCredential
    );
    assert_eq!(infinic::classify_webhook("{"), infinic::WebhookKind::Other);

    let ok =
        infinic::read_status_change(&fixture("infinic/status_change_success.json"), &ctx).unwrap().unwrap();
    assert_eq!(ok.attempt_id, "att-1");
    assert_eq!(ok.at, ts("2024-10-01T00:00:06Z"));
    assert_eq!(ok.result, OutcomeResult::Approved);
    assert_eq!(ok.payment_id.as_deref(), Some("7a1c2e9b-0d4f-4a57-9f0e-2b1d3c4e5f60"));
    assert_eq!(ok.decline, None);

    let failed =
        infinic::read_status_change(&fixture("infinic/status_change_failed.json"), &ctx).unwrap().unwrap();
    assert_eq!(failed.result, OutcomeResult::Declined);
    let d = failed.decline.unwrap();
    assert_eq!(d.reason, DeclineReason::InsufficientFunds);
    assert_eq!(d.network, Some(CardBrand::Visa));
    assert_eq!(d.code, None);
    assert_eq!(d.advice_code, None);

    let expired = infinic::read_outcome(200, &fixture("infinic/auto_attempt_response_failed.json"), &ctx)
        .unwrap()
        .unwrap();
    assert_eq!(expired.result, OutcomeResult::Declined);
    assert_eq!(expired.decline.unwrap().reason, DeclineReason::CardExpired);
    let success = infinic::read_outcome(200, &fixture("infinic/auto_attempt_response_success.json"), &ctx)
        .unwrap()
        .unwrap();
    assert_eq!(success.result, OutcomeResult::Approved);
    assert_eq!(success.payment_id.as_deref(), Some("7a1c2e9b-0d4f-4a57-9f0e-2b1d3c4e5f60"));
    assert_eq!(infinic::read_outcome(200, r#"{"intent_status":"processing"}"#, &ctx).unwrap(), None);
    assert_eq!(infinic::read_outcome(502, "<html>", &ctx).unwrap(), None);
    let mac = infinic::read_outcome(
        200,
        r#"{"intent_status":"failed","failure_reason":"CardDeclined","decline_code":"05","merchant_advice_code":"24"}"#,
        &ctx,
    )
    .unwrap()
    .unwrap();
    let d = mac.decline.unwrap();
    assert_eq!(
        (d.code.as_deref(), d.advice_code.as_deref(), d.reason),
        (Some("05"), Some("24"), DeclineReason::DoNotHonor)
    );
}

#[test]
fn infinic_documented_errors_are_processor_refusals() {
    let ctx = outcome_ctx("att-1", "2024-10-01T00:00:06Z", None);
    for (status, file) in [(404, "error_404.json"), (403, "error_403.json"), (422, "error_422.json")] {
        let body = fixture(&format!("infinic/{file}"));
        let detail = fixture_json(&format!("infinic/{file}"))["detail"].as_str().unwrap().to_string();
        assert!(!detail.is_empty());
        let o = infinic::read_outcome(status, &body, &ctx).unwrap().unwrap();
        assert_eq!(o.result, OutcomeResult::NotSent, "{file}");
        assert_eq!(o.decline, None);
    }
}

// ---------------------------------------------------------------- 001 Coinflow

fn coinflow_cit(endpoint: coinflow::CitEndpoint, request: &str) -> mitgate_dialects::CitCapture {
    let input = coinflow::CitInput {
        endpoint,
        request: &fixture(request),
        response: &fixture("coinflow/checkout_response.json"),
        zero_auth_currency: cur("USD"),
        token_cvv_verified: true,
    };
    let headers = [("x-user-id", "customer-123")];
    coinflow::capture_cit(&input, &cit_ctx("your-merchant-id", &headers, "2026-01-01T00:00:00Z")).unwrap()
}

#[test]
fn coinflow_zero_authorization_with_a_raw_card_keeps_no_card_number() {
    let c = coinflow_cit(coinflow::CitEndpoint::ZeroAuthorization, "coinflow/zero_auth_card_request.json");
    let a = &c.agreement;
    assert_eq!(a.id, "550e8400-e29b-41d4-a716-446655440000");
    assert_eq!(a.merchant_id, "your-merchant-id");
    assert_eq!(a.customer_id.as_deref(), Some("customer-123"));
    assert_eq!(a.mit_type, MitType::Unscheduled);
    assert_eq!(a.established.method, EstablishmentMethod::ZeroAuth);
    assert_eq!(a.established.at, ts("2026-01-01T00:00:00Z"));
    assert_eq!(a.established.amount, Some(money("0", "USD")));
    assert_eq!(a.currency, cur("USD"));
    assert_eq!(a.payment_method.kind, PaymentMethodKind::Card);
    assert_eq!(a.payment_method.brand, Some(CardBrand::Visa));
    assert!(a.payment_method.mit_compatible);
    assert_eq!(a.credential.token, "coinflow-payment:550e8400-e29b-41d4-a716-446655440000");
    assert_eq!(a.credential.card_expiry, YearMonth::new(2025, 12));
    assert_eq!(a.credential.last4.as_deref(), Some("1111"));
    assert_eq!(a.consent, Consent { store_credential: true, merchant_initiated: true });
    assert_eq!(a.status, AgreementStatus::Active);
    assert_eq!(c.payment.id, "550e8400-e29b-41d4-a716-446655440000");
    assert_eq!(c.payment.amount.minor_units(), 0);
    assert!(c.payment.cvv_verified);
    assert_eq!(c.payment.kind, PaymentKind::ZeroAuth);
    let all = format!("{}{}", serde_json::to_string(a).unwrap(), serde_json::to_string(&c.payment).unwrap());
    assert!(!all.contains("4111111111111111"), "{all}");
    assert!(!all.contains("\"cvv\"") && !all.contains("\"123\""), "{all}");
}

#[test]
fn coinflow_cit_keeps_a_mastercard_advice_code_from_the_approval() {
    let plain =
        coinflow_cit(coinflow::CitEndpoint::ZeroAuthorization, "coinflow/zero_auth_token_request.json");
    assert_eq!(plain.agreement.established.advice_code, None, "the documented response has none");
    let input = coinflow::CitInput {
        endpoint: coinflow::CitEndpoint::ZeroAuthorization,
        request: &fixture("coinflow/zero_auth_token_request.json"),
        response: r#"{"paymentId": "pay_mac_40", "merchantAdviceCode": "40"}"#,
        zero_auth_currency: cur("USD"),
        token_cvv_verified: true,
    };
    let c = coinflow::capture_cit(&input, &cit_ctx("m", &[], "2026-11-01T00:00:00Z")).unwrap();
    assert_eq!(c.agreement.established.advice_code.as_deref(), Some("40"));
}

#[test]
fn coinflow_zero_authorization_with_a_token() {
    for file in ["coinflow/zero_auth_token_request.json", "coinflow/curl_zero_auth_token_request.json"] {
        let c = coinflow_cit(coinflow::CitEndpoint::ZeroAuthorization, file);
        assert_eq!(c.agreement.credential.token, "4111114324324111_bt");
        assert_eq!(c.agreement.credential.card_expiry, None);
        assert_eq!(c.agreement.credential.last4, None);
        assert_eq!(c.agreement.payment_method.brand, None);
        assert_eq!(c.agreement.established.method, EstablishmentMethod::ZeroAuth);
        assert_eq!(c.payment.kind, PaymentKind::ZeroAuth);
    }
}

#[test]
fn coinflow_card_checkouts() {
    let t = coinflow_cit(coinflow::CitEndpoint::Card, "coinflow/card_checkout_token_request.json");
    assert_eq!(t.agreement.established.method, EstablishmentMethod::CvvPurchase);
    assert_eq!(t.agreement.established.amount, Some(money("15.00", "USD")));
    assert_eq!(t.agreement.credential.token, "4111114324324111_bt");
    assert_eq!(t.payment.amount.minor_units(), 1500);
    assert_eq!(t.payment.kind, PaymentKind::Purchase);
    assert!(t.payment.cvv_verified);

    let c = coinflow_cit(coinflow::CitEndpoint::Card, "coinflow/card_checkout_card_request.json");
    assert_eq!(c.agreement.established.amount, Some(money("15.00", "USD")));
    assert_eq!(c.agreement.credential.token, "coinflow-payment:550e8400-e29b-41d4-a716-446655440000");
    assert_eq!(c.agreement.credential.last4.as_deref(), Some("1111"));

    let curl = coinflow_cit(coinflow::CitEndpoint::Card, "coinflow/curl_card_checkout_request.json");
    assert_eq!(curl.payment.amount, money("25.00", "USD"));
}

#[test]
fn coinflow_paths() {
    assert_eq!(
        coinflow::cit_endpoint("/api/checkout/zero-authorization/your-merchant-id"),
        Some((coinflow::CitEndpoint::ZeroAuthorization, "your-merchant-id"))
    );
    assert_eq!(
        coinflow::cit_endpoint("/api/checkout/card/your-merchant-id?x=1"),
        Some((coinflow::CitEndpoint::Card, "your-merchant-id"))
    );
    assert_eq!(coinflow::cit_endpoint("/api/checkout/card/"), None);
    assert_eq!(
        coinflow::classify("POST", "/api/checkout/merchant-initiated-transaction", ""),
        RequestKind::Mit
    );
    assert_eq!(coinflow::classify("POST", "/api/checkout/card/m1", ""), RequestKind::Cit);
    assert_eq!(coinflow::classify("POST", "/api/checkout/zero-authorization/m1", ""), RequestKind::Cit);
    assert_eq!(coinflow::classify("GET", "/api/checkout/card/m1", ""), RequestKind::Other);
    assert_eq!(coinflow::classify("POST", "/api/checkout/crypto", ""), RequestKind::Other);
}

#[test]
fn coinflow_mit_requests() {
    let headers = [("x-user-id", "customer-123"), ("Authorization", "your-merchant-api-key")];
    for (file, cents) in [("coinflow/mit_request.json", 2500), ("coinflow/curl_mit_request.json", 5000)] {
        let parsed = coinflow::parse_mit(&fixture(file), &mit_ctx("your-merchant-id", &headers)).unwrap();
        let r = &parsed.request;
        assert_eq!(parsed.lookup, AgreementLookup::Reference("550e8400-e29b-41d4-a716-446655440000".into()));
        assert_eq!(r.merchant_id, "your-merchant-id");
        assert_eq!(r.customer_id.as_deref(), Some("customer-123"));
        assert_eq!(r.reference, "550e8400-e29b-41d4-a716-446655440000");
        assert_eq!(r.reference_at, None);
        assert_eq!(r.credential_token, None);
        assert_eq!(r.mit_type, None);
        assert_eq!(r.amount.minor_units(), cents);
        assert_eq!(r.amount.currency(), cur("USD"));
        assert_eq!(r.idempotency_key, None);
    }
}

#[test]
fn coinflow_mit_response_and_settings() {
    let ctx = outcome_ctx("att-9", "2026-01-01T01:00:00Z", None);
    let o = coinflow::read_outcome(200, &fixture("coinflow/mit_response.json"), &ctx).unwrap().unwrap();
    assert_eq!(o.result, OutcomeResult::Approved);
    assert_eq!(o.payment_id.as_deref(), Some("650e8400-e29b-41d4-a716-446655440001"));
    assert_eq!(o.attempt_id, "att-9");
    // The checkout response reads the same way.
    let o = coinflow::read_outcome(200, &fixture("coinflow/checkout_response.json"), &ctx).unwrap().unwrap();
    assert_eq!(o.payment_id.as_deref(), Some("550e8400-e29b-41d4-a716-446655440000"));

    let p: Policy = mitgate_core::validate::parse_json(&fixture("coinflow/merchant_settings.json")).unwrap();
    assert!(p.enabled);
    assert_eq!(p.max_count, Some(5));
    assert_eq!(p.period, Some(86_400));
    assert_eq!(p.max_multiple.map(|m| m.0.to_string()), Some("3".to_string()));
    assert_eq!(p.expiration, Some(2_592_000));
    assert_eq!(p.max_zero_auth_amount.map(|c| c.cents), Some(2000));
    assert_eq!(p.max_amount_lookback, Some(2_592_000));
}

// ---------------------------------------------------------------- 002 SPG

fn spg_cit(request: &str) -> mitgate_dialects::CitCapture {
    let input = spg::CitInput { request, response: &fixture("spg/cit_auth_response.json") };
    spg::capture_cit(&input, &cit_ctx("terminal-11111", &[], "2026-04-16T10:15:31Z")).unwrap()
}

#[test]
fn spg_initial_authorization_gives_the_agreement() {
    let c = spg_cit(&fixture("spg/cit_auth_request.json"));
    let a = &c.agreement;
    assert_eq!(a.id, "txCIT123456789");
    assert_eq!(a.merchant_id, "terminal-11111");
    assert_eq!(a.customer_id, None);
    assert_eq!(a.mit_type, MitType::Unscheduled);
    assert_eq!(a.established.method, EstablishmentMethod::ZeroAuth);
    assert_eq!(a.established.at, ts("2026-04-16T10:15:30.000Z"));
    assert_eq!(a.established.amount, Some(money("0.00", "EUR")));
    assert_eq!(a.currency, cur("EUR"));
    assert_eq!(a.payment_method.kind, PaymentMethodKind::Card);
    assert_eq!(a.credential.token, "TKN123456789");
    assert_eq!(a.credential.card_expiry, None);
    assert_eq!(a.consent, Consent { store_credential: true, merchant_initiated: true });
    assert_eq!(a.terms, Default::default());
    assert_eq!(c.payment.id, "txCIT123456789");
    assert_eq!(c.payment.at, ts("2026-04-16T10:15:30Z"));
    assert_eq!(c.payment.amount.minor_units(), 0);
    assert_eq!(c.payment.kind, PaymentKind::ZeroAuth);
    assert_eq!(
        spg::classify("POST", "/api/v2/payments", &fixture("spg/cit_auth_request.json")),
        RequestKind::Cit
    );
}

#[test]
fn spg_mit_request_amount_is_exact() {
    assert_eq!(spg::classify("POST", "/api/v2/payments", &fixture("spg/mit_request.json")), RequestKind::Mit);
    let parsed = spg::parse_mit(&fixture("spg/mit_request.json"), &mit_ctx("terminal-11111", &[])).unwrap();
    let r = &parsed.request;
    assert_eq!(parsed.lookup, AgreementLookup::Reference("txCIT123456789".into()));
    assert_eq!(r.merchant_id, "terminal-11111");
    assert_eq!(r.customer_id, None);
    assert_eq!(r.reference, "txCIT123456789");
    assert_eq!(r.reference_at, Some(ts("2026-04-16T10:15:30.000Z")));
    assert_eq!(r.credential_token, None);
    assert_eq!(r.mit_type, None);
    assert_eq!(r.amount.amount().to_string(), "29.90");
    assert_eq!(r.amount.minor_units(), 2990);
    assert_eq!(r.amount.currency(), cur("EUR"));
    assert_eq!(r.idempotency_key.as_deref(), Some("CARD-MIT-0001"));
}

#[test]
fn spg_advanced_mit_request_declares_its_type() {
    let parsed = spg::parse_mit(&fixture("spg/mit_request_advanced.json"), &mit_ctx("t", &[])).unwrap();
    assert_eq!(parsed.request.mit_type, Some(MitType::Recurring));
    assert_eq!(parsed.request.amount, money("15.00", "EUR"));
    assert_eq!(parsed.request.idempotency_key.as_deref(), Some("CARD-MIT-0002"));
}

#[test]
fn spg_mit_attributes_on_the_cit_set_the_terms() {
    let mut req = fixture_json("spg/cit_auth_request.json");
    req["merchantInitiatedTransaction"] =
        fixture_json("spg/mit_request_advanced.json")["merchantInitiatedTransaction"].clone();
    let a = spg_cit(&req.to_string()).agreement;
    assert_eq!(a.mit_type, MitType::Recurring);
    assert_eq!(a.terms.amount_qualifier, Some(AmountQualifier::Actual));
    assert_eq!(a.terms.valid_until, Some(ValidUntil::Instant(ts("2027-04-16T23:59:59.000Z"))));
    assert_eq!(a.terms.schedule, None);

    let mut req = fixture_json("spg/cit_auth_request.json");
    req["merchantInitiatedTransaction"] =
        fixture_json("spg/schedule_fragment.json")["merchantInitiatedTransaction"].clone();
    let a = spg_cit(&req.to_string()).agreement;
    assert_eq!(a.mit_type, MitType::Recurring);
    assert_eq!(a.terms.amount_qualifier, Some(AmountQualifier::Estimated));
    let s = a.terms.schedule.unwrap();
    assert_eq!(s.initial_date, ts("2026-05-01T00:00:00.000Z"));
    assert_eq!(s.final_date, Some(ts("2027-05-01T00:00:00.000Z")));
    assert_eq!(s.interval, Some(Interval::Monthly));
    assert_eq!(a.terms.valid_until, None);
}

#[test]
fn spg_mit_response() {
    let ctx = outcome_ctx("att-2", "2026-04-17T10:15:31Z", None);
    let o = spg::read_outcome(200, &fixture("spg/mit_response.json"), &ctx).unwrap().unwrap();
    assert_eq!(o.result, OutcomeResult::Approved);
    assert_eq!(o.payment_id.as_deref(), Some("txMIT123456789"));
    let declined = spg::read_outcome(
        200,
        r#"{"returnStatus":{"statusCode":"051","statusMsg":"Insufficient funds"},"paymentStatus":"Declined","transactionID":"tx2","issuerResponseCode":"51","merchantAdviceCode":"24"}"#,
        &ctx,
    )
    .unwrap()
    .unwrap();
    let d = declined.decline.unwrap();
    assert_eq!(d.reason, DeclineReason::InsufficientFunds);
    assert_eq!(d.code.as_deref(), Some("51"));
    assert_eq!(d.advice_code.as_deref(), Some("24"));
    let pending = r#"{"returnStatus":{"statusCode":"000","statusMsg":"Success"},"paymentStatus":"Pending"}"#;
    assert_eq!(spg::read_outcome(200, pending, &ctx).unwrap(), None);
}

// ---------------------------------------------------------------- 003 Axerve

/// The leaf elements of a SOAP example: `(name, text)`, comments and empty elements left out.
fn soap_leaves(xml: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in xml.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("<ecom:") else { continue };
        let Some((name, rest)) = rest.split_once('>') else { continue };
        let Some((text, _)) = rest.split_once("</ecom:") else { continue };
        if !text.is_empty() && !text.starts_with("<!--") {
            out.push((name.to_string(), text.to_string()));
        }
    }
    out
}

fn find<'a>(v: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => m.get(name).or_else(|| m.values().find_map(|c| find(c, name))),
        _ => None,
    }
}

#[test]
fn axerve_json_fixtures_carry_the_soap_examples_fields() {
    for (xml, json) in [
        ("axerve/soap_encrypt_01f.xml", "axerve/cit_01f_request.json"),
        ("axerve/soap_callpagams2s_01n.xml", "axerve/mit_01n_request.json"),
        ("axerve/soap_callpagams2s_03n.xml", "axerve/mit_03n_request.json"),
    ] {
        let leaves = soap_leaves(&fixture(xml));
        assert!(leaves.len() >= 5, "{xml}: {leaves:?}");
        let v = fixture_json(json);
        for (name, text) in leaves {
            let found =
                find(&v, &name).and_then(|x| x.as_str()).unwrap_or_else(|| panic!("{json} lacks {name}"));
            assert_eq!(found, text, "{json}: {name}");
        }
    }
}

fn axerve_cit(req: &str, resp: &str) -> mitgate_dialects::CitCapture {
    let input = axerve::CitInput { request: &fixture(req), response: &fixture(resp) };
    axerve::capture_cit(&input, &cit_ctx("GESPAY00001", &[], "2026-02-01T09:00:00Z")).unwrap()
}

#[test]
fn axerve_01f_sets_up_a_recurring_chain() {
    let c = axerve_cit("axerve/cit_01f_request.json", "axerve/cit_01f_response.json");
    let a = &c.agreement;
    assert_eq!(a.id, "BTX-01F-0001");
    assert_eq!(a.merchant_id, "GESPAY00001");
    assert_eq!(a.customer_id, None);
    assert_eq!(a.mit_type, MitType::Recurring);
    assert_eq!(a.established.method, EstablishmentMethod::Sca);
    assert_eq!(a.established.at, ts("2026-02-01T09:00:00Z"));
    assert_eq!(a.established.amount, Some(money("0", "EUR")));
    assert_eq!(a.currency, cur("EUR"));
    assert_eq!(a.credential.token, "TOK-01F-0001");
    assert_eq!(a.credential.card_expiry, YearMonth::new(2030, 12));
    assert_eq!(a.terms.max_amount, Some(money("10.00", "EUR")));
    assert_eq!(
        a.terms.valid_until,
        Some(ValidUntil::Date(chrono::NaiveDate::from_ymd_opt(2030, 12, 25).unwrap()))
    );
    assert_eq!(a.terms.min_interval_days, Some(14));
    assert_eq!(a.terms.schedule, None);
    assert_eq!(a.consent, Consent { store_credential: true, merchant_initiated: true });
    assert_eq!(c.payment.id, "BTX-01F-0001");
    assert_eq!(c.payment.kind, PaymentKind::ZeroAuth);
    assert!(c.payment.cvv_verified);
    assert_eq!(axerve::classify("POST", "/", &fixture("axerve/cit_01f_request.json")), RequestKind::Cit);
}

#[test]
fn axerve_03f_sets_up_an_unscheduled_chain() {
    let c = axerve_cit("axerve/cit_03f_request.json", "axerve/cit_03f_response.json");
    assert_eq!(c.agreement.id, "BTX-03F-0001");
    assert_eq!(c.agreement.mit_type, MitType::Unscheduled);
    assert_eq!(c.agreement.terms.max_amount, None);
    assert_eq!(c.agreement.terms.min_interval_days, None);
    assert_eq!(
        c.agreement.terms.valid_until,
        Some(ValidUntil::Date(chrono::NaiveDate::from_ymd_opt(2030, 12, 25).unwrap()))
    );
    assert_eq!(c.payment.amount, money("10.00", "EUR"));
    assert_eq!(c.payment.kind, PaymentKind::Purchase);
}

#[test]
fn axerve_01n_and_03n_requests() {
    for (file, reference, token, kind, shop) in [
        (
            "axerve/mit_01n_request.json",
            "BTX-01F-0001",
            "TOK-01F-0001",
            MitType::Recurring,
            "OrderID_01N_001",
        ),
        (
            "axerve/mit_03n_request.json",
            "BTX-03F-0001",
            "TOK-03F-0001",
            MitType::Unscheduled,
            "OrderID_03N_001",
        ),
    ] {
        assert_eq!(axerve::classify("POST", "/", &fixture(file)), RequestKind::Mit);
        let parsed = axerve::parse_mit(&fixture(file), &mit_ctx("GESPAY00001", &[])).unwrap();
        let r = &parsed.request;
        assert_eq!(parsed.lookup, AgreementLookup::Reference(reference.into()));
        assert_eq!(r.merchant_id, "GESPAY00001");
        assert_eq!(r.customer_id, None);
        assert_eq!(r.reference, reference);
        assert_eq!(r.reference_at, None);
        assert_eq!(r.credential_token.as_deref(), Some(token));
        assert_eq!(r.mit_type, Some(kind));
        assert_eq!(r.amount, money("10.00", "EUR"));
        assert_eq!(r.idempotency_key.as_deref(), Some(shop));
    }
}

#[test]
fn axerve_grandfathered_request_is_found_by_token() {
    let parsed = axerve::parse_mit(
        &fixture("axerve/mit_grandfathered_01n_request.json"),
        &mit_ctx("GESPAY00001", &[]),
    )
    .unwrap();
    assert_eq!(parsed.request.reference, "-100");
    assert_eq!(parsed.lookup, AgreementLookup::CredentialToken("TOK-LEGACY-0001".into()));
    // -100 as a JSON number reads the same.
    let mut v = fixture_json("axerve/mit_grandfathered_01n_request.json");
    v["transDetails"]["previousTransDetails"]["bankTransactionID"] = (-100).into();
    let parsed = axerve::parse_mit(&v.to_string(), &mit_ctx("GESPAY00001", &[])).unwrap();
    assert_eq!(parsed.request.reference, "-100");
}

#[test]
fn axerve_outcomes() {
    let ctx = outcome_ctx("att-3", "2026-03-01T09:00:00Z", Some(CardBrand::Mastercard));
    let ok = axerve::read_outcome(200, &fixture("axerve/mit_response_ok.json"), &ctx).unwrap().unwrap();
    assert_eq!(ok.result, OutcomeResult::Approved);
    assert_eq!(ok.payment_id.as_deref(), Some("BTX-01N-0002"));
    let soft = axerve::read_outcome(200, &fixture("axerve/mit_response_8026.json"), &ctx).unwrap().unwrap();
    assert_eq!(soft.result, OutcomeResult::Declined);
    let d = soft.decline.unwrap();
    assert_eq!(d.code.as_deref(), Some("8026"));
    assert_eq!(d.reason, DeclineReason::AuthenticationRequired);
    assert_eq!(d.network, Some(CardBrand::Mastercard));
    assert_eq!(axerve::read_outcome(200, r#"{"transactionResult":"XX"}"#, &ctx).unwrap(), None);
}

/// Document 003's SOAP envelopes, read by `axerve::soap` (its comments filled with the constructed ids),
/// are exactly the JSON fixtures the rest of this file decides on.
#[cfg(feature = "soap")]
#[test]
fn axerve_soap_envelopes_read_into_the_json_fixtures() {
    use mitgate_dialects::axerve::soap::{read_call, Service};
    for (xml, json, service, action) in [
        (
            "axerve/soap_encrypt_01f.xml",
            "axerve/cit_01f_request.json",
            Service::WsCryptDecrypt,
            "https://ecomm.sella.it/Encrypt",
        ),
        (
            "axerve/soap_callpagams2s_01n.xml",
            "axerve/mit_01n_request.json",
            Service::WsS2s,
            "https://ecomms2s.sella.it/callPagamS2S",
        ),
        (
            "axerve/soap_callpagams2s_03n.xml",
            "axerve/mit_03n_request.json",
            Service::WsS2s,
            "https://ecomms2s.sella.it/callPagamS2S",
        ),
    ] {
        let expected = fixture_json(json);
        let token = find(&expected, "tokenValue").and_then(|v| v.as_str()).unwrap_or("");
        let btx = find(&expected, "bankTransactionID").and_then(|v| v.as_str()).unwrap_or("");
        let filled = fixture(xml)
            .replace("<!-- Token received in the 01F :-->", token)
            .replace("<!-- Token received in the 03F :-->", token)
            .replace("<!-- bankTransactionID of the 01F :-->", btx)
            .replace("<!-- bankTransactionID of the 03F :-->", btx);
        let call = read_call(service, Some(action), &filled).unwrap_or_else(|e| panic!("{xml}: {e:?}"));
        assert_eq!(serde_json::Value::Object(call.params), expected, "{xml}");
    }
}
