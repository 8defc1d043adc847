//! The Worker runtime shell: `#[event(fetch)]`, the router with named handlers, Workers KV behind the
//! [`Kv`] trait, and processor forwarding with a timeout. No handler logic lives here.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::{pin_mut, StreamExt};
use wasm_bindgen::prelude::wasm_bindgen;
use worker::{
    console_log, durable_object, event, AbortController, Context, Delay, DurableObject, Env, Fetch, Headers,
    Method, Request, RequestInit, Response, RouteContext, Router, State,
};

use mitgate_core::time::Timestamp;

use crate::auth::MerchantKeys;
use crate::dialect::Dialect;
use crate::http::{HttpRequest, HttpResponse};
use crate::objects::{self, ObjectOp};
use crate::paths;
use crate::proxy;
use crate::redact::redact_card_numbers;
use crate::service::{self, App, Config, Forwarded, Outbound, Processor};
use crate::store::{Kv, StoreError, Stores, STORAGE_HEADER};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = randomUUID)]
    fn random_uuid() -> String;
}

/// One KV namespace, or the Durable Object namespace (`MITGATE_STORE = "durable_object"`).
struct WorkerKv {
    backend: Backend,
    /// Test hook (`MITGATE_TEST_HOOKS`): while set, every operation fails, as an unavailable store would.
    fail: Rc<Cell<bool>>,
    /// The request this store serves: a runtime error is logged under it, never answered.
    request_id: Rc<str>,
}

enum Backend {
    Kv(worker::kv::KvStore),
    Objects(worker::ObjectNamespace),
}

impl WorkerKv {
    /// A runtime error (its message may carry a JS stack, a file path or a wasm offset) is logged under
    /// the request id; the caller gets only what failed and that id.
    fn failed(&self, what: &str, key: &str, e: impl std::fmt::Display) -> StoreError {
        console_log!(
            "{} {what} `{}` failed: {}",
            self.request_id,
            redact_card_numbers(key),
            redact_card_numbers(&e.to_string())
        );
        StoreError(format!("{what} failed (details logged under request {})", self.request_id))
    }

    fn kv(&self) -> Result<&worker::kv::KvStore, StoreError> {
        if self.fail.get() {
            return Err(StoreError("injected store failure (test hook)".into()));
        }
        match &self.backend {
            Backend::Kv(kv) => Ok(kv),
            Backend::Objects(_) => Err(StoreError("not a KV namespace".into())),
        }
    }
}

impl Kv for WorkerKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.kv()?.get(key).text().await.map_err(|e| self.failed("KV get", key, e))
    }

    async fn put(&self, key: &str, value: &str, ttl_seconds: Option<u64>) -> Result<(), StoreError> {
        let mut put = self.kv()?.put(key, value).map_err(|e| self.failed("KV put", key, e))?;
        if let Some(ttl) = ttl_seconds {
            put = put.expiration_ttl(ttl.max(60));
        }
        put.execute().await.map_err(|e| self.failed("KV put", key, e))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.kv()?.delete(key).await.map_err(|e| self.failed("KV delete", key, e))
    }

    async fn call_object(&self, name: &str, op: &ObjectOp) -> Result<String, StoreError> {
        let err = |e: worker::Error| self.failed("Durable Object call", name, e);
        if self.fail.get() {
            return Err(StoreError("injected Durable Object failure (test hook)".into()));
        }
        let Backend::Objects(ns) = &self.backend else {
            return Err(StoreError("not a Durable Object namespace".into()));
        };
        let body = serde_json::to_string(op).map_err(|e| StoreError(format!("cannot encode: {e}")))?;
        let stub = ns.id_from_name(name).and_then(|id| id.get_stub()).map_err(err)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(body.into()));
        let request = Request::new_with_init("https://object.mitgate/op", &init).map_err(err)?;
        let mut resp = stub.fetch_with_request(request).await.map_err(err)?;
        let text = resp.text().await.map_err(err)?;
        if resp.status_code() != 200 {
            return Err(self.failed(
                "Durable Object call",
                name,
                format!("answered {}: {text}", resp.status_code()),
            ));
        }
        Ok(text)
    }
}

/// A Durable Object's own SQLite database, as the [`Kv`] trait `objects::apply` runs over: one table of
/// keys and values, read and written with the synchronous SQL API. Nothing here awaits, so an operation
/// completes in a single poll and no other request to the object can interleave with it, whatever the
/// runtime's input gates do.
struct ObjectStorage(worker::SqlStorage);

impl ObjectStorage {
    fn open(storage: worker::Storage) -> Result<Self, StoreError> {
        let sql = storage.sql();
        sql.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)", None)
            .map_err(|e| StoreError(format!("cannot open the object's table: {e}")))?;
        Ok(ObjectStorage(sql))
    }
}

impl Kv for ObjectStorage {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let cursor = self
            .0
            .exec("SELECT value FROM kv WHERE key = ?", Some(vec![key.into()]))
            .map_err(|e| StoreError(e.to_string()))?;
        match cursor.raw().next() {
            None => Ok(None),
            Some(row) => {
                let row = row.map_err(|e| StoreError(e.to_string()))?;
                match row.into_iter().next() {
                    Some(worker::SqlStorageValue::String(text)) => Ok(Some(text)),
                    _ => Err(StoreError(format!("the object's value at `{key}` is not text"))),
                }
            }
        }
    }

    async fn put(&self, key: &str, value: &str, _ttl_seconds: Option<u64>) -> Result<(), StoreError> {
        self.0
            .exec(
                "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                Some(vec![key.into(), value.into()]),
            )
            .map(|_| ())
            .map_err(|e| StoreError(e.to_string()))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0
            .exec("DELETE FROM kv WHERE key = ?", Some(vec![key.into()]))
            .map(|_| ())
            .map_err(|e| StoreError(e.to_string()))
    }
}

/// The exact store: one object per agreement (its attempt ledger, check-and-reserve) and one per
/// idempotency key. Each request is one [`ObjectOp`]; the object makes no I/O but its own storage, so
/// requests to one object never interleave (`objects.rs`).
#[durable_object]
pub struct MitgateObject {
    state: State,
}

impl DurableObject for MitgateObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let text = req.text().await?;
        let op: ObjectOp = match mitgate_core::json::from_str(&text) {
            Ok(op) => op,
            Err(e) => return Response::error(format!("unknown operation: {e}"), 400),
        };
        let storage = match ObjectStorage::open(self.state.storage()) {
            Ok(s) => s,
            Err(e) => return Response::error(e.0, 500),
        };
        match objects::apply(&storage, op).await {
            Ok(body) => Response::ok(body),
            Err(e) => Response::error(e.0, 500),
        }
    }
}

/// Processors reached with `fetch`.
struct FetchProcessor {
    /// Test hook: set once a request has been sent (a store that fails after forwarding).
    after_send: AfterSend,
    /// Connection errors are logged under this id; the answer says only what kind of failure it was.
    request_id: Rc<str>,
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
        Ok::<_, worker::Error>(HttpResponse { status, headers, body })
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

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).or_else(|| env.secret(name).ok().map(|v| v.to_string()))
}

fn config(env: &Env) -> Result<Config, HttpResponse> {
    let keys_json = var(env, "MITGATE_MERCHANT_KEYS").ok_or_else(|| {
        HttpResponse::error(503, "not_configured", "the MITGATE_MERCHANT_KEYS secret is not set")
    })?;
    let keys = MerchantKeys::parse(&keys_json).map_err(|m| HttpResponse::error(503, "not_configured", m))?;
    let processor_urls = Dialect::ALL.iter().filter_map(|d| var(env, d.url_var()).map(|u| (*d, u))).collect();
    Ok(Config {
        keys,
        processor_urls,
        max_body_bytes: var(env, "MAX_BODY_BYTES")
            .and_then(|v| v.parse().ok())
            .unwrap_or(service::DEFAULT_MAX_BODY_BYTES),
        processor_timeout_ms: var(env, "PROCESSOR_TIMEOUT_MS")
            .and_then(|v| v.parse().ok())
            .unwrap_or(service::DEFAULT_PROCESSOR_TIMEOUT_MS),
        sandbox_headers: var(env, "MITGATE_SANDBOX_HEADERS").as_deref() == Some("1"),
    })
}

/// Test hook: with the var `MITGATE_TEST_HOOKS = "1"` (set by the end-to-end tests only, never in
/// `wrangler.toml`), the header `X-Mitgate-Test-Fault` makes the stores fail: `kv` every KV operation, `do`
/// every Durable Object call, `kv-after-send` / `do-after-send` the same once the request has been forwarded
/// to the processor. Without the var the header is ignored.
fn injected_fault(env: &Env, req: &HttpRequest) -> Option<String> {
    (var(env, "MITGATE_TEST_HOOKS").as_deref() == Some("1"))
        .then(|| req.header("x-mitgate-test-fault").map(str::to_string))
        .flatten()
}

/// A store-failure flag the processor sets once it has forwarded (test hook).
type AfterSend = Option<Rc<Cell<bool>>>;

/// The stores, and the flag a fault injected after forwarding sets.
fn stores(
    env: &Env,
    fault: Option<&str>,
    request_id: &Rc<str>,
) -> Result<(Stores<WorkerKv>, AfterSend), HttpResponse> {
    let kv_fail = Rc::new(Cell::new(fault == Some("kv")));
    let do_fail = Rc::new(Cell::new(fault == Some("do")));
    let after_send = match fault {
        Some("kv-after-send") => Some(kv_fail.clone()),
        Some("do-after-send") => Some(do_fail.clone()),
        _ => None,
    };
    let kv = |name: &str| {
        env.kv(name)
            .map(|k| WorkerKv {
                backend: Backend::Kv(k),
                fail: kv_fail.clone(),
                request_id: request_id.clone(),
            })
            .map_err(|_| {
                HttpResponse::error(
                    503,
                    "not_configured",
                    format!("the KV namespace binding {name} is missing"),
                )
            })
    };
    let stores = Stores::new(kv("AGREEMENTS")?, kv("POLICIES")?, kv("VELOCITY")?, kv("IDEMPOTENCY")?);
    match var(env, "MITGATE_STORE").as_deref().unwrap_or("kv") {
        // Ledgers in KV; idempotency keys are still claimed atomically in a Durable Object when the
        // binding exists (it does in wrangler.toml), so a key never forwards twice (issue 15, item 3).
        "kv" => Ok(match env.durable_object("OBJECTS") {
            Ok(ns) => (
                stores.with_claim_objects(WorkerKv {
                    backend: Backend::Objects(ns),
                    fail: do_fail,
                    request_id: request_id.clone(),
                }),
                after_send,
            ),
            Err(_) => (stores, after_send),
        }),
        "durable_object" => {
            let ns = env.durable_object("OBJECTS").map_err(|_| {
                HttpResponse::error(
                    503,
                    "not_configured",
                    "MITGATE_STORE is durable_object but the Durable Object binding OBJECTS is missing",
                )
            })?;
            let objects =
                WorkerKv { backend: Backend::Objects(ns), fail: do_fail, request_id: request_id.clone() };
            Ok((stores.with_objects(objects), after_send))
        }
        other => Err(HttpResponse::error(
            503,
            "not_configured",
            format!(
                "MITGATE_STORE must be \"kv\" or \"durable_object\", not `{}`",
                other.chars().take(32).collect::<String>()
            ),
        )),
    }
}

fn now() -> Timestamp {
    let millis = i64::try_from(worker::Date::now().as_millis()).unwrap_or(0);
    Timestamp::from_datetime(chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default())
}

/// Which handler a route runs.
#[derive(Debug, Clone, Copy)]
enum Route {
    Health,
    PolicyGet,
    PolicyPut,
    AgreementGet,
    AgreementPut,
    AgreementDelete,
    AgreementLimits,
    AttemptOutcome,
    Decision,
    Evaluate,
    Charge,
    Proxy(Dialect),
    InfinicWebhook,
    CustomerAgreements,
}

/// The request line and headers. The body is read only once the caller is authenticated ([`read_body`]).
fn read_head(req: &Request) -> Result<HttpRequest, HttpResponse> {
    let url =
        req.url().map_err(|_| HttpResponse::error(400, "invalid_url", "the request URL does not parse"))?;
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
async fn read_body(req: &mut Request, limit: usize) -> Result<Vec<u8>, HttpResponse> {
    let too_large = || {
        HttpResponse::error(413, "body_too_large", format!("the request body is larger than {limit} bytes"))
    };
    let declared = req.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    if matches!(req.method(), Method::Get | Method::Head) || req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let unreadable = || HttpResponse::error(400, "invalid_body", "the request body could not be read");
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

fn to_response(r: HttpResponse) -> worker::Result<Response> {
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

/// Handles one routed request under the event's `waitUntil`: a client that disconnects (after its charge
/// was forwarded, say) does not cancel the work, so the outcome is still read and recorded and the
/// idempotency record saved (issue 15, item 4). The answer comes back through a one-shot channel.
async fn handle(req: Request, ctx: RouteContext<Meta>, route: Route) -> worker::Result<Response> {
    let exec = ctx.data.exec.clone();
    let request_id = ctx.data.request_id.clone();
    let (tx, rx) = futures_channel::oneshot::channel();
    exec.wait_until(async move {
        let _ = tx.send(handle_now(req, ctx, route).await);
    });
    match rx.await {
        Ok(answer) => answer,
        Err(_) => {
            console_log!("{request_id} internal error: the request's work ended without an answer");
            to_response(HttpResponse::error(
                500,
                "internal",
                format!("internal error (request {request_id})"),
            ))
        }
    }
}

async fn handle_now(mut req: Request, ctx: RouteContext<Meta>, route: Route) -> worker::Result<Response> {
    let method = req.method().to_string();
    let path = req.path();
    let (response, merchant) = respond(&mut req, &ctx, route).await;
    finish(&method, &path, response, merchant.as_deref(), &ctx.data)
}

/// Logs the request's one line and answers. Every answer quotes the request id
/// (`X-Mitgate-Request-Id`); an authenticated one names the merchant (`X-Mitgate-Merchant`).
fn finish(
    method: &str,
    path: &str,
    response: HttpResponse,
    merchant: Option<&str>,
    meta: &Meta,
) -> worker::Result<Response> {
    // One line per request: never a body, a key or a header value; a card number typed into a path is masked.
    console_log!(
        "{} {method} {} -> {} merchant={}",
        meta.request_id,
        crate::redact::redact_path(path),
        response.status,
        merchant.unwrap_or("-")
    );
    let mut response = response.with_header(REQUEST_ID_HEADER, meta.request_id.to_string());
    if let Some(m) = merchant {
        response = response.with_header(MERCHANT_HEADER, m);
    }
    to_response(response)
}

/// Every answer's request id: the log lines of the request carry it, internal details are logged under it.
const REQUEST_ID_HEADER: &str = "x-mitgate-request-id";
/// The merchant an authenticated answer was given to.
const MERCHANT_HEADER: &str = "x-mitgate-merchant";

async fn respond(
    req: &mut Request,
    ctx: &RouteContext<Meta>,
    route: Route,
) -> (HttpResponse, Option<String>) {
    let config = match config(&ctx.env) {
        Ok(c) => c,
        Err(r) => return (r, None),
    };
    let limit = if matches!(route, Route::Evaluate) {
        service::EVALUATE_MAX_BODY_BYTES
    } else {
        config.max_body_bytes
    };
    // Authenticate on the request line and headers; only then read the body (issue 15, item 2).
    let mut request = match read_head(req) {
        Ok(r) => r,
        Err(r) => return (r, None),
    };
    let merchant = match service::authenticate(&config, &request) {
        Ok(m) => m,
        Err(r) => return (r, None),
    };
    // Path parameters are checked as body ids are, before any store is touched (400 naming them).
    let param =
        |name: &str, as_named: &str| ctx.param(name).map(|raw| paths::path_id(as_named, raw)).transpose();
    let (id, attempt, customer) =
        match (param("id", "id"), param("attempt", "attemptId"), param("customer", "customerId")) {
            (Ok(id), Ok(attempt), Ok(customer)) => {
                (id.unwrap_or_default(), attempt.unwrap_or_default(), customer.unwrap_or_default())
            }
            (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return (r, Some(merchant)),
        };
    request.body = match read_body(req, limit).await {
        Ok(b) => b,
        Err(r) => return (r, Some(merchant)),
    };
    let fault = injected_fault(&ctx.env, &request);
    let rid = &ctx.data.request_id;
    let (stores, after_send) = match stores(&ctx.env, fault.as_deref(), rid) {
        Ok(s) => s,
        Err(r) => return (r, Some(merchant)),
    };
    let processor = FetchProcessor { after_send, request_id: rid.clone() };
    let new_id = || format!("att_{}", random_uuid());
    let app = App { stores: &stores, processor: &processor, config: &config, now: now(), new_id: &new_id };
    let m = merchant.as_str();
    let r = &request;
    let response = match route {
        Route::Health => HttpResponse::json(200, &serde_json::json!({"service": "mitgate", "status": "ok"})),
        Route::PolicyGet => service::flatten(service::get_policy(&app, m).await),
        Route::PolicyPut => service::flatten(service::put_policy(&app, m, r).await),
        Route::AgreementGet => service::flatten(service::get_agreement(&app, m, &id).await),
        Route::AgreementPut => service::flatten(service::put_agreement(&app, m, &id, r).await),
        Route::AgreementDelete => service::flatten(service::delete_agreement(&app, m, &id, r).await),
        Route::AgreementLimits => service::flatten(service::agreement_limits(&app, m, &id).await),
        Route::AttemptOutcome => service::flatten(service::post_outcome(&app, m, &id, &attempt, r).await),
        Route::Decision => service::flatten(service::post_decision(&app, m, r).await),
        Route::Evaluate => service::flatten(service::post_evaluate(r)),
        Route::Charge => {
            service::idempotent(&app, m, r, async {
                let resp = service::flatten(service::post_charge(&app, m, r).await);
                let f = service::finality_of(&resp);
                (resp, f)
            })
            .await
        }
        Route::Proxy(d) => proxy::handle(&app, m, d, r).await,
        Route::InfinicWebhook => service::flatten(proxy::infinic_webhook(&app, m, r).await),
        Route::CustomerAgreements => {
            service::flatten(crate::lookup::customer_agreements(&app, m, &customer).await)
        }
    };
    // Storage cost of this request (charges, decisions, proxied requests): docs/worker.md.
    let response = if matches!(route, Route::Charge | Route::Decision | Route::Proxy(_)) {
        response.with_header(STORAGE_HEADER, stores.counters.header_value())
    } else {
        response
    };
    (response, Some(merchant))
}

/// Per-request data the router hands every handler.
#[derive(Debug, Clone)]
struct Meta {
    /// Quoted by every answer (`X-Mitgate-Request-Id`) and by the log lines of this request.
    request_id: Rc<str>,
    /// The fetch event's context: a handled request runs under its `waitUntil`.
    exec: Rc<Context>,
}

/// The methods a path serves, each with its handler.
type Methods = &'static [(&'static str, Route)];

/// Runs the route of the request's method, or answers 405 with `Allow`.
async fn dispatch(mut req: Request, ctx: RouteContext<Meta>, methods: Methods) -> worker::Result<Response> {
    // The method as sent: `worker::Method` reads one it does not know (`QUERY`) as `GET`.
    let method = req.inner().method();
    match methods.iter().find(|(m, _)| *m == method) {
        Some((_, Route::Health)) => {
            let body = HttpResponse::json(200, &serde_json::json!({"service": "mitgate", "status": "ok"}));
            finish(&method, &req.path(), body, None, &ctx.data)
        }
        Some((_, route)) => handle(req, ctx, *route).await,
        None => {
            let allow: Vec<&str> = methods.iter().map(|(m, _)| *m).collect();
            drain(&mut req).await;
            finish(&method, &req.path(), paths::method_not_allowed(&method, &allow), None, &ctx.data)
        }
    }
}

/// The drop-in proxies: a known processor route with another method is a 405 with `Allow`; the rest is
/// routed (fail closed) by `proxy::handle`.
async fn proxy(mut req: Request, ctx: RouteContext<Meta>, dialect: Dialect) -> worker::Result<Response> {
    let method = req.inner().method();
    let raw = req.path();
    let path = raw.strip_prefix('/').and_then(|p| p.strip_prefix(dialect.as_str())).unwrap_or("");
    let allowed = paths::proxy_methods(dialect, path);
    if !allowed.is_empty() && !allowed.contains(&method.as_str()) {
        drain(&mut req).await;
        return finish(&method, &raw, paths::method_not_allowed(&method, &allowed), None, &ctx.data);
    }
    handle(req, ctx, Route::Proxy(dialect)).await
}

/// Reads and drops a body sent to a method or path mitgate does not serve (at most the default body limit),
/// so a client still writing it gets the answer rather than a reset connection.
async fn drain(req: &mut Request) {
    let _ = read_body(req, service::DEFAULT_MAX_BODY_BYTES).await;
}

/// A path mitgate does not serve: 404 in mitgate's error shape.
async fn unknown(mut req: Request, ctx: RouteContext<Meta>) -> worker::Result<Response> {
    drain(&mut req).await;
    finish(&req.inner().method(), &req.path(), paths::unknown_path(), None, &ctx.data)
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, exec: Context) -> worker::Result<Response> {
    use Route::*;
    let meta = Meta { request_id: format!("req_{}", random_uuid()).into(), exec: Rc::new(exec) };
    let request_id = meta.request_id.clone();
    // A browser's CORS preflight: answered here for the configured dashboard origins only (a preflight
    // carries no key). An OPTIONS without `Origin` is routed like any other method (405 with `Allow`).
    let origins = var(&env, "DASHBOARD_ORIGINS").unwrap_or_default();
    let origin = req.headers().get("origin").ok().flatten();
    if let (Method::Options, Some(o)) = (req.method(), origin.as_deref()) {
        return finish("OPTIONS", &req.path(), paths::preflight(&origins, o), None, &meta);
    }
    let router = Router::with_data(meta)
        .on_async("/", |req, ctx| dispatch(req, ctx, &[("GET", Health)]))
        .on_async("/v1/policy", |req, ctx| dispatch(req, ctx, &[("GET", PolicyGet), ("PUT", PolicyPut)]))
        .on_async("/v1/agreements/:id", |req, ctx| {
            dispatch(req, ctx, &[("GET", AgreementGet), ("PUT", AgreementPut), ("DELETE", AgreementDelete)])
        })
        .on_async("/v1/agreements/:id/limits", |req, ctx| dispatch(req, ctx, &[("GET", AgreementLimits)]))
        .on_async("/v1/agreements/:id/attempts/:attempt/outcome", |req, ctx| {
            dispatch(req, ctx, &[("POST", AttemptOutcome)])
        })
        .on_async("/v1/decisions", |req, ctx| dispatch(req, ctx, &[("POST", Decision)]))
        .on_async("/v1/decisions/evaluate", |req, ctx| dispatch(req, ctx, &[("POST", Evaluate)]))
        .on_async("/v1/charges", |req, ctx| dispatch(req, ctx, &[("POST", Charge)]))
        .on_async("/v1/webhooks/infinic", |req, ctx| dispatch(req, ctx, &[("POST", InfinicWebhook)]))
        .on_async("/v1/customers/:customer/agreements", |req, ctx| {
            dispatch(req, ctx, &[("GET", CustomerAgreements)])
        })
        .on_async("/infinic/*path", |req, ctx| proxy(req, ctx, Dialect::Infinic))
        .on_async("/coinflow/*path", |req, ctx| proxy(req, ctx, Dialect::Coinflow))
        .on_async("/spg/*path", |req, ctx| proxy(req, ctx, Dialect::Spg))
        .on_async("/axerve/*path", |req, ctx| proxy(req, ctx, Dialect::Axerve))
        .or_else_any_method_async("/*rest", unknown);
    let mut response = match router.run(req, env).await {
        Ok(r) => r,
        Err(e) => {
            console_log!("{request_id} internal error: {}", redact_card_numbers(&e.to_string()));
            let body = HttpResponse::error(
                500,
                "internal",
                format!("internal error (logged under request {request_id})"),
            );
            to_response(body.with_header(REQUEST_ID_HEADER, request_id.to_string()))?
        }
    };
    if let Some(o) = origin {
        for (name, value) in paths::cors_headers(&origins, &o) {
            response.headers_mut().set(name, &value)?;
        }
    }
    Ok(response)
}
