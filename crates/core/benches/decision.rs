//! Criterion benchmarks of one decision (filled in with the conformance work).
fn main() {}
