//! Host-independent HTTP values: the Worker shell converts `worker::Request`/`Response` to and from
//! these, so every handler is a plain async function that native unit tests can drive.

use serde::Serialize;

use mitgate_core::json::{FromJson, Path, Value};
use mitgate_core::validate::FieldError;

use crate::error::{ErrorBody, ErrorCode, ErrorDetail, ResponseKind};

/// An incoming request. Header names are lower-case.
#[derive(Debug, Clone, Default)]
pub(crate) struct HttpRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The request URL's origin (`https://mitgate.example`); empty when unknown.
    pub origin: String,
}

impl HttpRequest {
    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8, or a 400 naming the body.
    pub fn text(&self) -> Result<&str, HttpResponse> {
        std::str::from_utf8(&self.body)
            .map_err(|_| HttpResponse::error(ErrorCode::InvalidBody, "the request body is not UTF-8 text"))
    }

    /// A query parameter (no percent-decoding beyond `+`; values here are plain ids).
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == name).then(|| v.replace('+', " "))
        })
    }
}

/// An outgoing response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    #[serde(with = "body_text")]
    pub body: Vec<u8>,
    /// What the response is, set where it is built (never stored: a replay is an answer).
    #[serde(skip)]
    pub kind: ResponseKind,
}

/// Responses are stored (idempotency) as UTF-8 text: every body mitgate stores is JSON or XML.
mod body_text {
    use serde::Serializer;
    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(b))
    }
}

/// A stored response (an idempotency record's): `{"status", "headers": [[name, value], ...], "body"}`;
/// other members are ignored.
impl FromJson for HttpResponse {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let o = value.object(path, &["status", "headers", "body"], false)?;
        let Some(h) = o.get("headers") else { return Err(o.missing("headers")) };
        let at = path.key("headers");
        let items = h.as_array(&at, "a sequence")?;
        let mut headers = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            headers.push(crate::tree::string_pair(item, &at.index(i))?);
        }
        Ok(HttpResponse::new(o.req("status")?, headers, o.req::<String>("body")?.into_bytes()))
    }
}

const JSON: &str = "application/json; charset=utf-8";

/// A dialect's answer (mitgate-dialects: a refusal, bad input, a 404 in the processor's words).
impl From<mitgate_dialects::DialectResponse> for HttpResponse {
    fn from(r: mitgate_dialects::DialectResponse) -> Self {
        HttpResponse::new(r.status, r.headers, r.body.into_bytes())
    }
}

impl HttpResponse {
    /// An answer with these parts.
    pub fn new(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> Self {
        HttpResponse { status, headers, body, kind: ResponseKind::Answer }
    }

    /// A JSON response.
    pub fn json<T: Serialize>(status: u16, value: &T) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_else(|_| {
            br#"{"error":{"code":"internal","message":"could not serialize the response"}}"#.to_vec()
        });
        Self::new(status, vec![("content-type".into(), JSON.into())], body)
    }

    /// A JSON response whose objects list their members in name order at every depth (as a
    /// `serde_json::Value` writes them: the order mitgate's answers have always had): written by serde_json,
    /// then read back and written in name order by `Value::normalized`, which keeps every number's text
    /// (a quoted processor answer's too). Not through `serde_json::to_value`, which would read a quoted
    /// [`mitgate_json::RawJson`] again with serde_json's parser and its floats. Should the text not read
    /// back (deeper than `mitgate_json::MAX_DEPTH`), it is answered in declaration order.
    pub fn json_in_name_order<T: Serialize>(status: u16, value: &T) -> Self {
        let mut response = Self::json(status, value);
        let sorted = std::str::from_utf8(&response.body)
            .ok()
            .and_then(|text| mitgate_core::json::parse(text).ok())
            .map(|tree| tree.normalized());
        if let Some(sorted) = sorted {
            response.body = sorted.into_bytes();
        }
        response
    }

    /// Raw JSON text.
    pub fn json_text(status: u16, text: String) -> Self {
        Self::new(status, vec![("content-type".into(), JSON.into())], text.into_bytes())
    }

    /// mitgate's error shape, `{"error": {"code", "message"}}`, with the code's status.
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        let message = message.into();
        let body = ErrorBody { error: ErrorDetail::<()> { code, fields: None, message: &message } };
        Self::json_in_name_order(code.status(), &body).of_kind(ResponseKind::Error(code))
    }

    /// A 400 listing every invalid field by path.
    pub fn invalid(errors: &[FieldError]) -> Self {
        let message = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        let code = ErrorCode::InvalidRequest;
        let body = ErrorBody { error: ErrorDetail { code, fields: Some(errors), message: &message } };
        Self::json_in_name_order(code.status(), &body).of_kind(ResponseKind::Error(code))
    }

    /// The same response, known to be of `kind`.
    pub fn of_kind(self, kind: ResponseKind) -> Self {
        HttpResponse { kind, ..self }
    }

    /// Adds (or replaces) a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// The body parsed as JSON, if it is JSON (a tree borrowing from the body).
    pub fn body_json(&self) -> Option<Value<'_>> {
        mitgate_core::json::parse(std::str::from_utf8(&self.body).ok()?).ok()
    }

    /// The body's exact text (to quote it in an answer), if it is JSON.
    pub fn body_raw(&self) -> Option<mitgate_json::RawJson> {
        mitgate_json::RawJson::parse(std::str::from_utf8(&self.body).ok()?)
    }
}

#[cfg(test)]
impl HttpResponse {
    /// The body read by serde_json (tests only).
    pub fn body_serde(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// Response headers never passed back from a processor, nor stored in an idempotency record: a cookie
/// is meant for whoever holds the session, and mitgate never forwards `Cookie`, so it could only leak.
pub(crate) fn drops_response_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("set-cookie") || name.eq_ignore_ascii_case("set-cookie2")
}
