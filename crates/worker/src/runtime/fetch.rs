//! Processors reached with `fetch`: one request, answered within the timeout or not at all, redirects
//! never followed; a connection error is logged under the request id and answered by its kind.

use std::rc::Rc;
use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::pin_mut;
use worker::{console_log, AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};

use super::hooks::Disconnect;
use super::kv::AfterSend;
use crate::app::{Forwarded, Outbound, Processor};
use crate::http::HttpResponse;
use crate::redact::redact_card_numbers;

/// Processors reached with `fetch`.
pub(super) struct FetchProcessor {
    /// Test hook: set once a request has been sent (a store that fails after forwarding).
    pub after_send: AfterSend,
    /// Test hook `disconnect-after-send`: raised once the processor has answered (hooks.rs).
    pub disconnect: Disconnect,
    /// Connection errors are logged under this id; the answer says only what kind of failure it was.
    pub request_id: Rc<str>,
}

const HOP_BY_HOP: &[&str] =
    &["content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"];

impl Processor for FetchProcessor {
    async fn send(&self, out: Outbound, timeout_ms: u64) -> Forwarded {
        let forwarded = match send(out, timeout_ms).await {
            Forwarded::NotSent(detail) => {
                console_log!("{} processor not reached: {}", self.request_id, redact_card_numbers(&detail));
                Forwarded::NotSent(format!(
                    "processor unreachable (logged under request {})",
                    self.request_id
                ))
            }
            Forwarded::Failed(detail) => {
                console_log!(
                    "{} processor connection failed: {}",
                    self.request_id,
                    redact_card_numbers(&detail)
                );
                Forwarded::Failed(format!(
                    "processor connection failed (logged under request {})",
                    self.request_id
                ))
            }
            other => other,
        };
        if let Some(flag) = &self.after_send {
            flag.set(true);
        }
        self.disconnect.processor_answered().await;
        forwarded
    }
}

/// One request to a processor, answered within `timeout_ms` or not at all.
async fn send(out: Outbound, timeout_ms: u64) -> Forwarded {
    let headers = Headers::new();
    for (k, v) in &out.headers {
        if headers.append(k, v).is_err() {
            return Forwarded::NotSent(format!("invalid header `{k}`"));
        }
    }
    let mut init = RequestInit::new();
    // Never follow a redirect: a 307 or 308 would re-send a charge somewhere mitgate did not decide.
    // The processor's 3xx is the answer (an MIT's attempt then stays pending).
    init.with_method(Method::from(out.method.clone()))
        .with_headers(headers)
        .with_redirect(worker::RequestRedirect::Manual);
    if !out.body.is_empty() {
        init.with_body(Some(js_sys::Uint8Array::from(out.body.as_slice()).into()));
    }
    let request = match Request::new_with_init(&out.url, &init) {
        Ok(r) => r,
        Err(e) => return Forwarded::NotSent(format!("invalid processor request: {e}")),
    };
    let controller = AbortController::default();
    let signal = controller.signal();
    let work = async {
        let mut resp = Fetch::Request(request).send_with_signal(&signal).await?;
        let status = resp.status_code();
        let headers: Vec<(String, String)> = resp
            .headers()
            .entries()
            .filter(|(k, _)| !HOP_BY_HOP.contains(&k.to_ascii_lowercase().as_str()))
            .collect();
        let body = resp.bytes().await?;
        Ok::<_, worker::Error>(HttpResponse::new(status, headers, body))
    };
    let delay = Delay::from(Duration::from_millis(timeout_ms));
    pin_mut!(work, delay);
    match select(work, delay).await {
        Either::Left((Ok(resp), _)) => Forwarded::Answered(resp),
        Either::Left((Err(e), _)) => classify(&e.to_string()),
        Either::Right(((), _)) => {
            controller.abort();
            Forwarded::TimedOut
        }
    }
}

/// A fetch error that certainly happened before the request was written (the connection was never
/// established) releases the slot; anything else may have reached the processor.
fn classify(message: &str) -> Forwarded {
    let m = message.to_ascii_lowercase();
    // workerd reports a refused connection and one lost after sending alike ("Network connection
    // lost."), so only messages that can only mean "never connected" release the slot.
    let before_send =
        ["connection refused", "econnrefused", "dns lookup failed", "no such host", "network is unreachable"]
            .iter()
            .any(|needle| m.contains(needle));
    if before_send {
        Forwarded::NotSent(format!("processor unreachable: {message}"))
    } else {
        Forwarded::Failed(format!("processor connection failed: {message}"))
    }
}
