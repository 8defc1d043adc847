//! The drop-in proxies fail closed: on a dialect prefix mitgate forwards a request only when it is one of
//! the routes below, spelt exactly as mitgate decides it, so the processor sees the very path that was
//! decided. Anything else gets 404 in the dialect's words and is never forwarded (docs/worker.md,
//! "Fail closed").
//!
//! Matching is on the raw path (percent-encoding kept), segment by segment:
//! - a literal segment matches only its exact spelling (ASCII case-insensitively on routes the processor
//!   itself matches that way, such as IIS-hosted ones); `%2D` for `-`, `%2F`, any other percent-encoding,
//!   `;params`, an empty segment (`//`, a trailing `/`), `.` and `..` never match. Processors differ in
//!   what they decode and normalise, so a path is forwarded only when every such reading of it is the
//!   same route: the one spelling that has no variants.
//! - a parameter segment (`{merchantId}`, `{intentId}`) is 1 to 128 of `A-Z a-z 0-9 . _ ~ -`, is not `.`
//!   or `..`, and is never one of the table's literal words (any case), so `card/merchant-initiated-transaction`
//!   or `GET /api/intents/AUTO-ATTEMPT` cannot pass as a parameter.
//! - routes that move money take no query string (a framework that merges query parameters into the body
//!   could read one); read-only routes forward theirs.
//!
//! INVARIANT: a request for which [`route_of`] is `None` is never sent to a processor.

use mitgate_dialects::DialectId;

use crate::http::HttpResponse;

/// What a known route is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RouteKind {
    /// A customer-initiated payment that can establish an agreement: forwarded, then captured.
    Cit,
    /// A merchant-initiated charge: decided, then refused or forwarded.
    Mit,
    /// One endpoint for both: the body says which (SPG `paymentType`, Axerve `transDetails.type`). A
    /// body that is neither a CIT nor an MIT is refused (400), not forwarded.
    Payment,
    /// A documented read that cannot move money: forwarded untouched (the read-only allowlist).
    ReadOnly,
    /// Axerve's SOAP services (`POST` an envelope, `GET ?WSDL`): the envelope's operation says what it
    /// is, and every operation mitgate does not decide or allow gets a Fault (`proxy/axerve_soap.rs`).
    Soap,
}

/// One segment of a route's path.
#[derive(Debug, Clone, Copy)]
enum Seg {
    Lit(&'static str),
    Param,
}

use Seg::{Lit, Param};

/// One route of a dialect's table.
#[derive(Debug, Clone, Copy)]
struct Route {
    method: &'static str,
    path: &'static [Seg],
    kind: RouteKind,
    /// The processor matches the literal segments ASCII case-insensitively (IIS).
    case_insensitive: bool,
}

const fn route(method: &'static str, path: &'static [Seg], kind: RouteKind) -> Route {
    Route { method, path, kind, case_insensitive: false }
}

/// Document 000: intents (CIT), auto-attempts (MIT), and the status read the document shows
/// (`GET /api/intents/{intent_id}?iauth=…`, "Monitoring Payment Status").
const INFINIC: &[Route] = &[
    route("POST", &[Lit("api"), Lit("intents")], RouteKind::Cit),
    route("POST", &[Lit("api"), Lit("intents"), Lit("auto-attempt")], RouteKind::Mit),
    route("GET", &[Lit("api"), Lit("intents"), Param], RouteKind::ReadOnly),
];

/// Document 001: zero authorization and card checkout (CIT), the MIT endpoint. The document shows no
/// read endpoint, so Coinflow has no read-only route.
const COINFLOW: &[Route] = &[
    route("POST", &[Lit("api"), Lit("checkout"), Lit("zero-authorization"), Param], RouteKind::Cit),
    route("POST", &[Lit("api"), Lit("checkout"), Lit("card"), Param], RouteKind::Cit),
    route("POST", &[Lit("api"), Lit("checkout"), Lit("merchant-initiated-transaction")], RouteKind::Mit),
];

/// Document 002: one payments endpoint, `AUTH` (CIT) or `MIT` by the body. The document names a
/// "status endpoint" without its path, so SPG has no read-only route.
const SPG: &[Route] = &[route("POST", &[Lit("api"), Lit("v2"), Lit("payments")], RouteKind::Payment)];

/// Document 003: GestPay's two SOAP services, at their paths matched as IIS matches them (ASCII
/// case-insensitively: clients write both `/gestpay/GestPayWS/WsCryptDecrypt.asmx` and
/// `/gestpay/gestpayws/WSCryptDecrypt.asmx`), and mitgate's JSON form (an extension: `01F`/`03F` CIT,
/// `01N`/`03N` MIT by the body).
const AXERVE: &[Route] = &[
    soap("POST", &[Lit("gestpay"), Lit("gestpayws"), Lit("WSs2s.asmx")]),
    soap("GET", &[Lit("gestpay"), Lit("gestpayws"), Lit("WSs2s.asmx")]),
    soap("POST", &[Lit("gestpay"), Lit("gestpayws"), Lit("WSCryptDecrypt.asmx")]),
    soap("GET", &[Lit("gestpay"), Lit("gestpayws"), Lit("WSCryptDecrypt.asmx")]),
    route("POST", &[Lit("api"), Lit("v1"), Lit("payment"), Lit("submit")], RouteKind::Payment),
];

const fn soap(method: &'static str, path: &'static [Seg]) -> Route {
    Route { method, path, kind: RouteKind::Soap, case_insensitive: true }
}

fn table(dialect: DialectId) -> &'static [Route] {
    match dialect {
        DialectId::Infinic => INFINIC,
        DialectId::Coinflow => COINFLOW,
        DialectId::Spg => SPG,
        DialectId::Axerve => AXERVE,
    }
}

/// The longest parameter segment accepted.
const MAX_PARAM: usize = 128;

fn is_param(segment: &str, mut literals: impl Iterator<Item = &'static str>) -> bool {
    !segment.is_empty()
        && segment.len() <= MAX_PARAM
        && segment != "."
        && segment != ".."
        && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b))
        && !literals.any(|l| l.eq_ignore_ascii_case(segment))
}

fn literals(dialect: DialectId) -> impl Iterator<Item = &'static str> {
    table(dialect).iter().flat_map(|r| r.path.iter()).filter_map(|s| match s {
        Lit(l) => Some(*l),
        Param => None,
    })
}

/// The route a request on a dialect prefix is, if mitgate knows it. `path` is the raw processor path
/// (after `/{dialect}`, percent-encoding kept, without the query).
pub(crate) fn route_of(dialect: DialectId, method: &str, path: &str) -> Option<RouteKind> {
    let rest = path.strip_prefix('/')?;
    let segments: Vec<&str> = rest.split('/').collect();
    table(dialect)
        .iter()
        .find(|r| {
            r.method == method
                && r.path.len() == segments.len()
                && r.path.iter().zip(&segments).all(|(seg, given)| match seg {
                    Lit(l) if r.case_insensitive => l.eq_ignore_ascii_case(given),
                    Lit(l) => l == given,
                    Param => is_param(given, literals(dialect)),
                })
        })
        .map(|r| r.kind)
}

/// Whether a known route forwards the caller's query string: only reads do.
pub(crate) fn forwards_query(kind: RouteKind) -> bool {
    kind == RouteKind::ReadOnly
}

/// The 404 for a request mitgate does not forward, in the dialect's words (its error shape, written by
/// mitgate-dialects: `{"detail": "Not Found"}`, `{"message": "Not Found"}`, SPG's `returnStatus` 404,
/// Axerve's `KO` / `404`), with mitgate's code under `mitgate`.
pub(crate) fn not_found(dialect: DialectId, method: &str) -> HttpResponse {
    let message = format!(
        "mitgate forwards only the {} routes it knows (docs/worker.md, \"Fail closed\"); this {} was not forwarded",
        dialect.name(),
        if method.len() <= 10 && method.bytes().all(|b| b.is_ascii_alphabetic()) {
            format!("{method} request")
        } else {
            "request".to_string()
        }
    );
    HttpResponse::from(dialect.render_error(
        404,
        "Not Found",
        &RouteNotFound { code: "route_not_found", message: &message },
    ))
}

/// The `mitgate` object of a route mitgate does not forward.
#[derive(serde::Serialize)]
struct RouteNotFound<'a> {
    code: &'static str,
    message: &'a str,
}

/// Request headers forwarded to every processor: the HTTP basics a client sends and the processor's own
/// credentials. Everything else is dropped (issue 15 item 7): mitgate's own headers (`X-Mitgate-*`),
/// `Cookie`, proxy and client-address headers (`Forwarded`, `X-Forwarded-*`, `True-Client-IP`,
/// `X-Real-IP`, `CF-*`), hop-by-hop headers, and anything not listed.
const COMMON_HEADERS: &[&str] = &["accept", "authorization", "content-type", "idempotency-key", "user-agent"];

/// Headers a dialect's documents add.
fn dialect_headers(dialect: DialectId) -> &'static [&'static str] {
    match dialect {
        // 001: the customer (`x-user-id`).
        DialectId::Coinflow => &["x-user-id"],
        // 003 over SOAP 1.1: the operation.
        DialectId::Axerve => &["soapaction"],
        DialectId::Infinic | DialectId::Spg => &[],
    }
}

/// The sandbox processor's test headers (`x-sandbox-card`, …), forwarded only when the deployment says
/// it talks to the sandbox (`MITGATE_SANDBOX_HEADERS = "1"`: `make dev` and the tests).
const SANDBOX_PREFIX: &str = "x-sandbox-";

/// Whether a request header (lower-case name) is forwarded to this dialect's processor.
pub(crate) fn forwards_header(dialect: DialectId, name: &str, sandbox_headers: bool) -> bool {
    COMMON_HEADERS.contains(&name)
        || dialect_headers(dialect).contains(&name)
        || (sandbox_headers && name.starts_with(SANDBOX_PREFIX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(d: DialectId, m: &str, p: &str) -> Option<RouteKind> {
        route_of(d, m, p)
    }

    #[test]
    fn the_documents_routes_are_known() {
        assert_eq!(
            kind(DialectId::Coinflow, "POST", "/api/checkout/merchant-initiated-transaction"),
            Some(RouteKind::Mit)
        );
        assert_eq!(
            kind(DialectId::Coinflow, "POST", "/api/checkout/card/your-merchant-id"),
            Some(RouteKind::Cit)
        );
        assert_eq!(
            kind(DialectId::Coinflow, "POST", "/api/checkout/zero-authorization/m_1"),
            Some(RouteKind::Cit)
        );
        assert_eq!(kind(DialectId::Infinic, "POST", "/api/intents"), Some(RouteKind::Cit));
        assert_eq!(kind(DialectId::Infinic, "POST", "/api/intents/auto-attempt"), Some(RouteKind::Mit));
        assert_eq!(
            kind(DialectId::Infinic, "GET", "/api/intents/550e8400-e29b-41d4-a716-446655440000"),
            Some(RouteKind::ReadOnly)
        );
        assert_eq!(kind(DialectId::Spg, "POST", "/api/v2/payments"), Some(RouteKind::Payment));
        assert_eq!(kind(DialectId::Axerve, "POST", "/api/v1/payment/submit"), Some(RouteKind::Payment));
    }

    /// Issue 11's look-alikes and every variant a processor might read as a known route.
    #[test]
    fn look_alikes_are_not_routes() {
        let mit = "/api/checkout/merchant-initiated-transaction";
        let variants = [
            "/api/checkout/Merchant-Initiated-Transaction",
            "/api//checkout/merchant-initiated-transaction",
            "/api/checkout/merchant%2Dinitiated-transaction",
            "/api/checkout/merchant%2dinitiated-transaction",
            "/api/checkout/merchant-initiated-transaction/",
            "/api/checkout/merchant-initiated-transaction//",
            "//api/checkout/merchant-initiated-transaction",
            "/api/./checkout/merchant-initiated-transaction",
            "/api/x/../checkout/merchant-initiated-transaction",
            "/api/checkout/merchant-initiated-transaction;a=b",
            "/api;x/checkout/merchant-initiated-transaction",
            "/api%2Fcheckout/merchant-initiated-transaction",
            "/api%2fcheckout%2fmerchant-initiated-transaction",
            "/%61pi/checkout/merchant-initiated-transaction",
            "/API/CHECKOUT/MERCHANT-INITIATED-TRANSACTION",
            "/api/checkout/merchant-initiated-transaction%00",
            "/api/checkout/merchant-initiated-transaction%20",
            "/api/checkout\\merchant-initiated-transaction",
            "api/checkout/merchant-initiated-transaction",
            "",
            "/",
            "/api/checkout/card/merchant-initiated-transaction",
            "/api/checkout/card/m1/extra",
            "/api/checkout/card/",
            "/api/checkout/card/..",
            "/api/checkout/card/%2e%2e",
            "/api/checkout/card/m%31",
            "/api/checkout/zero-authorization/CARD",
        ];
        assert!(route_of(DialectId::Coinflow, "POST", mit).is_some());
        for v in variants {
            assert_eq!(route_of(DialectId::Coinflow, "POST", v), None, "{v}");
        }
        for m in ["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "post", "TRACE"] {
            assert_eq!(route_of(DialectId::Coinflow, m, mit), None, "{m}");
        }
        assert_eq!(kind(DialectId::Infinic, "GET", "/api/intents/auto-attempt"), None);
        assert_eq!(kind(DialectId::Infinic, "GET", "/api/intents/AUTO-ATTEMPT"), None);
        assert_eq!(kind(DialectId::Infinic, "GET", "/api/intents"), None);
        assert_eq!(kind(DialectId::Infinic, "POST", "/api/intents/550e8400"), None);
        assert_eq!(kind(DialectId::Infinic, "GET", &format!("/api/intents/{}", "a".repeat(129))), None);
        assert_eq!(kind(DialectId::Spg, "POST", "/api/v2/payments/"), None);
        assert_eq!(kind(DialectId::Spg, "POST", "/api/V2/payments"), None);
        assert_eq!(kind(DialectId::Axerve, "POST", "/"), None);
    }

    #[test]
    fn headers_are_allowlisted() {
        for dropped in [
            "cookie",
            "forwarded",
            "x-forwarded-host",
            "x-forwarded-for",
            "true-client-ip",
            "x-real-ip",
            "x-mitgate-key",
            "x-mitgate-test-fault",
            "x-mitgate-token-cvv-verified",
            "cf-connecting-ip",
            "host",
            "connection",
            "transfer-encoding",
            "x-user-id-override",
        ] {
            for d in DialectId::ALL {
                assert!(!forwards_header(d, dropped, true), "{dropped} to {d:?}");
            }
        }
        assert!(forwards_header(DialectId::Coinflow, "x-user-id", false));
        assert!(!forwards_header(DialectId::Spg, "x-user-id", false));
        assert!(forwards_header(DialectId::Infinic, "authorization", false));
        assert!(forwards_header(DialectId::Spg, "idempotency-key", false));
        assert!(!forwards_header(DialectId::Spg, "x-sandbox-card", false));
        assert!(forwards_header(DialectId::Spg, "x-sandbox-card", true));
    }

    #[test]
    fn not_found_speaks_the_dialect() {
        for d in DialectId::ALL {
            let r = not_found(d, "POST");
            assert_eq!(r.status, 404);
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
            assert_eq!(v["mitgate"]["code"], "route_not_found", "{d:?}");
        }
    }
}
