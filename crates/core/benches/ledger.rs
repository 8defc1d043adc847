//! The 10,000-attempt agreement (issue 14): decision time and stored size with its ledger unpruned (every
//! attempt ever made, as stores kept it before the bounded ledger) and pruned (`ledger_pruning::prune`, what
//! both stores keep now, docs/ledger.md), and the cost of pruning itself at a write.
//!
//! The agreement: one charge every 3 hours for 10,000 charges (about 3.4 years), one in a hundred declined
//! with Visa 51 and retried 3 hours later, the network retry rules on (a 30-day window), one card, as
//! tests/worker/ledger_bound.test.mjs drives it end to end. The charge at `NOW` passes every rule.
//!
//! Run: `cargo bench -p mitgate-core --bench ledger` (`make perf` writes bench/out/ledger.txt). The sizes are
//! printed first (`# ledger ...` lines): the ledger's JSON as stored (`{"attempts":[...]}`) in bytes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::print_stdout,
    missing_docs,
    reason = "a benchmark: its set-up fails loudly, prints the sizes, and criterion's macros generate undocumented items"
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use mitgate_core::api::evaluate_json;
use mitgate_core::decision::Verdict;
use mitgate_core::engine::{evaluate, Evaluation};
use mitgate_core::ledger_pruning::prune;
use mitgate_core::time::Timestamp;
use serde_json::{json, Value};

#[path = "support/workload.rs"]
mod workload;
use workload::NOW;

const STEP_SECONDS: u64 = 3 * 3_600;
const ATTEMPTS: u64 = 10_000;

/// The shared workload's agreement, policy and request (`workload::input`), with a velocity ceiling of 10,
/// no terms, established just before the first attempt, and this ledger as its history.
fn input() -> Value {
    let now = Timestamp::parse(NOW).unwrap();
    let established = now.minus_seconds((ATTEMPTS + 8) * STEP_SECONDS);
    let attempts: Vec<Value> = (0..ATTEMPTS)
        .map(|i| {
            let at = now.minus_seconds((ATTEMPTS - i) * STEP_SECONDS);
            let mut a = json!({"id": format!("att_{i:05}"), "at": at, "amount": {"amount": "19.90", "currency": "USD"},
                "credentialToken": "tok_visa_1", "resolvedAt": at.plus_seconds(2)});
            if i % 100 == 50 {
                a["status"] = json!("declined");
                a["decline"] = json!({"network": "visa", "code": "51", "reason": "insufficient_funds"});
            } else {
                a["status"] = json!("approved");
                a["paymentId"] = json!(format!("pay_mit_{i:05}"));
            }
            a
        })
        .collect();
    let mut value = workload::input(0);
    value["policy"]["maxCount"] = json!(10);
    value["agreement"]["established"]["at"] = json!(established);
    value["agreement"].as_object_mut().unwrap().remove("terms");
    value["history"] = json!({"payments": [{"id": "pay_cit_001", "at": established,
        "amount": {"amount": "25.00", "currency": "USD"}, "cvvVerified": true}], "attempts": attempts});
    value
}

fn bench(c: &mut Criterion) {
    let value = input();
    let full_text = value.to_string();
    // Read without `parse_json`'s 1 MiB input limit: the unpruned input is above it (printed below).
    let full: Evaluation = mitgate_core::json::from_str(&full_text).unwrap();
    let pruned_history = prune(&full.policy, full.agreement.as_ref().unwrap(), &full.history, full.now);
    let pruned = Evaluation { history: pruned_history.clone(), ..full.clone() };

    let decision = evaluate(&full);
    assert_eq!(decision.outcome, Verdict::Allowed, "the charge must pass every rule: {decision:?}");
    assert_eq!(decision, evaluate(&pruned), "pruning must not change the decision");

    let mut pruned_value = value;
    pruned_value["history"] = serde_json::to_value(&pruned_history).unwrap();
    let pruned_text = pruned_value.to_string();
    let refused = evaluate_json(&full_text);
    assert!(
        refused.contains("larger than"),
        "the unpruned input is above the engine's 1 MiB input limit: {refused}"
    );
    assert!(evaluate_json(&pruned_text).contains(r#""outcome":"allowed""#));

    // The ledger as a store keeps it (crates/worker AttemptLedger: `{"attempts": [...]}`).
    let ledger = |h: &mitgate_core::model::History| json!({"attempts": h.attempts}).to_string().len();
    println!(
        "# ledger unpruned: {} attempts, {} bytes stored; whole evaluation input {} bytes",
        full.history.attempts.len(),
        ledger(&full.history),
        full_text.len()
    );
    println!("# ledger unpruned through evaluate_json: {}", &refused[..refused.len().min(160)]);
    println!(
        "# ledger pruned:   {} attempts, {} bytes stored; whole evaluation input {} bytes",
        pruned.history.attempts.len(),
        ledger(&pruned.history),
        pruned_text.len()
    );

    let mut group = c.benchmark_group("ledger");
    group.sample_size(20);
    // The state read from JSON text and decided (what a host does per call, without the input limit), and the
    // engine alone on the parsed state; `evaluate_json` (with the limit) on the pruned input only.
    for (name, e, text) in [("unpruned", &full, &full_text), ("pruned", &pruned, &pruned_text)] {
        group.bench_with_input(BenchmarkId::new("evaluate", format!("10000_{name}")), e, |b, e| {
            b.iter(|| evaluate(black_box(e)));
        });
        group.bench_with_input(BenchmarkId::new("read_evaluate", format!("10000_{name}")), text, |b, t| {
            b.iter(|| {
                let e: Evaluation = mitgate_core::json::from_str(black_box(t)).unwrap();
                serde_json::to_string(&evaluate(&e)).unwrap()
            });
        });
    }
    group.bench_with_input(BenchmarkId::new("evaluate_json", "10000_pruned"), &pruned_text, |b, t| {
        b.iter(|| evaluate_json(black_box(t)));
    });
    // Pruning at a write: of the whole unpruned ledger once, and of a bounded one (the steady state).
    let agreement = full.agreement.clone().unwrap();
    group.bench_function("prune/10000_unpruned", |b| {
        b.iter(|| prune(&full.policy, &agreement, black_box(&full.history), full.now));
    });
    group.bench_function("prune/10000_pruned", |b| {
        b.iter(|| prune(&full.policy, &agreement, black_box(&pruned.history), full.now));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
