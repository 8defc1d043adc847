//! Test hooks for the end-to-end tests (tests/worker), compiled only with the cargo feature `test-hooks`
//! (scripts/test-worker.sh builds with it; `make dev`, `wrangler deploy` and the size check never do).
//!
//! With the feature and the var `MITGATE_TEST_HOOKS = "1"` (set by the tests' harness only, never in
//! `wrangler.toml`), the header `X-Mitgate-Test-Fault` injects one fault:
//! - `kv` makes every KV operation fail, `do` every Durable Object call; `kv-after-send` / `do-after-send`
//!   the same once the request has been forwarded to the processor.
//! - `disconnect-after-send` drops the request's future the moment the processor has answered, before
//!   anything is recorded ([`Disconnect`]): what the runtime does when the client goes away then. Local
//!   workerd never cancels a request on a client disconnect, so without this hook no test could show that
//!   settlement survives one (issue 15, item 4).
//! - `cold-isolate` serves the request with an empty per-isolate cache (policies, customers' indexes,
//!   agreements, token lists: `store.rs`, `PolicyCache`), as a new isolate would
//!   (tests/worker/storage_cost.test.mjs counts a cold isolate's operations); it may follow another fault
//!   after a comma (`kv,cold-isolate`).
//!
//! `X-Mitgate-Test-Now: <RFC 3339 instant>` sets the request's clock (`App::now`), so a test can drive an
//! agreement through months of charges in seconds (tests/worker/ledger_bound.test.mjs).
//!
//! Without the var, or in a build without the feature, both headers are ignored ([`Disconnect`] is an
//! empty type whose methods do nothing).

use mitgate_core::time::Timestamp;
use worker::Env;

use crate::http::HttpRequest;

/// The fault a request asks for (test hook).
#[cfg(feature = "test-hooks")]
pub(super) fn injected_fault(env: &Env, req: &HttpRequest) -> Option<String> {
    on(env).then(|| req.header(FAULT_HEADER).map(str::to_string)).flatten()
}

/// A release build: no fault is ever injected.
#[cfg(not(feature = "test-hooks"))]
pub(super) fn injected_fault(_env: &Env, _req: &HttpRequest) -> Option<String> {
    None
}

/// The instant a request asks to be served at (test hook), else `None` (the Worker's clock).
#[cfg(feature = "test-hooks")]
pub(super) fn clock(env: &Env, req: &HttpRequest) -> Option<Timestamp> {
    on(env).then(|| req.header("x-mitgate-test-now").and_then(|t| Timestamp::parse(t).ok())).flatten()
}

/// A release build: always the Worker's clock.
#[cfg(not(feature = "test-hooks"))]
pub(super) fn clock(_env: &Env, _req: &HttpRequest) -> Option<Timestamp> {
    None
}

#[cfg(feature = "test-hooks")]
const FAULT_HEADER: &str = "x-mitgate-test-fault";

/// Whether this deployment takes test faults (`MITGATE_TEST_HOOKS = "1"`).
#[cfg(feature = "test-hooks")]
fn on(env: &Env) -> bool {
    super::env::var(env, "MITGATE_TEST_HOOKS").as_deref() == Some("1")
}

#[cfg(feature = "test-hooks")]
pub(super) use disconnect::Disconnect;

/// The fault `disconnect-after-send`.
#[cfg(feature = "test-hooks")]
mod disconnect {
    use std::cell::RefCell;
    use std::future::{poll_fn, Future};
    use std::rc::Rc;
    use std::task::{Poll, Waker};

    use futures_util::future::{select, Either};
    use worker::{console_log, Env, Response};

    /// The header's value that asks for this fault.
    const DISCONNECT: &str = "disconnect-after-send";

    /// A signal the processor raises once it has answered ([`Disconnect::processor_answered`]), and the
    /// request's future watches ([`Disconnect::unless_dropped`]): when it is raised, the request's
    /// future is dropped, as the runtime drops it when the client disconnects. Work that runs under
    /// `waitUntil` goes on; work in the request's future ends where it stood. `None`: not asked for.
    #[derive(Clone, Default)]
    pub(in crate::runtime) struct Disconnect(Option<Rc<RefCell<Signal>>>);

    #[derive(Default)]
    struct Signal {
        raised: bool,
        /// The request's future, waiting for the signal.
        waiter: Option<Waker>,
    }

    impl Disconnect {
        /// The fault, when the request asks for it (read from the head, before anything else runs).
        pub(in crate::runtime) fn asked(env: &Env, req: &worker::Request) -> Self {
            let asked = super::on(env)
                && req.headers().get(super::FAULT_HEADER).ok().flatten().as_deref() == Some(DISCONNECT);
            Self(asked.then(Default::default))
        }

        /// The processor has answered: raise the signal, then yield once, so that the request's future
        /// is dropped right here, before the handler records anything (the worst moment: the charge
        /// was made and nothing of it is stored yet).
        pub(in crate::runtime) async fn processor_answered(&self) {
            let Some(signal) = &self.0 else { return };
            {
                let mut s = signal.borrow_mut();
                s.raised = true;
                if let Some(waiter) = s.waiter.take() {
                    waiter.wake();
                }
            }
            let mut yielded = false;
            poll_fn(|cx| {
                if yielded {
                    Poll::Ready(())
                } else {
                    yielded = true;
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            })
            .await;
        }

        /// The request's answer (`work`: the request's future, waiting for it), unless the signal is raised
        /// first: then `work` is dropped where it stands and the answer is a bare 499 (no client would
        /// read it; the tests check it to know the fault fired).
        pub(in crate::runtime) async fn unless_dropped<E>(
            &self,
            work: impl Future<Output = Result<worker::Result<Response>, E>>,
            request_id: &str,
        ) -> Result<worker::Result<Response>, E> {
            let Some(signal) = self.0.clone() else { return work.await };
            let raised = poll_fn(move |cx| {
                let mut s = signal.borrow_mut();
                if s.raised {
                    Poll::Ready(())
                } else {
                    s.waiter = Some(cx.waker().clone());
                    Poll::Pending
                }
            });
            match select(Box::pin(work), Box::pin(raised)).await {
                Either::Left((answer, _)) => answer,
                Either::Right(((), work)) => {
                    drop(work);
                    console_log!("{request_id} test hook {DISCONNECT}: the request's future was dropped");
                    Ok(Response::error(
                        format!("test hook {DISCONNECT}: the request's future was dropped"),
                        499,
                    ))
                }
            }
        }
    }
}

/// A release build: the fault does not exist; every method does nothing.
#[cfg(not(feature = "test-hooks"))]
#[derive(Clone, Default)]
pub(super) struct Disconnect;

#[cfg(not(feature = "test-hooks"))]
impl Disconnect {
    pub(super) fn asked(_env: &Env, _req: &worker::Request) -> Self {
        Self
    }

    pub(super) fn processor_answered(&self) -> std::future::Ready<()> {
        std::future::ready(())
    }

    /// `work` itself.
    pub(super) fn unless_dropped<F>(&self, work: F, _request_id: &str) -> F {
        work
    }
}
