//! `GET` and `PUT /v1/policy`: the merchant's MIT policy.

use mitgate_core::policy::Policy;

use super::{parse_body, strip_root};
use crate::app::{store_failed, Answer, App, Call};
use crate::error::ErrorCode;
use crate::http::HttpResponse;
use crate::store::Kv;

/// `GET /v1/policy`.
pub(crate) async fn get<K: Kv, P>(app: &App<'_, K, P>, call: &Call<'_>) -> Answer {
    let merchant = call.merchant;
    match app.stores.policy(merchant).await.map_err(|e| store_failed(&e))? {
        Some(p) => Ok(HttpResponse::json(200, &p)),
        None => Err(HttpResponse::error(
            ErrorCode::NotFound,
            "no policy configured: MIT charges are refused (mit_not_enabled)",
        )),
    }
}

/// `PUT /v1/policy`: validated, then stored whole.
pub(crate) async fn put<K: Kv, P>(app: &App<'_, K, P>, call: &Call<'_>) -> Answer {
    let (merchant, req) = (call.merchant, call.request);
    let policy: Policy = parse_body(req)?;
    let mut errors = Vec::new();
    policy.validate("", &mut errors);
    if !errors.is_empty() {
        return Err(HttpResponse::invalid(&strip_root(errors)));
    }
    app.stores.put_policy(merchant, &policy).await.map_err(|e| store_failed(&e))?;
    Ok(HttpResponse::json(200, &policy))
}

// ---------------------------------------------------------------------------------------------
// Agreements
