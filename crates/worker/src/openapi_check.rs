//! The typed answers against `openapi.yaml`: the error codes are its `ErrorCode` enum, and the members the
//! error body and the charge answer always write are their schemas' `required` lists. The document keeps
//! these lists in YAML flow style (`[a, b]`) on one line, which is all this reads.

use std::collections::BTreeSet;

use mitgate_core::validate::FieldError;

use crate::error::ErrorCode;
use crate::handlers::testkit::{charge_once, seeded};
use crate::http::HttpResponse;

const OPENAPI: &str = include_str!("../../../openapi.yaml");

/// The flow list of `key:` in the component schema `name` (the first one after its line), or in the
/// nested object `nested` of it.
fn list(name: &str, nested: Option<&str>, key: &str) -> BTreeSet<String> {
    let mut lines = OPENAPI.lines().skip_while(|l| *l != format!("    {name}:"));
    assert!(lines.next().is_some(), "openapi.yaml has no schema {name}");
    if let Some(member) = nested {
        let prefix = format!("{member}:");
        lines.find(|l| l.trim_start().starts_with(&prefix)).unwrap_or_else(|| panic!("{name}.{member}"));
    }
    let prefix = format!("{key}: [");
    let line = lines.find(|l| l.trim_start().starts_with(&prefix)).unwrap_or_else(|| panic!("{name} {key}"));
    let inner = line.trim_start().trim_start_matches(&prefix).trim_end().trim_end_matches(']');
    inner.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
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
}
