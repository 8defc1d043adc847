//! The Worker runtime shell: `#[event(fetch)]`, the router with named handlers, Workers KV behind the
//! [`Kv`] trait, and processor forwarding with a timeout. No handler logic lives here.

use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::pin_mut;
use wasm_bindgen::prelude::wasm_bindgen;
use worker::{
    console_log, event, AbortController, Context, Delay, Env, Fetch, Headers, Method, Request, RequestInit,
    Response, RouteContext, Router,
};

use mitgate_core::time::Timestamp;

use crate::auth::MerchantKeys;
use crate::dialect::Dialect;
use crate::http::{HttpRequest, HttpResponse};
use crate::proxy;
use crate::redact::redact_card_numbers;
use crate::service::{self, App, Config, Forwarded, Outbound, Processor};
use crate::store::{Kv, StoreError, Stores, STORAGE_HEADER};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = randomUUID)]
    fn random_uuid() -> String;
}

/// One KV namespace.
struct WorkerKv(worker::kv::KvStore);

impl Kv for WorkerKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.0.get(key).text().await.map_err(|e| StoreError(e.to_string()))
    }

    async fn put(&self, key: &str, value: &str, ttl_seconds: Option<u64>) -> Result<(), StoreError> {
        let mut put = self.0.put(key, value).map_err(|e| StoreError(e.to_string()))?;
        if let Some(ttl) = ttl_seconds {
            put = put.expiration_ttl(ttl.max(60));
        }
        put.execute().await.map_err(|e| StoreError(e.to_string()))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).await.map_err(|e| StoreError(e.to_string()))
    }
}

/// Processors reached with `fetch`.
struct FetchProcessor;

const HOP_BY_HOP: &[&str] =
    &["content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"];

impl Processor for FetchProcessor {
    async fn send(&self, out: Outbound, timeout_ms: u64) -> Forwarded {
        let headers = Headers::new();
        for (k, v) in &out.headers {
            if headers.append(k, v).is_err() {
                return Forwarded::NotSent(format!("invalid header `{k}`"));
            }
        }
        let mut init = RequestInit::new();
        init.with_method(Method::from(out.method.clone())).with_headers(headers);
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
    })
}

fn stores(env: &Env) -> Result<Stores<WorkerKv>, HttpResponse> {
    let kv = |name: &str| {
        env.kv(name).map(WorkerKv).map_err(|_| {
            HttpResponse::error(503, "not_configured", format!("the KV namespace binding {name} is missing"))
        })
    };
    Ok(Stores::new(kv("AGREEMENTS")?, kv("POLICIES")?, kv("VELOCITY")?, kv("IDEMPOTENCY")?))
}

fn now() -> Timestamp {
    let millis = i64::try_from(worker::Date::now().as_millis()).unwrap_or(0);
    Timestamp::from_datetime(chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default())
}

/// Which handler a route runs.
#[derive(Debug, Clone, Copy)]
enum Route {
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
}

async fn read_request(req: &mut Request, limit: usize) -> Result<HttpRequest, HttpResponse> {
    let too_large = || {
        HttpResponse::error(413, "body_too_large", format!("the request body is larger than {limit} bytes"))
    };
    let declared = req.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let url =
        req.url().map_err(|_| HttpResponse::error(400, "invalid_url", "the request URL does not parse"))?;
    let headers = req.headers().entries().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
    let body = if matches!(req.method(), Method::Get | Method::Head) {
        Vec::new()
    } else {
        req.bytes()
            .await
            .map_err(|_| HttpResponse::error(400, "invalid_body", "the request body could not be read"))?
    };
    if body.len() > limit {
        return Err(too_large());
    }
    Ok(HttpRequest {
        method: req.method().to_string(),
        path: url.path().to_string(),
        query: url.query().unwrap_or("").to_string(),
        headers,
        body,
    })
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

async fn handle(mut req: Request, ctx: RouteContext<()>, route: Route) -> worker::Result<Response> {
    let method = req.method().to_string();
    let path = req.path();
    let (response, merchant) = respond(&mut req, &ctx, route).await;
    // One line per request: never a body, a key or a header value; a card number typed into a path is masked.
    console_log!(
        "{method} {} -> {} merchant={}",
        redact_card_numbers(&path),
        response.status,
        merchant.as_deref().unwrap_or("-")
    );
    to_response(response)
}

async fn respond(req: &mut Request, ctx: &RouteContext<()>, route: Route) -> (HttpResponse, Option<String>) {
    let config = match config(&ctx.env) {
        Ok(c) => c,
        Err(r) => return (r, None),
    };
    let limit = if matches!(route, Route::Evaluate) {
        service::EVALUATE_MAX_BODY_BYTES
    } else {
        config.max_body_bytes
    };
    let request = match read_request(req, limit).await {
        Ok(r) => r,
        Err(r) => return (r, None),
    };
    let merchant = match service::authenticate(&config, &request) {
        Ok(m) => m,
        Err(r) => return (r, None),
    };
    let stores = match stores(&ctx.env) {
        Ok(s) => s,
        Err(r) => return (r, Some(merchant)),
    };
    let processor = FetchProcessor;
    let new_id = || format!("att_{}", random_uuid());
    let app = App { stores: &stores, processor: &processor, config: &config, now: now(), new_id: &new_id };
    let id = ctx.param("id").cloned().unwrap_or_default();
    let m = merchant.as_str();
    let r = &request;
    let response = match route {
        Route::PolicyGet => service::flatten(service::get_policy(&app, m).await),
        Route::PolicyPut => service::flatten(service::put_policy(&app, m, r).await),
        Route::AgreementGet => service::flatten(service::get_agreement(&app, m, &id).await),
        Route::AgreementPut => service::flatten(service::put_agreement(&app, m, &id, r).await),
        Route::AgreementDelete => service::flatten(service::delete_agreement(&app, m, &id, r).await),
        Route::AgreementLimits => service::flatten(service::agreement_limits(&app, m, &id).await),
        Route::AttemptOutcome => {
            let attempt = ctx.param("attempt").cloned().unwrap_or_default();
            service::flatten(service::post_outcome(&app, m, &id, &attempt, r).await)
        }
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
        Route::Proxy(d) => {
            let rest = ctx.param("path").cloned().unwrap_or_default();
            proxy::handle(&app, m, d, &rest, r).await
        }
        Route::InfinicWebhook => service::flatten(proxy::infinic_webhook(&app, m, r).await),
    };
    // Storage cost of this request (charges, decisions, proxied requests): docs/worker.md.
    let response = if matches!(route, Route::Charge | Route::Decision | Route::Proxy(_)) {
        response.with_header(STORAGE_HEADER, stores.counters.header_value())
    } else {
        response
    };
    (response, Some(merchant))
}

// Named handlers, one per route.
async fn policy_get(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    handle(req, ctx, Route::PolicyGet).await
}
async fn policy_put(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    handle(req, ctx, Route::PolicyPut).await
}
async fn agreement_get(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    handle(req, ctx, Route::AgreementGet).await
}
async fn agreement_put(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    handle(req, ctx, Route::AgreementPut).await
}
async fn agreement_delete(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    handle(req, ctx, Route::AgreementDelete).await
}
async fn agreement_limits(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    handle(req, ctx, Route::AgreementLimits).await
}
async fn attempt_outcome(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    handle(req, ctx, Route::AttemptOutcome).await
}
async fn decision(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    handle(req, ctx, Route::Decision).await
}
async fn evaluate(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    handle(req, ctx, Route::Evaluate).await
}
async fn charge(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    handle(req, ctx, Route::Charge).await
}
async fn proxy_infinic(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    handle(req, ctx, Route::Proxy(Dialect::Infinic)).await
}
async fn proxy_coinflow(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    handle(req, ctx, Route::Proxy(Dialect::Coinflow)).await
}
async fn proxy_spg(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    handle(req, ctx, Route::Proxy(Dialect::Spg)).await
}
async fn proxy_axerve(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    handle(req, ctx, Route::Proxy(Dialect::Axerve)).await
}
async fn infinic_webhook(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    handle(req, ctx, Route::InfinicWebhook).await
}

async fn health(_req: Request, _ctx: RouteContext<()>) -> worker::Result<Response> {
    Response::from_json(&serde_json::json!({"service": "mitgate", "status": "ok"}))
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let router = Router::new()
        .get_async("/", health)
        .get_async("/v1/policy", policy_get)
        .put_async("/v1/policy", policy_put)
        .get_async("/v1/agreements/:id", agreement_get)
        .put_async("/v1/agreements/:id", agreement_put)
        .delete_async("/v1/agreements/:id", agreement_delete)
        .get_async("/v1/agreements/:id/limits", agreement_limits)
        .post_async("/v1/agreements/:id/attempts/:attempt/outcome", attempt_outcome)
        .post_async("/v1/decisions", decision)
        .post_async("/v1/decisions/evaluate", evaluate)
        .post_async("/v1/charges", charge)
        .post_async("/v1/webhooks/infinic", infinic_webhook)
        .on_async("/infinic/*path", proxy_infinic)
        .on_async("/coinflow/*path", proxy_coinflow)
        .on_async("/spg/*path", proxy_spg)
        .on_async("/axerve/*path", proxy_axerve);
    match router.run(req, env).await {
        Ok(r) => Ok(r),
        Err(e) => {
            console_log!("internal error: {}", redact_card_numbers(&e.to_string()));
            to_response(HttpResponse::error(500, "internal", "internal error"))
        }
    }
}
