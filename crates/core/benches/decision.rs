//! Criterion benchmarks of one decision: a typical agreement with 20 history entries and one with 1,000,
//! through the Rust API (`engine::evaluate`) and the JSON entry point every host uses (`api::evaluate_json`).
//!
//! Run: `cargo bench -p mitgate-core --bench decision`. Figures: `crates/core/BENCHMARKS.md`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs,
    reason = "a benchmark: its set-up fails loudly, and criterion's macros generate undocumented items"
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mitgate_core::api::evaluate_json;
use mitgate_core::decision::Verdict;
use mitgate_core::engine::{evaluate, Evaluation};
#[path = "support/workload.rs"]
mod workload;
use workload::input;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("decision");
    for entries in [20usize, 1_000] {
        let value = input(entries);
        let evaluation: Evaluation = mitgate_core::validate::parse_json(&value.to_string()).unwrap();
        let decision = evaluate(&evaluation);
        assert_eq!(
            decision.outcome,
            Verdict::Allowed,
            "the benchmark charge must pass every rule: {decision:?}"
        );
        let text = value.to_string();
        assert!(evaluate_json(&text).contains(r#""outcome":"allowed""#));

        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::new("evaluate", entries), &evaluation, |b, e| {
            b.iter(|| evaluate(black_box(e)));
        });
        group.bench_with_input(BenchmarkId::new("evaluate_json", entries), &text, |b, t| {
            b.iter(|| evaluate_json(black_box(t)));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
