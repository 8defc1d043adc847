//! The typical workload shared by the benchmarks (`crates/core/benches/decision.rs` and
//! `crates/dialects/benches/dialect.rs`, which includes this file by path): a usage-billing agreement and its history with N entries.

use mitgate_core::time::Timestamp;
use serde_json::{json, Value};

/// The instant of the benchmarked charge.
pub const NOW: &str = "2026-04-16T12:00:00Z";

/// A usage-billing agreement under document 001's settings plus the network retry rules, with `entries`
/// history entries: one CVV-verified customer payment for every nine MIT attempts, spread evenly back in
/// time (about 20 hours apart, so the velocity window holds one or two), one attempt in ten declined with
/// Visa 51 and followed by an approval. Every rule runs and the charge is allowed.
pub fn input(entries: usize) -> Value {
    let now = Timestamp::parse(NOW).unwrap();
    let mut payments = Vec::new();
    let mut attempts = Vec::new();
    for i in 0..entries {
        // Entry i is (entries - i) steps of 20 hours before now, oldest first.
        let steps = u64::try_from(entries - i).unwrap();
        let at = now.minus_seconds(steps * 72_000);
        if i % 10 == 0 {
            let cents = 1_000 + (i * 37) % 4_000;
            payments.push(json!({"id": format!("pay_{i:04}"), "at": at,
                "amount": {"amount": format!("{}.{:02}", cents / 100, cents % 100), "currency": "USD"}, "cvvVerified": i % 20 == 0}));
        } else if i % 10 == 5 {
            attempts.push(json!({"id": format!("att_{i:04}"), "at": at, "amount": {"amount": "19.90", "currency": "USD"},
                "status": "declined", "credentialToken": "tok_visa_1", "resolvedAt": at.plus_seconds(2),
                "decline": {"network": "visa", "code": "51", "reason": "insufficient_funds"}}));
        } else {
            attempts.push(json!({"id": format!("att_{i:04}"), "at": at, "amount": {"amount": "19.90", "currency": "USD"},
                "status": "approved", "credentialToken": "tok_visa_1", "paymentId": format!("pay_mit_{i:04}"),
                "resolvedAt": at.plus_seconds(2)}));
        }
    }
    json!({
        "now": NOW,
        "policy": {"enabled": true, "maxCount": 5, "period": 86_400, "maxMultiple": 3,
                   "maxZeroAuthAmount": {"cents": 2000}, "maxAmountLookback": 2_592_000},
        "agreement": {
            "id": "pay_cit_001", "merchantId": "merch_1", "customerId": "cust_1", "type": "unscheduled",
            "established": {"method": "cvv_purchase", "at": "2024-01-10T09:30:00Z", "amount": {"amount": "25.00", "currency": "USD"}},
            "currency": "USD",
            "paymentMethod": {"type": "card", "brand": "visa"},
            "credential": {"token": "tok_visa_1", "cardExpiry": "2029-12"},
            "consent": {"storeCredential": true, "merchantInitiated": true},
            "terms": {"validUntil": "2030-12-31", "maxAmount": {"amount": "500.00", "currency": "USD"}}
        },
        "history": {"payments": payments, "attempts": attempts},
        "request": {"merchantId": "merch_1", "customerId": "cust_1", "reference": "pay_cit_001",
                    "credentialToken": "tok_visa_1", "amount": {"amount": "25.00", "currency": "USD"},
                    "idempotencyKey": "idem_25"}
    })
}
