//! A proxied CIT: forwarded as sent; when the processor accepts it, its agreement is captured from the
//! request and the answer (000: from the intent plus its `PaymentCredential` webhook).

use mitgate_dialects::{axerve, coinflow, spg, CitContext, DialectId};

use super::capture::answer_capture;
use super::forward::{header_pairs, outbound, send_through};
use super::infinic::infinic_intent;
use crate::app::{App, Processor};
use crate::http::{HttpRequest, HttpResponse};
use crate::store::indexes::PENDING_CIT;
use crate::store::Kv;

/// Forwards a CIT and captures its agreement when the processor accepts it.
pub(super) async fn cit<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    dialect: DialectId,
    base: &str,
    path: &str,
    body: &str,
    req: &HttpRequest,
) -> HttpResponse {
    let out = outbound(base, path, req, dialect, app.config.sandbox_headers);
    let resp = match send_through(app, out).await {
        Ok(resp) => resp,
        Err(answer) => return answer,
    };
    let answer = String::from_utf8_lossy(&resp.body).into_owned();
    let headers = header_pairs(req);
    let ctx = CitContext { merchant_id: merchant, headers: &headers, at: app.now };
    let captured = match dialect {
        DialectId::Infinic => {
            // The agreement completes with the PaymentCredential webhook; keep the intent until then.
            return match infinic_intent(body) {
                Some((reference, kept)) if !mitgate_core::pan::looks_like_card_number(&kept) => {
                    match app.stores.link(&PENDING_CIT, merchant, &reference, &kept).await {
                        Ok(()) => resp,
                        Err(e) => {
                            resp.with_header("x-mitgate-warning", format!("intent not recorded: {}", e.0))
                        }
                    }
                }
                _ => resp.with_header("x-mitgate-warning", "intent not recorded: no usable reference_id"),
            };
        }
        DialectId::Coinflow => match coinflow::cit_endpoint(path) {
            None => return resp,
            Some((endpoint, _)) => {
                let token_cvv_verified = req.header("x-mitgate-token-cvv-verified") != Some("false");
                let zero_auth_currency = mitgate_core::Currency::from_code("USD");
                match zero_auth_currency {
                    Err(_) => return resp,
                    Ok(zero_auth_currency) => coinflow::capture_cit(
                        &coinflow::CitInput {
                            endpoint,
                            request: body,
                            response: &answer,
                            zero_auth_currency,
                            token_cvv_verified,
                        },
                        &ctx,
                    ),
                }
            }
        },
        DialectId::Spg => spg::capture_cit(&spg::CitInput { request: body, response: &answer }, &ctx),
        DialectId::Axerve => {
            axerve::capture_cit(&axerve::CitInput { request: body, response: &answer }, &ctx)
        }
    };
    answer_capture(app, merchant, dialect, resp, captured, body).await
}
