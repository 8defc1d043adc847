//! The Worker runtime shell (wasm32 only): everything that touches `worker::*`. `#[event(fetch)]` is
//! here; [`env`] reads the configuration, [`router`] maps paths to handlers, [`serve`] turns a `worker::Request` into a handler call and
//! its answer back, [`kv`] and [`object`] put Workers KV and Durable Objects behind the store's `Kv`
//! trait, [`fetch`] forwards to processors, [`hooks`] holds the end-to-end tests' fault injection
//! (cargo feature `test-hooks`, never in a release build). No handler logic lives here.

mod env;
mod fetch;
mod hooks;
mod kv;
mod object;
mod router;
mod serve;

use std::rc::Rc;

use worker::{console_log, event, Context, Env, Method, Request, Response};

use crate::error::ErrorCode;
use crate::http::HttpResponse;
use crate::paths;
use crate::redact::redact_card_numbers;
use env::{random_uuid, var};
use serve::{finish, to_response, Meta, REQUEST_ID_HEADER};

/// Every request: a CORS preflight is answered here, everything else by the [`router`]; an error the
/// router returns is logged under the request id and answered 500 without its details.
#[event(fetch)]
async fn fetch(req: Request, env: Env, exec: Context) -> worker::Result<Response> {
    let meta = Meta {
        request_id: format!("req_{}", random_uuid()).into(),
        exec: Rc::new(exec),
        log_every_request: var(&env, "MITGATE_REQUEST_LOG").as_deref() != Some("errors"),
    };
    let request_id = meta.request_id.clone();
    // A browser's CORS preflight: answered here for the configured dashboard origins only (a preflight
    // carries no key). An OPTIONS without `Origin` is routed like any other method (405 with `Allow`).
    let origins = var(&env, "DASHBOARD_ORIGINS").unwrap_or_default();
    let origin = req.headers().get("origin").ok().flatten();
    if let (Method::Options, Some(o)) = (req.method(), origin.as_deref()) {
        return finish("OPTIONS", &req.path(), paths::preflight(&origins, o), None, &meta);
    }
    let mut response = match router::routes(meta).run(req, env).await {
        Ok(r) => r,
        Err(e) => {
            console_log!("{request_id} internal error: {}", redact_card_numbers(&e.to_string()));
            let body = HttpResponse::error(
                ErrorCode::Internal,
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
