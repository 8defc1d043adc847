//! The drop-in dialect proxies `/{infinic,coinflow,spg,axerve}/<processor path>`: a merchant changes
//! only the processor's base URL. `mitgate-dialects` tells CIT from MIT, parses, renders refusals in the
//! processor's words and reads outcomes; this module does the I/O around it.
//!
//! - Fail closed ([`routes`]): only the dialect's known routes, spelt exactly, are forwarded;
//!   anything else is 404 in the dialect's words.
//! - CIT: forwarded; on success the agreement is captured from the request and the answer
//!   (000: from the intent plus its `PaymentCredential` webhook, `POST /v1/webhooks/infinic`).
//! - MIT: parsed, decided; refused in the dialect's own words, or reserved, forwarded, and its outcome
//!   recorded. `Idempotency-Key` makes a replay return the first answer.
//! - A read on the dialect's read-only allowlist: forwarded.
//! - Axerve's SOAP services at GestPay's paths (`…/WSs2s.asmx`, `…/WSCryptDecrypt.asmx`): the envelope's
//!   operation decides ([`axerve_soap`]).
//!
//! Only allowlisted request headers reach the processor ([`routes::forwards_header`]: the processor's
//! own `Authorization` passes; `Cookie`, `X-Mitgate-*` and proxy headers never do), redirects are never
//! followed, and a processor's `Set-Cookie` is neither passed back nor stored. Card numbers and CVVs in
//! CIT bodies reach the processor and nothing else.
//!
//! Files: [`routes`] (the fail-closed route table), [`forward`] (the request to the processor and
//! answers without one), [`mit`] (deciding an MIT), [`cit`] and [`capture`] (capturing agreements),
//! [`infinic`] (document 000's intents and webhooks), [`axerve_soap`] (GestPay's SOAP services).

mod axerve_soap;
mod capture;
mod cit;
mod forward;
pub(crate) mod infinic;
mod mit;
pub(crate) mod routes;
#[cfg(test)]
mod tests;

use mitgate_dialects::{DialectId, RequestKind};

use crate::app::{processor_base, App, Outbound, Processor};
use crate::http::{drops_response_header, HttpRequest, HttpResponse};
use crate::idempotency::{finality_of, idempotent, KeyTaker};
use crate::store::Kv;
use forward::{bad_input, outbound, unanswered};
use routes::RouteKind;

/// Handles one proxied request; `req.path` is the whole raw path, `/{dialect}/…`. A processor's
/// `Set-Cookie` never reaches the caller.
pub(crate) async fn handle<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    dialect: DialectId,
    req: &HttpRequest,
) -> HttpResponse {
    let mut r = route_and_answer(app, merchant, dialect, req).await;
    r.headers.retain(|(k, _)| !drops_response_header(k));
    r
}

async fn route_and_answer<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    dialect: DialectId,
    req: &HttpRequest,
) -> HttpResponse {
    let id = dialect;
    let path = req.path.strip_prefix('/').and_then(|p| p.strip_prefix(dialect.name())).unwrap_or("");
    // INVARIANT: nothing below this line is sent unless `route` is a known route of this dialect.
    let Some(route) = routes::route_of(dialect, &req.method, path) else {
        return routes::not_found(dialect, &req.method);
    };
    let path = path.to_string();
    let soap_mit = match route {
        RouteKind::Soap => match axerve_soap::route(app, merchant, &path, req).await {
            axerve_soap::Step::Answered(r) => return r,
            axerve_soap::Step::Mit(call) => Some(call),
        },
        _ => None,
    };
    if !req.query.is_empty() && !routes::forwards_query(route) {
        return bad_input(id.render_errors(&[mitgate_core::validate::FieldError::new(
            "query",
            "mitgate forwards no query string on a payment route: send every field in the body",
        )]));
    }
    let base = match processor_base(app.config, dialect) {
        Ok(b) => b.to_string(),
        Err(r) => return r,
    };
    let Ok(body) = std::str::from_utf8(&req.body) else {
        return bad_input(
            id.render_errors(&[mitgate_core::validate::FieldError::new("", "the body is not UTF-8 text")]),
        );
    };
    let sandbox = app.config.sandbox_headers;
    let kind = match route {
        RouteKind::ReadOnly => {
            // A read carries no body: none is forwarded.
            let out = Outbound { body: Vec::new(), ..outbound(&base, &path, req, dialect, sandbox) };
            return unanswered(app.processor.send(out, app.config.processor_timeout_ms).await, None);
        }
        RouteKind::Cit => RequestKind::Cit,
        RouteKind::Mit => RequestKind::Mit,
        RouteKind::Payment => id.classify(&req.method, &path, body),
        // Only a SOAP MIT gets here (`soap_mit`).
        RouteKind::Soap => RequestKind::Mit,
    };
    match kind {
        // A payment endpoint's body that is neither a CIT mitgate captures nor an MIT it decides.
        RequestKind::Other => bad_input(id.render_errors(&[mitgate_core::validate::FieldError::new(
            match dialect {
                DialectId::Spg => "transaction.paymentType",
                _ => "transDetails.type",
            },
            match dialect {
                DialectId::Spg => "mitgate forwards AUTH (a CIT) and MIT payments only",
                _ => "mitgate forwards 01F / 03F (a CIT) and 01N / 03N (an MIT) only",
            },
        )])),
        RequestKind::Cit => cit::cit(app, merchant, dialect, &base, &path, body, req).await,
        RequestKind::Mit => {
            // Parsed first: the dialect names the idempotency key (the header, else the body's own
            // transaction id). Bad input is answered here, before any key is claimed.
            let parsed = match &soap_mit {
                Some(call) => axerve_soap::parse(merchant, call, req).map(|(p, json)| (p, Some(json))),
                None => mit::parse_json_mit(merchant, dialect, body, req).map(|p| (p, None)),
            };
            let (parsed, soap_json) = match parsed {
                Ok(p) => p,
                Err(answer) => return answer,
            };
            let key = parsed.request.idempotency_key.clone().filter(|k| !k.is_empty());
            // A reference names the agreement's object, where the key is taken with the reservation.
            let reference = matches!(parsed.lookup, mitgate_dialects::AgreementLookup::Reference(_))
                .then_some(parsed.request.reference.as_str());
            let taker = KeyTaker::new(app, merchant, req, key.as_deref(), reference);
            let taker = taker.as_ref();
            idempotent(app, merchant, req, key.as_deref(), taker, async {
                let r = match soap_mit.as_deref().zip(soap_json.as_deref()) {
                    Some((call, json)) => {
                        axerve_soap::mit(app, merchant, call, parsed, json, &base, &path, req, taker).await
                    }
                    None => mit::mit(app, merchant, dialect, parsed, &base, &path, body, req, taker).await,
                };
                let finality = finality_of(&r);
                (r, finality)
            })
            .await
        }
    }
}
