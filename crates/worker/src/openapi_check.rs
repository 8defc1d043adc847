//! The typed answers against `openapi.yaml`: the error codes are its `ErrorCode` enum, and the members each
//! canonical answer (error, charge, decision, refusal, agreement, limits, customer's agreements, health)
//! always writes are its schema's `required` list. The document keeps
//! these lists in YAML flow style (`[a, b]`) on one line, which is all this reads.

use std::collections::BTreeSet;

use mitgate_core::validate::FieldError;

use crate::error::ErrorCode;
use crate::handlers::testkit::{charge_once, seeded};
use crate::http::HttpResponse;

const OPENAPI: &str = include_str!("../../../openapi.yaml");

/// The lines of openapi.yaml after the component schema `name`'s line, or after the line of its nested
/// member `nested` (each a member of the one before: `["processor", "answer"]`).
fn schema(name: &str, nested: &[&str]) -> impl Iterator<Item = &'static str> {
    let header = format!("    {name}:");
    let mut lines = OPENAPI.lines().skip_while(move |l| *l != header);
    assert!(lines.next().is_some(), "openapi.yaml has no schema {name}");
    for member in nested {
        let prefix = format!("{member}:");
        lines.find(|l| l.trim_start().starts_with(&prefix)).unwrap_or_else(|| panic!("{name}.{member}"));
    }
    lines
}

/// The flow list of `key:` in the component schema `name` (the first one after its line), or in the
/// nested object `nested` of it.
fn list(name: &str, nested: Option<&str>, key: &str) -> BTreeSet<String> {
    let mut lines = schema(name, nested.as_slice());
    let prefix = format!("{key}: [");
    let line = lines.find(|l| l.trim_start().starts_with(&prefix)).unwrap_or_else(|| panic!("{name} {key}"));
    let inner = line.trim_start().trim_start_matches(&prefix).trim_end().trim_end_matches(']');
    inner.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// The member names under `properties:` in the component schema `name`, or in its nested object `nested`
/// (one level: `ChargeAnswer.processor.answer` is `nested = ["processor", "answer"]`).
fn properties(name: &str, nested: &[&str]) -> BTreeSet<String> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut lines = schema(name, nested);
    let props = lines.find(|l| l.trim() == "properties:").unwrap_or_else(|| panic!("{name} properties"));
    let depth = indent(props) + 2;
    let mut out = BTreeSet::new();
    for line in lines {
        if line.trim().is_empty() || indent(line) > depth {
            continue;
        }
        if indent(line) < depth {
            break;
        }
        out.insert(line.trim().split(':').next().unwrap().to_string());
    }
    out
}

fn members(r: &HttpResponse, at: &[&str]) -> BTreeSet<String> {
    let mut v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    for k in at {
        v = v[*k].take();
    }
    v.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn error_codes_are_the_documents_enum() {
    let documented = list("ErrorCode", None, "enum");
    let code: BTreeSet<String> = ErrorCode::ALL.iter().map(|c| c.as_str().to_string()).collect();
    assert_eq!(code, documented, "crates/worker/src/error.rs and openapi.yaml ErrorCode differ");
}

#[test]
fn the_error_body_writes_what_the_document_requires() {
    let plain = HttpResponse::error(ErrorCode::NotFound, "no such agreement");
    assert_eq!(members(&plain, &[]), list("Error", None, "required"));
    assert_eq!(members(&plain, &["error"]), list("Error", Some("error"), "required"));
    let invalid = HttpResponse::invalid(&[FieldError::new("amount", "is required")]);
    let with_fields = members(&invalid, &["error"]);
    assert!(with_fields.is_superset(&list("Error", Some("error"), "required")));
    assert!(with_fields.contains("fields"));
}

#[test]
fn the_charge_answer_writes_what_the_document_requires() {
    let r = charge_once(&seeded(), &[]);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(members(&r, &[]), list("ChargeAnswer", None, "required"));
    assert_eq!(members(&r, &["processor"]), list("ChargeAnswer", Some("processor"), "required"));
    // `processor.answer`: `{status, body}` here; `{error}` when nothing was answered.
    let documented = properties("ChargeAnswer", &["processor", "answer"]);
    assert_eq!(documented, ["body", "error", "status"].map(String::from).into());
    let answered = members(&r, &["processor", "answer"]);
    assert_eq!(answered, ["body", "status"].map(String::from).into());
    let unanswered = HttpResponse::json_in_name_order(
        200,
        &crate::handlers::charges::ProcessorAnswer::Unanswered { error: "timed out" },
    );
    assert!(members(&unanswered, &[]).is_subset(&documented));
}

/// Every shape of `POST /v1/webhooks/infinic`'s answer writes the document's required members and no
/// other than its properties.
#[test]
fn the_webhook_answers_write_what_the_document_allows() {
    use crate::proxy::infinic::WebhookAnswer;
    use mitgate_core::model::{AgreementStatus, AttemptStatus};
    let required = list("InfinicWebhookAnswer", None, "required");
    let allowed = properties("InfinicWebhookAnswer", &[]);
    let shapes = [
        WebhookAnswer::PaymentCredential { agreement_id: "agr_1", warning: None },
        WebhookAnswer::Unmatched { matched: false },
        WebhookAnswer::NotApplied { matched: true, attempt_id: "att_1", applied: false },
        WebhookAnswer::Applied {
            matched: true,
            attempt_id: "att_1",
            attempt_status: AttemptStatus::Approved,
            agreement_status: AgreementStatus::Active,
            warning: Some("w"),
        },
    ];
    for shape in &shapes {
        let r = HttpResponse::json_in_name_order(200, shape);
        let written = members(&r, &[]);
        assert!(written.is_superset(&required), "{written:?}");
        assert!(written.is_subset(&allowed), "{written:?} not all in {allowed:?}");
    }
    let r = HttpResponse::json_in_name_order(200, &shapes[2]);
    assert_eq!(
        String::from_utf8_lossy(&r.body),
        r#"{"applied":false,"attemptId":"att_1","matched":true,"received":"StatusChange"}"#
    );
}

/// Each canonical answer's members, from the handler itself over the seeded memory store.
#[test]
fn the_canonical_answers_write_what_the_document_requires() {
    use crate::app::flatten;
    use crate::handlers::testkit::{call, on, req, CHARGE};
    use crate::handlers::{agreements, decisions, Health};
    use crate::test_util::block_on;

    let w = seeded();
    let decision = w.run(|app| {
        flatten(block_on(decisions::post(app, &call("demo", &req("POST", "/v1/decisions", CHARGE, &[])))))
    });
    assert_eq!(decision.status, 200);
    assert_eq!(members(&decision, &[]), list("DecisionAnswer", None, "required"));

    let too_much = r#"{"reference": "pay_1", "amount": {"amount": "9999.00", "currency": "USD"}}"#;
    let refused = w.run(|app| flatten(block_on(charge_post(app, too_much))));
    assert_eq!(members(&refused, &[]), list("Refusal", None, "required"));

    let get = req("GET", "/v1/agreements/pay_1", "", &[]);
    let record = w.run(|app| flatten(block_on(agreements::get(app, &on("demo", "pay_1", &get)))));
    assert_eq!(record.status, 200);
    assert_eq!(members(&record, &[]), list("AgreementRecord", None, "required"));
    assert_eq!(members(&record, &["history"]), list("AgreementRecord", Some("history"), "required"));

    let limits = w.run(|app| flatten(block_on(agreements::limits(app, &on("demo", "pay_1", &get)))));
    assert_eq!(limits.status, 200);
    assert_eq!(members(&limits, &[]), list("LimitsAnswer", None, "required"));

    let customers =
        crate::handlers::customers::CustomerAgreements { customer_id: "c", agreements: Vec::new() };
    let customers = HttpResponse::json_in_name_order(200, &customers);
    assert_eq!(members(&customers, &[]), list("CustomerAgreements", None, "required"));

    let health = HttpResponse::json_in_name_order(200, &Health::OK);
    assert_eq!(members(&health, &[]), list("Health", None, "required"));
}

async fn charge_post<K: crate::store::Kv, P: crate::app::Processor>(
    app: &crate::app::App<'_, K, P>,
    body: &str,
) -> crate::app::Answer {
    let r = crate::handlers::testkit::req("POST", "/v1/charges", body, &[]);
    crate::handlers::charges::post(app, &crate::handlers::testkit::call("demo", &r)).await
}
