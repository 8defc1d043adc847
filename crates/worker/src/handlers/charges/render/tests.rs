use super::*;
use mitgate_dialects::{MitContext, RequestKind};

fn record(currency: &str) -> AgreementRecord {
    let agreement = mitgate_core::json::from_str(
        &serde_json::json!({
            "id": "BTX-1", "merchantId": "demo", "customerId": "customer-123", "type": "unscheduled",
            "established": {"method": "sca", "at": "2026-04-16T10:15:30.000Z"}, "currency": currency,
            "paymentMethod": {"type": "card"}, "credential": {"token": "TOK-1"},
            "consent": {"storeCredential": true, "merchantInitiated": true}
        })
        .to_string(),
    )
    .unwrap();
    let at = Timestamp::parse("2026-04-16T10:15:30Z").unwrap();
    let mut processor_context = crate::store::ProcessorContext::new();
    processor_context.insert("terminalId".into(), mitgate_json::RawJson::string("11111"));
    processor_context.insert("shopLogin".into(), mitgate_json::RawJson::string("GESPAY00001"));
    AgreementRecord {
        agreement,
        payments: vec![],
        dialect: None,
        processor_context,
        created_at: at,
        updated_at: at,
        rev: 0,
    }
}

/// What `/v1/charges` renders is an MIT that the dialect's own parser reads back to the same charge, with
/// the CIT's processor context where the dialect carries one. (mitgate-dialects' tests/render.rs checks
/// every dialect's exact bytes and the round trip on random charges.)
#[test]
fn rendered_mits_parse_back_in_every_dialect() {
    for (dialect, currency, amount) in [
        (DialectId::Coinflow, "USD", "25.00"),
        (DialectId::Infinic, "ZAR", "100.00"),
        (DialectId::Spg, "EUR", "29.90"),
        (DialectId::Axerve, "EUR", "10.00"),
    ] {
        let record = record(currency);
        let request: ChargeRequest = mitgate_core::json::from_str(
            &serde_json::json!({
                "merchantId": "demo", "reference": "BTX-1", "customerId": "customer-123",
                "amount": {"amount": amount, "currency": currency}
            })
            .to_string(),
        )
        .unwrap();
        let now = Timestamp::parse("2026-05-01T00:00:00Z").unwrap();
        let r = render_mit(dialect, &record, &request, "att_1", now).unwrap();
        let body = r.body;
        assert_eq!(dialect.classify("POST", r.path, &body), RequestKind::Mit, "{dialect:?}");
        match dialect {
            DialectId::Spg => assert!(body.starts_with(r#"{"merchant":{"terminalId":"11111","#), "{body}"),
            DialectId::Axerve => assert!(body.starts_with(r#"{"shopLogin":"GESPAY00001","#), "{body}"),
            DialectId::Infinic | DialectId::Coinflow => {}
        }
        let headers: Vec<(&str, &str)> = r.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let ctx = MitContext { merchant_id: "demo", headers: &headers, notice_sent_at: None };
        let parsed = dialect.parse_mit(&body, &ctx).unwrap();
        let back = parsed.request_for(Some(&record.agreement));
        assert_eq!(back.amount, request.amount, "{dialect:?}");
        assert_eq!(back.reference, "BTX-1", "{dialect:?}");
    }
}
