//! Routing rules that do not depend on the Worker runtime: which methods a path allows (405 with
//! `Allow` otherwise), how path parameters are decoded and validated (400 naming the parameter, before
//! any store is touched), and mitgate's JSON answer for an unknown path.

use std::borrow::Cow;

use mitgate_core::validate::FieldError;

use crate::dialect::Dialect;
use crate::http::HttpResponse;

/// The answer to a method a path does not serve: 405, `Allow`, mitgate's error shape.
pub(crate) fn method_not_allowed(method: &str, allow: &[&str]) -> HttpResponse {
    let allow = allow.join(", ");
    HttpResponse::error(
        405,
        "method_not_allowed",
        format!("{} is not allowed here; allowed: {allow}", method.chars().take(16).collect::<String>()),
    )
    .with_header("allow", allow)
}

/// The answer to a path mitgate does not serve.
pub(crate) fn unknown_path() -> HttpResponse {
    HttpResponse::error(404, "not_found", "no such route; see openapi.yaml")
}

/// Longest path parameter accepted (as the body's ids: `mitgate_core`'s identifier rule).
pub(crate) const MAX_PATH_ID: usize = 256;

/// A path parameter (`id`, `attemptId`), percent-decoded and checked as body ids are: 1 to 256
/// printable ASCII characters without spaces. Anything else is a 400 naming the parameter, so no
/// malformed id ever reaches a store (KV refuses keys over 512 bytes with an error of its own).
pub(crate) fn path_id(name: &str, raw: &str) -> Result<String, HttpResponse> {
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

fn invalid_param(name: &str, problem: &str) -> HttpResponse {
    HttpResponse::invalid(&[FieldError::new(name, format!("(path parameter) {problem}"))])
}

/// The methods a drop-in proxy serves at a processor path (`/api/...`, after the dialect prefix), from the
/// fail-closed route table ([`crate::routes`]). Empty for a path it does not know (that is a 404 in the
/// dialect's words); another method on a known path is a 405 with these in `Allow`.
pub(crate) fn proxy_methods(dialect: Dialect, path: &str) -> Vec<&'static str> {
    ["GET", "POST", "PUT", "PATCH", "DELETE"]
        .into_iter()
        .filter(|m| crate::routes::route_of(dialect, m, path).is_some())
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
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
        for (raw, problem) in [
            ("", "must not be empty"),
            (&"a".repeat(257), "must be at most 256 characters"),
            ("a%20b", "printable ASCII"),
            ("%0A", "printable ASCII"),
            ("%C3%A9", "printable ASCII"),
            ("%FF", "not UTF-8"),
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
            proxy_methods(Dialect::Coinflow, "/api/checkout/merchant-initiated-transaction"),
            ["POST"]
        );
        assert_eq!(proxy_methods(Dialect::Coinflow, "/api/checkout/zero-authorization/m1"), ["POST"]);
        assert_eq!(proxy_methods(Dialect::Infinic, "/api/intents/pi_1"), ["GET"]);
        assert_eq!(proxy_methods(Dialect::Spg, "/api/v2/payments"), ["POST"]);
        assert!(proxy_methods(Dialect::Coinflow, "/api/customers").is_empty());
    }
}
