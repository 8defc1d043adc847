//! Runs the benchmark's typical decision (20 history entries) in a loop, for instruction-level profiles:
//! `valgrind --tool=callgrind target/release/examples/decision_loop 10000` (see `bench/profile-engine.sh`).
//! The first argument is the number of decisions (default 10,000); `json` as the second runs them through
//! `api::evaluate_json` instead, `handle` through `AgreementHandle::evaluate_json` (the state parsed once,
//! each call reading the request and writing the decision). `decision_loop input N` prints the workload's input with N history entries
//! as JSON (the Node benchmarks in `bench/node` use it, so every engine judges the same charge).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs,
    reason = "a profiling harness, not library code: its set-up fails loudly"
)]
#![allow(clippy::print_stdout, reason = "it prints the workload's input for the Node benchmarks")]

use std::hint::black_box;

use mitgate_core::agreement_handle::AgreementHandle;
use mitgate_core::api::evaluate_json;
use mitgate_core::engine::{evaluate, Evaluation};

#[allow(dead_code, reason = "the shared workload module has parts only other benchmarks use")]
#[path = "../benches/support/workload.rs"]
mod workload;

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().is_some_and(|a| a == "input") {
        let entries = args.nth(1).and_then(|a| a.parse().ok()).unwrap_or(20);
        println!("{}", workload::input(entries));
        return;
    }
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let mode = args.next().unwrap_or_default();
    let json = mode == "json";
    let value = workload::input(20);
    let evaluation: Evaluation = mitgate_core::validate::parse_json(&value.to_string()).unwrap();
    let text = value.to_string();
    let mut allowed = 0usize;
    if mode == "handle" {
        let state = serde_json::json!({"policy": value["policy"], "agreement": value["agreement"], "history": value["history"]});
        let handle = AgreementHandle::open(&state.to_string()).unwrap();
        let now = value["now"].as_str().unwrap();
        let request = value["request"].to_string();
        for _ in 0..n {
            allowed += usize::from(
                handle.evaluate_json(now, black_box(&request)).contains(r#""outcome":"allowed""#),
            );
        }
        println!("{allowed} of {n} allowed");
        return;
    }
    for _ in 0..n {
        if json {
            allowed += usize::from(evaluate_json(black_box(&text)).contains(r#""outcome":"allowed""#));
        } else {
            allowed += usize::from(evaluate(black_box(&evaluation)).violations.is_empty());
        }
    }
    println!("{allowed} of {n} allowed");
}
