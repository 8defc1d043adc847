//! Test hooks for the end-to-end tests (tests/worker), compiled only with the cargo feature `test-hooks`
//! (scripts/test-worker.sh builds with it; `make dev`, `wrangler deploy` and the size check never do).
//!
//! With the feature and the var `MITGATE_TEST_HOOKS = "1"` (set by the tests' harness only, never in
//! `wrangler.toml`), the header `X-Mitgate-Test-Fault` makes the stores fail: `kv` every KV operation, `do`
//! every Durable Object call, `kv-after-send` / `do-after-send` the same once the request has been forwarded
//! to the processor. `X-Mitgate-Test-Now: <RFC 3339 instant>` sets the request's clock (`App::now`), so a test
//! can drive an agreement through months of charges in seconds (tests/worker/ledger_bound.test.mjs). Without
//! the var, or in a build without the feature, both headers are ignored.

use mitgate_core::time::Timestamp;
use worker::Env;

use crate::http::HttpRequest;

/// The fault a request asks for (test hook).
#[cfg(feature = "test-hooks")]
pub(super) fn injected_fault(env: &Env, req: &HttpRequest) -> Option<String> {
    (super::env::var(env, "MITGATE_TEST_HOOKS").as_deref() == Some("1"))
        .then(|| req.header("x-mitgate-test-fault").map(str::to_string))
        .flatten()
}

/// A release build: no fault is ever injected.
#[cfg(not(feature = "test-hooks"))]
pub(super) fn injected_fault(_env: &Env, _req: &HttpRequest) -> Option<String> {
    None
}

/// The instant a request asks to be served at (test hook), else `None` (the Worker's clock).
#[cfg(feature = "test-hooks")]
pub(super) fn clock(env: &Env, req: &HttpRequest) -> Option<Timestamp> {
    (super::env::var(env, "MITGATE_TEST_HOOKS").as_deref() == Some("1"))
        .then(|| req.header("x-mitgate-test-now").and_then(|t| Timestamp::parse(t).ok()))
        .flatten()
}

/// A release build: always the Worker's clock.
#[cfg(not(feature = "test-hooks"))]
pub(super) fn clock(_env: &Env, _req: &HttpRequest) -> Option<Timestamp> {
    None
}
