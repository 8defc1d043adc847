//! Routing rules that do not depend on the Worker runtime: which methods a path allows (405 with
//! `Allow` otherwise), how path parameters are decoded and validated (400 naming the parameter, before
//! any store is touched), and mitgate's JSON answer for an unknown path.

use crate::error::ErrorCode;
use std::borrow::Cow;

use mitgate_core::validate::FieldError;
use mitgate_dialects::DialectId;

use crate::http::HttpResponse;

/// The answer to a method a path does not serve: 405, `Allow`, mitgate's error shape.
pub(crate) fn method_not_allowed(method: &str, allow: &[&str]) -> HttpResponse {
    let allow = allow.join(", ");
    HttpResponse::error(
        ErrorCode::MethodNotAllowed,
        format!("{} is not allowed here; allowed: {allow}", method.chars().take(16).collect::<String>()),
    )
    .with_header("allow", allow)
}

/// The answer to a path mitgate does not serve.
pub(crate) fn unknown_path() -> HttpResponse {
    HttpResponse::error(ErrorCode::NotFound, "no such route; see openapi.yaml")
}

/// Longest path parameter accepted (as the body's ids: `mitgate_core`'s identifier rule).
pub(crate) const MAX_PATH_ID: usize = 256;

/// A path parameter (`id`, `attemptId`), percent-decoded and checked as body ids are: 1 to 256
/// printable ASCII characters without spaces. Anything else is a 400 naming the parameter, so no
/// malformed id ever reaches a store (KV refuses keys over 512 bytes with an error of its own).
/// Every `%` must start an escape (`%` and two hex digits; a literal `%` is `%25`), as openapi.yaml's
/// pattern says: `percent_decode_str` would keep a lone `%` (`abc%`, `%zz`) as itself.
pub(crate) fn path_id(name: &str, raw: &str) -> Result<String, HttpResponse> {
    if !escapes_well_formed(raw) {
        return Err(invalid_param(
            name,
            "has a '%' that does not start an escape (%XX; a literal '%' is %25)",
        ));
    }
    let decoded: Cow<'_, str> = match percent_encoding::percent_decode_str(raw).decode_utf8() {
        Ok(d) => d,
        Err(_) => return Err(invalid_param(name, "is not UTF-8 once percent-decoded")),
    };
    let problem = if decoded.is_empty() {
        "must not be empty"
    } else if decoded.len() > MAX_PATH_ID {
        "must be at most 256 characters"
    } else if !decoded.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        "must be printable ASCII without spaces or control characters"
    } else {
        return Ok(decoded.into_owned());
    };
    Err(invalid_param(name, problem))
}

/// Whether every `%` in `raw` is followed by two hex digits.
fn escapes_well_formed(raw: &str) -> bool {
    let mut rest = raw.as_bytes();
    while let Some(at) = rest.iter().position(|&b| b == b'%') {
        match rest.get(at + 1..at + 3) {
            Some([hi, lo]) if hi.is_ascii_hexdigit() && lo.is_ascii_hexdigit() => {
                rest = rest.get(at + 3..).unwrap_or_default();
            }
            _ => return false,
        }
    }
    true
}

fn invalid_param(name: &str, problem: &str) -> HttpResponse {
    HttpResponse::invalid(&[FieldError::new(name, format!("(path parameter) {problem}"))])
}

/// The methods a drop-in proxy serves at a processor path (`/api/...`, after the dialect prefix), from the
/// fail-closed route table ([`crate::routes`]). Empty for a path it does not know (that is a 404 in the
/// dialect's words); another method on a known path is a 405 with these in `Allow`.
pub(crate) fn proxy_methods(dialect: DialectId, path: &str) -> Vec<&'static str> {
    ["GET", "POST", "PUT", "PATCH", "DELETE"]
        .into_iter()
        .filter(|m| crate::proxy::routes::route_of(dialect, m, path).is_some())
        .collect()
}

/// The methods a dashboard may use, the request headers it may send and the answer headers it may read.
const CORS_ALLOW_METHODS: &str = "GET, PUT, POST, DELETE";
const CORS_ALLOW_HEADERS: &str = "X-Mitgate-Key, Content-Type, Idempotency-Key";
const CORS_EXPOSE_HEADERS: &str =
    "X-Mitgate-Request-Id, X-Mitgate-Merchant, X-Mitgate-Attempt-Id, X-Mitgate-Storage, Retry-After";

/// Whether `origin` is one of the configured dashboard origins (`DASHBOARD_ORIGINS`: comma-separated,
/// compared exactly; no wildcard).
pub(crate) fn origin_allowed(origins: &str, origin: &str) -> bool {
    origins.split(',').map(str::trim).any(|o| !o.is_empty() && o != "*" && o == origin)
}

/// The answer to a browser's CORS preflight (`OPTIONS` with `Origin`): 204 with what a configured
/// dashboard origin may send; any other origin gets 403 and no `Access-Control-*` header, so the browser
/// never sends it the merchant key.
pub(crate) fn preflight(origins: &str, origin: &str) -> HttpResponse {
    if !origin_allowed(origins, origin) {
        return HttpResponse::error(
            ErrorCode::OriginNotAllowed,
            "this origin is not one of the Worker's dashboard origins (DASHBOARD_ORIGINS)",
        )
        .with_header("vary", "Origin");
    }
    HttpResponse::new(204, Vec::new(), Vec::new())
        .with_header("access-control-allow-origin", origin)
        .with_header("access-control-allow-methods", CORS_ALLOW_METHODS)
        .with_header("access-control-allow-headers", CORS_ALLOW_HEADERS)
        .with_header("access-control-max-age", "600")
        .with_header("vary", "Origin")
}

/// The headers that let a configured dashboard origin read an answer (none for any other origin).
pub(crate) fn cors_headers(origins: &str, origin: &str) -> Vec<(&'static str, String)> {
    if !origin_allowed(origins, origin) {
        return Vec::new();
    }
    vec![
        ("access-control-allow-origin", origin.to_string()),
        ("access-control-expose-headers", CORS_EXPOSE_HEADERS.to_string()),
        ("vary", "Origin".to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(r: &HttpResponse) -> serde_json::Value {
        serde_json::from_slice(&r.body).unwrap()
    }

    #[test]
    fn method_not_allowed_has_allow_and_json() {
        let r = method_not_allowed("PATCH", &["GET", "PUT"]);
        assert_eq!(r.status, 405);
        assert!(r.headers.contains(&("allow".into(), "GET, PUT".into())));
        assert_eq!(body(&r)["error"]["code"], "method_not_allowed");
    }

    #[test]
    fn path_ids_are_decoded_and_checked() {
        assert_eq!(path_id("id", "pi_123").unwrap(), "pi_123");
        assert_eq!(path_id("id", "a%7Cb").unwrap(), "a|b");
        assert_eq!(path_id("id", "a%7cb").unwrap(), "a|b");
        assert_eq!(path_id("id", "100%25").unwrap(), "100%");
        assert_eq!(path_id("id", "%2541").unwrap(), "%41", "decoded once");
        for (raw, problem) in [
            ("", "must not be empty"),
            (&"a".repeat(257), "must be at most 256 characters"),
            ("a%20b", "printable ASCII"),
            ("%0A", "printable ASCII"),
            ("%C3%A9", "printable ASCII"),
            ("%FF", "not UTF-8"),
            // A lone `%` is not an escape (openapi.yaml's pattern forbids it); it was accepted as itself.
            ("abc%", "does not start an escape"),
            ("%zz", "does not start an escape"),
            ("a%4", "does not start an escape"),
            ("%%41", "does not start an escape"),
            ("%2", "does not start an escape"),
        ] {
            let r = path_id("attemptId", raw).unwrap_err();
            assert_eq!(r.status, 400, "{raw}");
            let b = body(&r);
            assert_eq!(b["error"]["fields"][0]["path"], "attemptId", "{raw}");
            assert!(b["error"]["fields"][0]["message"].as_str().unwrap().contains(problem), "{raw}: {b}");
        }
        // 256 is the limit, exactly.
        assert!(path_id("id", &"a".repeat(256)).is_ok());
        // 520 characters (the fuzzer's 503 before this check) is a 400 naming the parameter.
        assert_eq!(path_id("id", &"a".repeat(520)).unwrap_err().status, 400);
    }

    #[test]
    fn proxy_methods_come_from_the_route_table() {
        assert_eq!(
            proxy_methods(DialectId::Coinflow, "/api/checkout/merchant-initiated-transaction"),
            ["POST"]
        );
        assert_eq!(proxy_methods(DialectId::Coinflow, "/api/checkout/zero-authorization/m1"), ["POST"]);
        assert_eq!(proxy_methods(DialectId::Infinic, "/api/intents/pi_1"), ["GET"]);
        assert_eq!(proxy_methods(DialectId::Spg, "/api/v2/payments"), ["POST"]);
        assert!(proxy_methods(DialectId::Coinflow, "/api/customers").is_empty());
    }

    #[test]
    fn cors_only_for_configured_dashboard_origins() {
        let origins = "http://127.0.0.1:8088, https://ops.example";
        let ok = preflight(origins, "https://ops.example");
        assert_eq!(ok.status, 204);
        assert!(ok.headers.contains(&("access-control-allow-origin".into(), "https://ops.example".into())));
        assert!(ok
            .headers
            .iter()
            .any(|(k, v)| k == "access-control-allow-headers" && v.contains("X-Mitgate-Key")));
        for other in ["https://evil.example", "http://127.0.0.1:8089", "null", "", "*"] {
            let no = preflight(origins, other);
            assert_eq!(no.status, 403, "{other}");
            assert!(!no.headers.iter().any(|(k, _)| k.starts_with("access-control-")), "{other}");
            assert!(cors_headers(origins, other).is_empty(), "{other}");
        }
        assert!(preflight("", "http://127.0.0.1:8088").status == 403, "no origin configured: none allowed");
        assert!(preflight("*", "https://any.example").status == 403, "no wildcard");
        assert_eq!(cors_headers(origins, "http://127.0.0.1:8088").len(), 3);
    }
}
