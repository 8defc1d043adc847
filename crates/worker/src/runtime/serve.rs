//! One routed request, from `worker::Request` to `worker::Response`: authenticated on its head, its path
//! parameters checked, its body read within the limit, the stores and processor built, the handler run
//! under the event's `waitUntil`, one log line written, the request id attached.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use futures_util::StreamExt;
use worker::{console_log, Context, Headers, Method, Request, Response, RouteContext};

use super::env::{config, now, random_uuid};
use super::fetch::FetchProcessor;
use super::hooks;
use super::kv::{stores, WorkerKv};
use crate::app::{authenticate, flatten, Answer, App, Call, Config, EVALUATE_MAX_BODY_BYTES};
use crate::error::ErrorCode;
use crate::http::{HttpRequest, HttpResponse};
use crate::paths;
use crate::store::{Stores, STORAGE_HEADER};
use mitgate_core::time::Timestamp;

/// Per-request data the router hands every handler.
#[derive(Debug, Clone)]
pub(super) struct Meta {
    /// Quoted by every answer (`X-Mitgate-Request-Id`) and by the log lines of this request.
    pub request_id: Rc<str>,
    /// The fetch event's context: a handled request runs under its `waitUntil`.
    pub exec: Rc<Context>,
    /// `MITGATE_REQUEST_LOG` (docs/worker.md, "Logs"): `all` (the default) logs one line per request,
    /// `errors` only the requests answered 400 or above (errors and refusals). Internal details (a store's
    /// or the processor's error) are logged either way.
    pub log_every_request: bool,
}

/// How a route reads its request and labels its answer.
#[derive(Debug, Clone, Copy)]
pub(super) struct Spec {
    /// The largest body accepted (413 above).
    evaluation_body: bool,
    /// Whether the answer carries `X-Mitgate-Storage` (charges, decisions, proxied requests).
    metered: bool,
}

/// Most routes: the configured body limit, no storage header.
pub(super) const PLAIN: Spec = Spec { evaluation_body: false, metered: false };
/// Routes whose storage operations are reported (`X-Mitgate-Storage`, docs/worker.md).
pub(super) const METERED: Spec = Spec { evaluation_body: false, metered: true };
/// `POST /v1/decisions/evaluate`: the engine's own input limit.
pub(super) const EVALUATION: Spec = Spec { evaluation_body: true, metered: false };

/// A handler's answer, boxed.
pub(super) type Answering<'a> = Pin<Box<dyn Future<Output = Answer> + 'a>>;

/// A handler of the canonical API or a proxy, as the runtime runs it: type-erased, so [`serve`] is
/// compiled once rather than once per route (the Worker's size budget).
pub(super) type Handler =
    Box<dyn for<'a> Fn(&'a App<'a, WorkerKv, FetchProcessor>, &'a Call<'a>) -> Answering<'a>>;

/// A named handler (`handlers::policy::get`) as a [`Handler`]. Only this adapter is compiled once per
/// handler; [`serve`] is compiled once.
pub(super) fn handler<H>(h: H) -> Handler
where
    H: for<'a> AsyncFnOnce(&'a App<'a, WorkerKv, FetchProcessor>, &'a Call<'a>) -> Answer + Copy + 'static,
{
    // Called by value (a copy of the fn item): its future owns it and is boxed as it is, with no wrapper
    // future around it (346 B less gzip than `async move { h(app, call).await }`).
    Box::new(move |app, call| Box::pin(h(app, call)))
}

/// Handles one routed request under the event's `waitUntil`: a client that disconnects (after its charge
/// was forwarded, say) does not cancel the work, so the outcome is still read and recorded and the
/// idempotency record saved (issue 15, item 4). The answer comes back through a one-shot channel.
/// tests/worker/hardening.test.mjs drops this function's future with the test hook
/// `disconnect-after-send` and fails when the handler runs here instead of under `waitUntil`.
pub(super) async fn serve(
    req: Request,
    ctx: RouteContext<Meta>,
    spec: Spec,
    handler: Handler,
) -> worker::Result<Response> {
    let exec = ctx.data.exec.clone();
    let request_id = ctx.data.request_id.clone();
    let request_id_after = request_id.clone();
    // Test hook `disconnect-after-send`: the request's future (below) is dropped once the processor has
    // answered, as the runtime drops it when the client goes away (hooks.rs). A release build has none.
    let disconnect = hooks::Disconnect::asked(&ctx.env, &req);
    let (tx, rx) = futures_channel::oneshot::channel();
    let work = disconnect.clone();
    exec.wait_until(async move {
        let (answer, stores) = serve_now(req, ctx, spec, handler, work).await;
        let _ = tx.send(answer);
        // What the request left for after its answer (MIT payment markers, docs/worker.md): not in its
        // `X-Mitgate-Storage`, which was written before.
        if let Some(stores) = stores {
            if let Err(e) = stores.run_deferred().await {
                console_log!("{request_id_after} deferred write failed: {}", e.0);
            }
        }
    });
    match disconnect.unless_dropped(rx, &request_id).await {
        Ok(answer) => answer,
        Err(_) => {
            console_log!("{request_id} internal error: the request's work ended without an answer");
            to_response(HttpResponse::error(
                ErrorCode::Internal,
                format!("internal error (request {request_id})"),
            ))
        }
    }
}

async fn serve_now(
    mut req: Request,
    ctx: RouteContext<Meta>,
    spec: Spec,
    handler: Handler,
    disconnect: hooks::Disconnect,
) -> (worker::Result<Response>, Option<Stores<WorkerKv>>) {
    let method = req.method().to_string();
    let path = req.path();
    let (response, merchant, stores) = match prepare(&mut req, &ctx, spec, disconnect).await {
        Err((response, merchant)) => (response, merchant, None),
        Ok(p) => {
            let new_id = || format!("att_{}", random_uuid());
            let app = App {
                stores: &p.stores,
                processor: &p.processor,
                config: &p.config,
                now: p.now,
                new_id: &new_id,
            };
            let call = Call {
                merchant: &p.merchant,
                request: &p.request,
                id: &p.id,
                attempt: &p.attempt,
                customer: &p.customer,
            };
            let response = flatten(handler(&app, &call).await);
            // Storage cost of this request (charges, decisions, proxied requests): docs/worker.md.
            let response = if spec.metered {
                response.with_header(STORAGE_HEADER, p.stores.counters.header_value())
            } else {
                response
            };
            (response, Some(p.merchant), Some(p.stores))
        }
    };
    (finish(&method, &path, response, merchant.as_deref(), &ctx.data), stores)
}

/// What a handler runs with, owned.
struct Prepared {
    config: Config,
    merchant: String,
    request: HttpRequest,
    id: String,
    attempt: String,
    customer: String,
    stores: Stores<WorkerKv>,
    processor: FetchProcessor,
    /// The request's clock: the Worker's, or a test hook's.
    now: Timestamp,
}

/// Everything before the handler; `Err` is the answer (and the merchant, once authenticated).
async fn prepare(
    req: &mut Request,
    ctx: &RouteContext<Meta>,
    spec: Spec,
    disconnect: hooks::Disconnect,
) -> Result<Prepared, (HttpResponse, Option<String>)> {
    let config = config(&ctx.env).map_err(|r| (r, None))?;
    let limit = if spec.evaluation_body { EVALUATE_MAX_BODY_BYTES } else { config.max_body_bytes };
    // Authenticate on the request line and headers; only then read the body (issue 15, item 2).
    let mut request = read_head(req).map_err(|r| (r, None))?;
    let merchant = authenticate(&config, &request).map_err(|r| (r, None))?;
    let fail = |r: HttpResponse| (r, Some(merchant.clone()));
    // Path parameters are checked as body ids are, before any store is touched (400 naming them).
    let param = |name: &str, as_named: &str| {
        ctx.param(name).map(|raw| paths::path_id(as_named, raw)).transpose().map(Option::unwrap_or_default)
    };
    let (id, attempt, customer) =
        match (param("id", "id"), param("attempt", "attemptId"), param("customer", "customerId")) {
            (Ok(id), Ok(attempt), Ok(customer)) => (id, attempt, customer),
            (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return Err(fail(r)),
        };
    request.body = read_body(req, limit).await.map_err(fail)?;
    let fault = hooks::injected_fault(&ctx.env, &request);
    let rid = &ctx.data.request_id;
    let (stores, after_send) = stores(&ctx.env, fault.as_deref(), rid).map_err(fail)?;
    let processor = FetchProcessor { after_send, disconnect, request_id: rid.clone() };
    let now = hooks::clock(&ctx.env, &request).unwrap_or_else(now);
    Ok(Prepared { config, merchant, request, id, attempt, customer, stores, processor, now })
}

/// Logs the request's one line (every request, or with `MITGATE_REQUEST_LOG = "errors"` only those
/// answered 400 or above) and answers. Every answer quotes the request id
/// (`X-Mitgate-Request-Id`); an authenticated one names the merchant (`X-Mitgate-Merchant`).
pub(super) fn finish(
    method: &str,
    path: &str,
    response: HttpResponse,
    merchant: Option<&str>,
    meta: &Meta,
) -> worker::Result<Response> {
    // One line per request: never a body, a key or a header value; a card number typed into a path is masked.
    if meta.log_every_request || logged_as_error(&response) {
        console_log!(
            "{} {method} {} -> {} merchant={}",
            meta.request_id,
            crate::redact::redact_path(path),
            response.status,
            merchant.unwrap_or("-")
        );
    }
    let mut response = response.with_header(REQUEST_ID_HEADER, meta.request_id.to_string());
    if let Some(m) = merchant {
        response = response.with_header(MERCHANT_HEADER, m);
    }
    to_response(response)
}

/// What `MITGATE_REQUEST_LOG = "errors"` still logs: an answer of 400 or above (an error, or a refusal in
/// the decision's status), or a refusal answered 200 in its dialect's own words whose decision rides in
/// `X-Mitgate-Decision` (Axerve over SOAP: GestPay's in-band `KO`).
fn logged_as_error(response: &HttpResponse) -> bool {
    response.status >= 400
        || response.headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case(mitgate_dialects::axerve::soap::DECISION_HEADER)
                && v.contains("\"outcome\":\"refused\"")
        })
}

/// Every answer's request id: the log lines of the request carry it, internal details are logged under it.
pub(super) const REQUEST_ID_HEADER: &str = "x-mitgate-request-id";
/// The merchant an authenticated answer was given to.
const MERCHANT_HEADER: &str = "x-mitgate-merchant";

/// The request line and headers. The body is read only once the caller is authenticated ([`read_body`]).
fn read_head(req: &Request) -> Result<HttpRequest, HttpResponse> {
    let url = req
        .url()
        .map_err(|_| HttpResponse::error(ErrorCode::InvalidUrl, "the request URL does not parse"))?;
    let headers = req.headers().entries().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
    Ok(HttpRequest {
        method: req.inner().method(),
        path: url.path().to_string(),
        query: url.query().unwrap_or("").to_string(),
        headers,
        body: Vec::new(),
        origin: origin(url.as_str()),
    })
}

/// The body, read from the stream with a running limit: 413 as soon as more than `limit` bytes arrived
/// (a declared `Content-Length` above it is refused before reading), so an oversized or endless upload is
/// never buffered whole, neither in JS nor in wasm memory. The rest of the stream is never read.
pub(super) async fn read_body(req: &mut Request, limit: usize) -> Result<Vec<u8>, HttpResponse> {
    let too_large = || {
        HttpResponse::error(ErrorCode::BodyTooLarge, format!("the request body is larger than {limit} bytes"))
    };
    let declared = req.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    if matches!(req.method(), Method::Get | Method::Head) || req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let unreadable = || HttpResponse::error(ErrorCode::InvalidBody, "the request body could not be read");
    let mut stream = req.stream().map_err(|_| unreadable())?;
    let mut body = Vec::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| unreadable())?;
        // INVARIANT: `body` never holds more than `limit` bytes.
        if chunk.len() > limit.saturating_sub(body.len()) {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `scheme://authority` of a URL (what `Url::origin` gives for http(s), without its code).
fn origin(url: &str) -> String {
    let after = url.find("://").map_or(0, |i| i + 3);
    let end = url.get(after..).and_then(|rest| rest.find(['/', '?', '#'])).map_or(url.len(), |i| after + i);
    url.get(..end).unwrap_or_default().to_string()
}

/// The runtime's response for one of mitgate's.
pub(super) fn to_response(r: HttpResponse) -> worker::Result<Response> {
    let headers = Headers::new();
    for (k, v) in &r.headers {
        // A header value mitgate composes (a warning quoting a KV error) must never turn an answer
        // into a 500: control characters become spaces, and a header the runtime still rejects is dropped.
        let clean: String =
            v.chars().map(|c| if c == '\t' || (' '..='~').contains(&c) { c } else { ' ' }).collect();
        if headers.append(k, &clean).is_err() {
            console_log!("dropped an invalid response header `{k}`");
        }
    }
    Ok(Response::from_bytes(r.body)?.with_status(r.status).with_headers(headers))
}
