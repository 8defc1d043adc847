//! The route table: each path with the methods it serves and their handlers, named directly
//! (`handlers::policy::get`). A method a path does not serve is a 405 with `Allow`, an unknown path a
//! 404, both in mitgate's error shape; the drop-in proxies are one handler per dialect prefix.
//!
//! Paths are registered with `on_async` (any method) and the method is matched here, on the method as
//! sent: `worker::Router`'s own per-method routes would answer another method with a bare-text 405 and
//! read a method it does not know (`QUERY`) as `GET`.

use std::future::Future;

use mitgate_dialects::DialectId;
use worker::{Request, Response, RouteContext, Router};

use super::serve::{finish, handler, read_body, serve, Handler, Meta, Spec, EVALUATION, METERED, PLAIN};
use crate::app::DEFAULT_MAX_BODY_BYTES;
use crate::handlers::{agreements, charges, customers, decisions, outcomes, policy};
use crate::http::HttpResponse;
use crate::paths;
use crate::proxy;

/// Every route mitgate serves.
pub(super) fn routes(meta: Meta) -> Router<'static, Meta> {
    Router::with_data(meta)
        .on_async("/", health)
        .on_async("/v1/policy", |req, ctx| {
            on(req, ctx, [("GET", PLAIN, handler(policy::get)), ("PUT", PLAIN, handler(policy::put))])
        })
        .on_async("/v1/agreements/:id", |req, ctx| {
            on(
                req,
                ctx,
                [
                    ("GET", PLAIN, handler(agreements::get)),
                    ("PUT", PLAIN, handler(agreements::put)),
                    ("DELETE", PLAIN, handler(agreements::delete)),
                ],
            )
        })
        .on_async("/v1/agreements/:id/limits", |req, ctx| {
            on(req, ctx, [("GET", PLAIN, handler(agreements::limits))])
        })
        .on_async("/v1/agreements/:id/attempts/:attempt/outcome", |req, ctx| {
            on(req, ctx, [("POST", PLAIN, handler(outcomes::post))])
        })
        .on_async("/v1/decisions", |req, ctx| on(req, ctx, [("POST", METERED, handler(decisions::post))]))
        .on_async("/v1/decisions/evaluate", |req, ctx| {
            on(req, ctx, [("POST", EVALUATION, handler(decisions::evaluate))])
        })
        .on_async("/v1/charges", |req, ctx| on(req, ctx, [("POST", METERED, handler(charges::post))]))
        .on_async("/v1/webhooks/infinic", |req, ctx| {
            on(req, ctx, [("POST", PLAIN, handler(proxy::infinic::webhook))])
        })
        .on_async("/v1/customers/:customer/agreements", |req, ctx| {
            on(req, ctx, [("GET", PLAIN, handler(customers::agreements))])
        })
        .on_async("/infinic/*path", |req, ctx| dialect_proxy(req, ctx, DialectId::Infinic))
        .on_async("/coinflow/*path", |req, ctx| dialect_proxy(req, ctx, DialectId::Coinflow))
        .on_async("/spg/*path", |req, ctx| dialect_proxy(req, ctx, DialectId::Spg))
        .on_async("/axerve/*path", |req, ctx| dialect_proxy(req, ctx, DialectId::Axerve))
        .or_else_any_method_async("/*rest", unknown)
}

/// The methods a path serves, each with how its request is read and its handler.
type Methods<const N: usize> = [(&'static str, Spec, Handler); N];

/// Picks the handler of the request's method, synchronously: a route's closure only names its table,
/// and every route shares the one [`dispatch`].
fn on<const N: usize>(
    req: Request,
    ctx: RouteContext<Meta>,
    methods: Methods<N>,
) -> impl Future<Output = worker::Result<Response>> {
    // The method as sent: `worker::Method` reads one it does not know (`QUERY`) as `GET`.
    let method = req.inner().method();
    let allow: Vec<&'static str> = methods.iter().map(|(m, _, _)| *m).collect();
    let chosen = methods.into_iter().find(|(m, _, _)| *m == method).map(|(_, spec, h)| (spec, h));
    dispatch(req, ctx, chosen.ok_or(allow))
}

/// Runs the chosen handler, or answers 405 with `Allow`.
async fn dispatch(
    req: Request,
    ctx: RouteContext<Meta>,
    chosen: Result<(Spec, Handler), Vec<&'static str>>,
) -> worker::Result<Response> {
    match chosen {
        Ok((spec, handler)) => serve(req, ctx, spec, handler).await,
        Err(allow) => not_allowed(req, ctx, &allow).await,
    }
}

/// `/`: `GET` is answered without a key.
async fn health(req: Request, ctx: RouteContext<Meta>) -> worker::Result<Response> {
    let method = req.inner().method();
    if method != "GET" {
        return not_allowed(req, ctx, &["GET"]).await;
    }
    let body = HttpResponse::json_in_name_order(200, &crate::handlers::Health::OK);
    finish(&method, &req.path(), body, None, &ctx.data)
}

/// A method the path does not serve: 405 with `Allow` (the body, if any, drained first).
async fn not_allowed(mut req: Request, ctx: RouteContext<Meta>, allow: &[&str]) -> worker::Result<Response> {
    let method = req.inner().method();
    drain(&mut req).await;
    finish(&method, &req.path(), paths::method_not_allowed(&method, allow), None, &ctx.data)
}

/// The drop-in proxies: a known processor route with another method is a 405 with `Allow`; the rest is
/// routed (fail closed) by [`proxy::handle`].
async fn dialect_proxy(
    mut req: Request,
    ctx: RouteContext<Meta>,
    dialect: DialectId,
) -> worker::Result<Response> {
    let method = req.inner().method();
    let raw = req.path();
    let path = raw.strip_prefix('/').and_then(|p| p.strip_prefix(dialect.name())).unwrap_or("");
    let allowed = paths::proxy_methods(dialect, path);
    if !allowed.is_empty() && !allowed.contains(&method.as_str()) {
        drain(&mut req).await;
        return finish(&method, &raw, paths::method_not_allowed(&method, &allowed), None, &ctx.data);
    }
    let handler: Handler = Box::new(move |app, call| {
        Box::pin(async move { Ok(proxy::handle(app, call.merchant, dialect, call.request).await) })
    });
    serve(req, ctx, METERED, handler).await
}

/// Reads and drops a body sent to a method or path mitgate does not serve (at most the default body limit),
/// so a client still writing it gets the answer rather than a reset connection.
async fn drain(req: &mut Request) {
    let _ = read_body(req, DEFAULT_MAX_BODY_BYTES).await;
}

/// A path mitgate does not serve: 404 in mitgate's error shape.
async fn unknown(mut req: Request, ctx: RouteContext<Meta>) -> worker::Result<Response> {
    drain(&mut req).await;
    finish(&req.inner().method(), &req.path(), paths::unknown_path(), None, &ctx.data)
}
