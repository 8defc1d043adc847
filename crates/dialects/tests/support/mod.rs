//! Shared test helpers.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "shared by several test crates, each using a part of it; its helpers fail the test loudly"
)]

use mitgate_core::model::CardBrand;
use mitgate_core::money::{Currency, Money};
use mitgate_core::time::Timestamp;
use mitgate_dialects::{CitContext, MitContext, OutcomeContext};

/// A fixture's text.
pub fn fixture(path: &str) -> String {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// A fixture as a JSON value.
pub fn fixture_json(path: &str) -> serde_json::Value {
    serde_json::from_str(&fixture(path)).unwrap()
}

/// An RFC 3339 instant.
pub fn ts(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// Money from major-unit text.
pub fn money(amount: &str, currency: &str) -> Money {
    Money::parse_major(amount, Currency::from_code(currency).unwrap()).unwrap()
}

/// A currency.
pub fn cur(code: &str) -> Currency {
    Currency::from_code(code).unwrap()
}

/// An MIT context.
pub fn mit_ctx<'a>(merchant: &'a str, headers: &'a [(&'a str, &'a str)]) -> MitContext<'a> {
    MitContext { merchant_id: merchant, headers, notice_sent_at: None }
}

/// A CIT context.
pub fn cit_ctx<'a>(merchant: &'a str, headers: &'a [(&'a str, &'a str)], at: &str) -> CitContext<'a> {
    CitContext { merchant_id: merchant, headers, at: ts(at) }
}

/// An outcome context.
pub fn outcome_ctx<'a>(attempt: &'a str, at: &str, network: Option<CardBrand>) -> OutcomeContext<'a> {
    OutcomeContext { attempt_id: attempt, at: ts(at), network }
}
