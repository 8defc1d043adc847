//! What the runtime reads from its environment: `[vars]` and secrets, the deployment's [`Config`], the
//! clock, and `crypto.randomUUID`.

use wasm_bindgen::prelude::wasm_bindgen;
use worker::Env;

use mitgate_core::time::Timestamp;
use mitgate_dialects::DialectId;

use crate::app::{url_var, Config, DEFAULT_MAX_BODY_BYTES, DEFAULT_PROCESSOR_TIMEOUT_MS};
use crate::auth::MerchantKeys;
use crate::error::ErrorCode;
use crate::http::HttpResponse;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = randomUUID)]
    /// `crypto.randomUUID()`: request and attempt ids.
    pub(super) fn random_uuid() -> String;
}

/// A `[vars]` entry or a secret.
pub(super) fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string()).or_else(|| env.secret(name).ok().map(|v| v.to_string()))
}

/// The deployment's settings; 503 `not_configured` when a required one is missing.
pub(super) fn config(env: &Env) -> Result<Config, HttpResponse> {
    let keys_json = var(env, "MITGATE_MERCHANT_KEYS").ok_or_else(|| {
        HttpResponse::error(ErrorCode::NotConfigured, "the MITGATE_MERCHANT_KEYS secret is not set")
    })?;
    let keys =
        MerchantKeys::parse(&keys_json).map_err(|m| HttpResponse::error(ErrorCode::NotConfigured, m))?;
    let processor_urls =
        DialectId::ALL.iter().filter_map(|d| var(env, url_var(*d)).map(|u| (*d, u))).collect();
    Ok(Config {
        keys,
        processor_urls,
        max_body_bytes: var(env, "MAX_BODY_BYTES")
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_MAX_BODY_BYTES),
        processor_timeout_ms: var(env, "PROCESSOR_TIMEOUT_MS")
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_PROCESSOR_TIMEOUT_MS),
        sandbox_headers: var(env, "MITGATE_SANDBOX_HEADERS").as_deref() == Some("1"),
    })
}

/// The Worker's clock.
pub(super) fn now() -> Timestamp {
    let millis = i64::try_from(worker::Date::now().as_millis()).unwrap_or(0);
    Timestamp::from_datetime(chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default())
}
