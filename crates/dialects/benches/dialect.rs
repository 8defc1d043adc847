//! Criterion benchmark of what the Worker's drop-in proxy does per MIT: a processor's request body
//! (Coinflow, document 001) parsed by `mitgate_dialects` into the canonical request, then decided by
//! `mitgate_core::engine::evaluate` against the typical agreement and its 20-entry history (already parsed,
//! as the Worker holds them after reading its store). `parse` alone is measured beside it.
//!
//! Run: `cargo bench -p mitgate-dialects --bench dialect`. Figures: `PERFORMANCE.md`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs,
    reason = "a benchmark: its set-up fails loudly, and criterion's macros generate undocumented items"
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mitgate_core::decision::Verdict;
use mitgate_core::engine::{evaluate, Evaluation};
use mitgate_dialects::{DialectId, MitContext};

#[allow(dead_code, reason = "the shared workload module has parts only other benchmarks use")]
#[path = "../../core/benches/support/workload.rs"]
mod workload;

/// Document 001's MIT body for the workload's agreement: 25.00 USD on `pay_cit_001`.
const BODY: &str = r#"{"subtotal": {"cents": 2500, "currency": "USD"}, "originalPaymentId": "pay_cit_001", "settlementType": "USDC"}"#;

fn bench(c: &mut Criterion) {
    let mut evaluation: Evaluation =
        mitgate_core::validate::parse_json(&workload::input(20).to_string()).unwrap();
    let headers = [("x-user-id", "cust_1"), ("idempotency-key", "idem_25")];
    let ctx = MitContext { merchant_id: "merch_1", headers: &headers, notice_sent_at: None };
    let parsed = DialectId::Coinflow.parse_mit(BODY, &ctx).unwrap();
    evaluation.request = parsed.request_for(evaluation.agreement.as_ref());
    assert_eq!(evaluate(&evaluation).outcome, Verdict::Allowed);

    let mut group = c.benchmark_group("dialect");
    group.throughput(Throughput::Elements(1));
    group.bench_function("coinflow_parse", |b| {
        b.iter(|| DialectId::Coinflow.parse_mit(black_box(BODY), black_box(&ctx)));
    });
    group.bench_function("coinflow_parse_evaluate/20", |b| {
        b.iter(|| {
            let parsed = DialectId::Coinflow.parse_mit(black_box(BODY), black_box(&ctx)).unwrap();
            evaluation.request = parsed.request_for(evaluation.agreement.as_ref());
            evaluate(black_box(&evaluation))
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
