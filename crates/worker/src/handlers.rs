//! The canonical API (`/v1/...`), one module per resource. Every route's handler has the same shape,
//! `async fn(&App, &Call) -> Answer`, so the router names it directly. This file holds only the helpers
//! they share; it imports none of its children.

pub(crate) mod agreements;
pub(crate) mod charges;
pub(crate) mod customers;
pub(crate) mod decisions;
pub(crate) mod load;
pub(crate) mod outcomes;
pub(crate) mod policy;
#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;

use mitgate_core::json::FromJson;
use mitgate_core::time::Timestamp;
use mitgate_core::validate::FieldError;

use crate::error::ErrorCode;
use crate::http::{HttpRequest, HttpResponse};

/// 403: the resource belongs to another merchant.
pub(crate) fn forbidden(what: &str) -> HttpResponse {
    HttpResponse::error(ErrorCode::Forbidden, format!("this {what} belongs to another merchant"))
}

/// 404 naming what was not found (the id clipped to 64 characters).
pub(crate) fn not_found(what: &str, id: &str) -> HttpResponse {
    HttpResponse::error(
        ErrorCode::NotFound,
        format!("no {what} `{}`", id.chars().take(64).collect::<String>()),
    )
}

/// 400 naming one field.
pub(crate) fn invalid_one(path: &str, message: impl Into<String>) -> HttpResponse {
    HttpResponse::invalid(&[FieldError::new(path, message)])
}

/// Field paths without the leading `.` of a body read at the root.
pub(crate) fn strip_root(mut errors: Vec<FieldError>) -> Vec<FieldError> {
    for e in &mut errors {
        if let Some(p) = e.path.strip_prefix('.') {
            e.path = p.to_string();
        }
    }
    errors
}

/// The body read as `T`, or a 400 naming the field (a key given twice is refused by its path).
pub(crate) fn parse_body<T: FromJson>(req: &HttpRequest) -> Result<T, HttpResponse> {
    crate::tree::read_body(req.text()?).map_err(|e| HttpResponse::invalid(&[e]))
}

/// Times a caller reports (a reference's time, a notice sent, an agreement established) may run ahead of
/// the Worker's clock by a day of clock skew, no more.
pub(crate) fn now_plus_a_day(now: Timestamp) -> Timestamp {
    now.plus_seconds(86_400)
}

/// The answer of `GET /` (openapi.yaml `Health`), the one route answered without a key.
#[derive(Debug, serde::Serialize)]
pub(crate) struct Health {
    /// Always `mitgate`.
    pub service: &'static str,
    /// Always `ok`.
    pub status: &'static str,
}

impl Health {
    /// The only health answer there is.
    pub(crate) const OK: Health = Health { service: "mitgate", status: "ok" };
}
