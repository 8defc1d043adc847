//! # mitgate-worker
//!
//! The edge Worker (workers-rs): authenticates the merchant, decides every merchant-initiated charge
//! with `mitgate-core`, reserves the velocity slot, forwards allowed charges to the processor, reads and
//! records the outcome. Refused charges never reach the processor.
//!
//! Modules import downwards only (docs/ARCHITECTURE.md draws them):
//! - [`runtime`](self) (wasm32 only): everything that touches `worker::*`: the router, Workers KV, the
//!   Durable Object, `fetch`.
//! - `proxy`: the drop-in dialect proxies; `handlers`: the canonical `/v1` API; `idempotency`.
//! - `app`: what a handler runs with (`App`, `Config`, the `Processor` trait).
//! - `store`: typed state over a small `Kv` trait (Workers KV, a Durable Object's SQLite, memory).
//! - leaves: `auth`, `http`, `paths`, `tree`, `redact`, `hash`.
//!
//! Everything but the runtime shell is plain Rust, so the handlers are unit-tested natively.
//! See `docs/worker.md` for the API, the KV layout and the consistency caveat.

// The shell that calls these modules exists on wasm32 only; natively they are exercised by tests.
#![cfg_attr(
    not(target_arch = "wasm32"),
    allow(dead_code, reason = "the runtime shell that calls these modules is compiled for wasm32 only")
)]

mod app;
mod auth;
mod error;
mod handlers;
mod hash;
mod http;
mod idempotency;
#[cfg(test)]
mod openapi_check;
mod paths;
mod proxy;
mod redact;
#[cfg(test)]
mod source_check;
mod store;
#[cfg(test)]
mod test_util;
mod tree;

#[cfg(target_arch = "wasm32")]
mod runtime;
