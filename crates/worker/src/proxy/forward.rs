//! The request the proxy sends to a processor, and what it answers when the processor gave none.

use mitgate_dialects::DialectId;

use crate::app::{App, Forwarded, Outbound, Processor};
use crate::error::ErrorCode;
use crate::http::{HttpRequest, HttpResponse};
use crate::store::Kv;

use super::routes;

/// The request to the processor: the decided path, the query only on read-only routes, the allowlisted
/// headers.
pub(super) fn outbound(
    base: &str,
    path: &str,
    req: &HttpRequest,
    dialect: DialectId,
    sandbox_headers: bool,
) -> Outbound {
    let mut url = format!("{}{}", base.trim_end_matches('/'), path);
    if !req.query.is_empty()
        && routes::route_of(dialect, &req.method, path).is_some_and(routes::forwards_query)
    {
        url.push('?');
        url.push_str(&req.query);
    }
    Outbound {
        method: req.method.clone(),
        url,
        headers: req
            .headers
            .iter()
            .filter(|(k, _)| routes::forwards_header(dialect, &k.to_ascii_lowercase(), sandbox_headers))
            .cloned()
            .collect(),
        body: req.body.clone(),
    }
}

/// A dialect's bad-input answer (`render_errors`): nothing was decided or sent, so its key is freed.
pub(super) fn bad_input(r: mitgate_dialects::DialectResponse) -> HttpResponse {
    HttpResponse::from(r).of_kind(crate::error::ResponseKind::BadInput)
}

/// When the processor did not answer, there are no words of its own: mitgate's error shape, 502/504.
pub(super) fn unanswered(forwarded: Forwarded, attempt: Option<&str>) -> HttpResponse {
    let pending = attempt.map(|a| {
        format!(" Attempt {a} stays pending and keeps its velocity slot: it may have been charged.")
    });
    match forwarded {
        Forwarded::Answered(r) => r,
        Forwarded::NotSent(m) => HttpResponse::error(
            ErrorCode::ProcessorUnreachable,
            format!(
                "{m}. Nothing was sent{}.",
                if attempt.is_some() { "; the velocity slot was released" } else { "" }
            ),
        ),
        Forwarded::TimedOut => HttpResponse::error(
            ErrorCode::ProcessorTimeout,
            format!("the processor did not answer in time.{}", pending.unwrap_or_default()),
        ),
        Forwarded::Failed(m) => {
            HttpResponse::error(ErrorCode::ProcessorFailed, format!("{m}.{}", pending.unwrap_or_default()))
        }
    }
}

/// The request's headers as the dialect parsers read them.
pub(super) fn header_pairs(req: &HttpRequest) -> Vec<(&str, &str)> {
    req.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Forwards a request that moves no money through mitgate's decision (a CIT, a pass-through): `Ok` with
/// the processor's 2xx answer, to be read further; `Err` with the answer as it is (a non-2xx answer, or
/// mitgate's own when the processor gave none).
pub(super) async fn send_through<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    out: Outbound,
) -> Result<HttpResponse, HttpResponse> {
    let forwarded = app.processor.send(out, app.config.processor_timeout_ms).await;
    let Forwarded::Answered(resp) = forwarded else { return Err(unanswered(forwarded, None)) };
    if !(200..300).contains(&resp.status) {
        return Err(resp);
    }
    Ok(resp)
}
