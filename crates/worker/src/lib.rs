//! # mitgate-worker
//!
//! The edge Worker (workers-rs): authenticates the merchant, decides every merchant-initiated charge
//! with `mitgate-core`, reserves the velocity slot in Workers KV, forwards allowed charges to the
//! processor, reads and records the outcome. Refused charges never reach the processor.
//!
//! Everything but the runtime shell ([`wasm`](self), compiled for `wasm32` only) is plain Rust over a
//! small KV trait and a processor trait, so the handlers are unit-tested natively.
//! See `docs/worker.md` for the API, the KV layout and the consistency caveat.

// The shell that calls these modules exists on wasm32 only; natively they are exercised by tests.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod auth;
mod customer;
mod dialect;
mod http;
mod lookup;
mod objects;
mod paths;
mod proxy;
mod redact;
mod routes;
mod service;
mod store;
#[cfg(test)]
mod test_util;
mod tree;

#[cfg(target_arch = "wasm32")]
mod wasm;
