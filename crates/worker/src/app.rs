//! What every handler runs with: the deployment's [`Config`], the [`Processor`] that forwards requests,
//! the stores, the clock and an id source ([`App`]), and one authenticated request ([`Call`]). No
//! handler logic lives here; `runtime` builds an `App` per request, native tests build one over memory.

use mitgate_core::time::Timestamp;
use mitgate_dialects::DialectId;

use crate::auth::{MerchantKeys, KEY_HEADER};
use crate::error::ErrorCode;
use crate::http::{HttpRequest, HttpResponse};
use crate::store::{StoreError, Stores};

/// Deployment settings read from the environment.
#[derive(Debug, Default)]
pub(crate) struct Config {
    pub keys: MerchantKeys,
    pub processor_urls: Vec<(DialectId, String)>,
    /// Largest accepted request body (413 above).
    pub max_body_bytes: usize,
    /// How long a processor may take before the Worker answers 504.
    pub processor_timeout_ms: u64,
    /// Forward the sandbox processor's `x-sandbox-*` test headers (`MITGATE_SANDBOX_HEADERS = "1"`).
    pub sandbox_headers: bool,
}

/// The default body limit: 64 KiB (every document's request is well under 4 KiB).
pub(crate) const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
/// The default processor timeout.
pub(crate) const DEFAULT_PROCESSOR_TIMEOUT_MS: u64 = 10_000;
/// The self-contained evaluation accepts what the engine accepts (1 MiB) plus a margin, so the
/// engine's own size error is what a caller sees.
pub(crate) const EVALUATE_MAX_BODY_BYTES: usize = (1 << 20) + 1024;

/// The `[vars]` entry holding a dialect's processor base URL (`PROCESSOR_URL_SPG`).
pub(crate) fn url_var(dialect: DialectId) -> &'static str {
    match dialect {
        DialectId::Infinic => "PROCESSOR_URL_INFINIC",
        DialectId::Coinflow => "PROCESSOR_URL_COINFLOW",
        DialectId::Spg => "PROCESSOR_URL_SPG",
        DialectId::Axerve => "PROCESSOR_URL_AXERVE",
    }
}

impl Config {
    /// The base URL configured for a dialect's processor.
    pub fn processor_url(&self, dialect: DialectId) -> Option<&str> {
        self.processor_urls.iter().find(|(d, _)| *d == dialect).map(|(_, u)| u.as_str())
    }
}

/// A request to a processor.
#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What became of a forwarded request.
#[derive(Debug, Clone)]
pub(crate) enum Forwarded {
    /// The processor answered (any status).
    Answered(HttpResponse),
    /// The connection failed before the request was sent: nothing can have been charged.
    NotSent(String),
    /// No answer within the timeout: the processor may have charged.
    TimedOut,
    /// The connection failed after sending, or in a way that cannot tell: may have charged.
    Failed(String),
}

/// Sends requests to processors.
#[allow(async_fn_in_trait, reason = "single-threaded Worker: futures need not be Send")]
pub(crate) trait Processor {
    async fn send(&self, request: Outbound, timeout_ms: u64) -> Forwarded;
}

/// Everything a handler needs.
pub(crate) struct App<'a, K, P> {
    pub stores: &'a Stores<K>,
    pub processor: &'a P,
    pub config: &'a Config,
    pub now: Timestamp,
    /// A fresh unique id (attempt ids).
    pub new_id: &'a dyn Fn() -> String,
}

/// One authenticated request as a handler sees it: who sent it, what it is, and its path parameters
/// (decoded and checked before any store is touched; empty where the route has none).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call<'r> {
    /// The merchant the `X-Mitgate-Key` belongs to.
    pub merchant: &'r str,
    pub request: &'r HttpRequest,
    /// `{id}`: an agreement id.
    pub id: &'r str,
    /// `{attemptId}`.
    pub attempt: &'r str,
    /// `{customerId}`.
    pub customer: &'r str,
}

impl<'r> Call<'r> {
    /// A call without path parameters.
    #[cfg(test)]
    pub fn new(merchant: &'r str, request: &'r HttpRequest) -> Self {
        Call { merchant, request, id: "", attempt: "", customer: "" }
    }
}

/// Handler results: `Err` is an early answer (an error response).
pub(crate) type Answer = Result<HttpResponse, HttpResponse>;

/// The answer, whichever way the handler returned it.
pub(crate) fn flatten(a: Answer) -> HttpResponse {
    a.unwrap_or_else(|e| e)
}

/// 503 `store_unavailable`: a store failed before anything was changed or forwarded.
pub(crate) fn store_failed(e: &StoreError) -> HttpResponse {
    // The detail names a key or a KV error, never a body: safe to return, useful to operators.
    HttpResponse::error(
        ErrorCode::StoreUnavailable,
        format!("KV is unavailable; nothing was changed or forwarded ({})", e.0),
    )
    .with_header("retry-after", "1")
}

/// The merchant behind `X-Mitgate-Key`, or 401.
pub(crate) fn authenticate(config: &Config, req: &HttpRequest) -> Result<String, HttpResponse> {
    let Some(key) = req.header(KEY_HEADER) else {
        return Err(HttpResponse::error(
            ErrorCode::MissingKey,
            "send your mitgate key in the X-Mitgate-Key header",
        )
        .with_header("www-authenticate", "X-Mitgate-Key"));
    };
    config.keys.authenticate(key).map(str::to_string).ok_or_else(|| {
        HttpResponse::error(ErrorCode::InvalidKey, "the X-Mitgate-Key is not a configured merchant key")
            .with_header("www-authenticate", "X-Mitgate-Key")
    })
}

/// The processor base URL for a dialect, or 502.
pub(crate) fn processor_base(config: &Config, dialect: DialectId) -> Result<&str, HttpResponse> {
    config.processor_url(dialect).filter(|u| !u.is_empty()).ok_or_else(|| {
        HttpResponse::error(
            ErrorCode::ProcessorNotConfigured,
            format!("no {} URL configured for the {} processor", url_var(dialect), dialect.name()),
        )
    })
}
