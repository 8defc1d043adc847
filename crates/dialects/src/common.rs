//! Helpers every dialect shares: reading bodies with [`mitgate_core::json`], exact amounts from JSON
//! number literals, headers, path remapping of the core's validation errors, card-number scrubbing of
//! error messages, and the canonical outcomes. The answers' shapes are in [`crate::envelope`].

use mitgate_core::decision::{Code, Decision, Verdict, Violation};
use mitgate_core::json::{is_integer, FromJson, Kind, Path, Value};
use mitgate_core::model::{CardBrand, Decline, DeclineReason, Outcome, OutcomeResult};
use mitgate_core::money::{Currency, Money};
use mitgate_core::pan::looks_like_card_number;
use mitgate_core::time::Timestamp;
use mitgate_core::validate::FieldError;

/// A JSON value kept as written, for a field read later than its body (an amount needs its currency) or
/// that accepts several kinds (a string or an integer). `null` is an absent field, never a `Literal`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Literal {
    /// A string's (unescaped) text.
    String(String),
    /// A number's exact text (`29.90`, `-100`, `1e3`).
    Number(String),
    /// Anything else: a boolean, an array, an object.
    Other,
}

impl FromJson for Literal {
    fn from_json(value: &Value<'_>, _path: &Path<'_>) -> Result<Self, FieldError> {
        Ok(match &value.kind {
            Kind::String(s) => Literal::String(s.to_string()),
            Kind::Number(n) => Literal::Number((*n).to_string()),
            _ => Literal::Other,
        })
    }
}

/// A string (trimmed), or an integer JSON number within the 64-bit range, as text (`-100`); anything else
/// (a fraction, an exponent, `-0`, a larger number, another kind) is an error at `path`: "must be `what`".
/// The same values serde_json read as an integer `Value`.
pub(crate) fn text_of(v: &Literal, path: &str, what: &str) -> Result<String, FieldError> {
    let integer = |n: &str| {
        if !is_integer(n) {
            return None;
        }
        match n.parse::<u64>() {
            Ok(u) => Some(u.to_string()),
            Err(_) => n.parse::<i64>().ok().filter(|i| *i < 0).map(|i| i.to_string()),
        }
    };
    match v {
        Literal::String(s) => Ok(s.trim().to_string()),
        Literal::Number(n) => integer(n).ok_or_else(|| FieldError::new(path, format!("must be {what}"))),
        Literal::Other => Err(FieldError::new(path, format!("must be {what}"))),
    }
}

/// Reads a decimal amount in major units from its JSON literal, exactly: `29.90` (a JSON number, read as
/// text and never as a float) or `"29.90"` (a string). Exponent notation is refused.
pub(crate) fn major_amount(literal: &Literal, currency: Currency, path: &str) -> Result<Money, FieldError> {
    let text = match literal {
        Literal::String(s) => s.as_str(),
        Literal::Number(n) if n.contains(['e', 'E']) => {
            return Err(FieldError::new(path, "must be a plain decimal like 29.90, not exponent notation"))
        }
        Literal::Number(n) => n.as_str(),
        Literal::Other => {
            return Err(FieldError::new(path, "must be a decimal amount in major units, like 29.90"))
        }
    };
    Money::parse_major(text, currency).map_err(|e| FieldError::new(path, e.to_string()))
}

/// Integer minor units (`cents`, Infinic `amount`) to money.
pub(crate) fn minor_amount(minor: u64, currency: Currency, path: &str) -> Result<Money, FieldError> {
    Money::from_minor(i128::from(minor), currency).map_err(|e| FieldError::new(path, e.to_string()))
}

/// Parses a currency code, naming the field on failure.
pub(crate) fn currency(code: &str, path: &str) -> Result<Currency, FieldError> {
    Currency::from_code(code).map_err(|e| FieldError::new(path, e.to_string()))
}

/// Parses an RFC 3339 instant, naming the field on failure.
pub(crate) fn timestamp(text: &str, path: &str) -> Result<Timestamp, FieldError> {
    Timestamp::parse(text).map_err(|e| FieldError::new(path, e))
}

/// A header's value, matched case-insensitively; `None` when absent or empty.
pub(crate) fn header<'a>(headers: &[(&'a str, &'a str)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The message that replaces any error text that would echo a card number back.
const REDACTED: &str = "is invalid (the value is not shown: it looks like a card number)";

/// Never let an error message carry a card number (the reader quotes offending values).
pub(crate) fn scrub(mut e: FieldError) -> FieldError {
    if looks_like_card_number(&e.message) {
        e.message = REDACTED.to_string();
    }
    e
}

/// Parses a dialect body with field paths, prefixing every path with `prefix` (`request`, `response`)
/// when the caller hands several documents at once; `""` keeps paths relative to the body.
pub(crate) fn parse<T: FromJson>(text: &str, prefix: &str) -> Result<T, Vec<FieldError>> {
    mitgate_core::validate::parse_json(text).map_err(|e| vec![scrub(prefixed(e, prefix))])
}

/// Prefixes an error's path.
pub(crate) fn prefixed(mut e: FieldError, prefix: &str) -> FieldError {
    if !prefix.is_empty() {
        e.path = if e.path.is_empty() { prefix.to_string() } else { format!("{prefix}.{}", e.path) };
    }
    e
}

/// Joins a prefix and a field path.
pub(crate) fn join(prefix: &str, path: &str) -> String {
    if prefix.is_empty() {
        path.to_string()
    } else {
        format!("{prefix}.{path}")
    }
}

/// Rewrites the paths of the core's validation errors (`request.reference`) to the dialect's
/// (`originalPaymentId`). `map` lists `(canonical path, dialect path)`; a canonical path that starts with
/// a listed one keeps its remainder. Unlisted paths stay canonical.
pub(crate) fn remap(errors: Vec<FieldError>, map: &[(&str, &str)]) -> Vec<FieldError> {
    let mut out: Vec<FieldError> = Vec::with_capacity(errors.len());
    let mapped = errors.into_iter().map(|mut e| {
        if let Some((from, to)) = map.iter().find(|(from, _)| {
            e.path == *from || e.path.strip_prefix(from).is_some_and(|rest| rest.starts_with(['.', '[']))
        }) {
            let rest = e.path.get(from.len()..).unwrap_or("").to_string();
            e.path = format!("{to}{rest}");
        }
        scrub(e)
    });
    // Two canonical fields can map onto one dialect field (000: `reference` and `credentialToken` are
    // both `credentials[0]`): report each distinct problem once.
    for e in mapped {
        if !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

/// Collects errors into a `Result`.
pub(crate) fn finish<T>(value: T, errors: Vec<FieldError>) -> Result<T, Vec<FieldError>> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(errors)
    }
}

/// The violation a dialect renders: the first in rule order (the one the decision's status comes from).
pub(crate) fn lead(decision: &Decision) -> Option<&Violation> {
    if decision.outcome != Verdict::Refused {
        return None;
    }
    decision.violations.first()
}

#[cfg(feature = "outbound")]
/// A JSON MIT request: `content-type` and `accept` JSON, and the body serde_json wrote from the
/// dialect's typed struct.
pub(crate) fn json_request(path: &'static str, body: String) -> crate::MitRequest {
    crate::MitRequest {
        path,
        headers: vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("accept".to_string(), "application/json".to_string()),
        ],
        body,
    }
}

/// One sentence for a list of field errors: the first, and how many more.
pub(crate) fn summary(errors: &[FieldError]) -> String {
    match errors {
        [] => "The request is invalid.".to_string(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

/// Money for people: `$30.00` for USD (as document 001 writes it), `30.00 EUR` otherwise.
pub(crate) fn human_money(m: &Money) -> String {
    if m.currency().code() == "USD" {
        format!("${}", m.amount())
    } else {
        m.display()
    }
}

/// Whether a code means "wait and retry" (rendered 429 in every dialect).
pub(crate) fn is_rate_code(code: Code) -> bool {
    matches!(
        code,
        Code::VelocityExceeded
            | Code::IntervalTooShort
            | Code::RetryTooEarly
            | Code::RetryLimitReached
            | Code::CardDeclineLimitReached
            | Code::PreDebitNoticeTooRecent
            | Code::TrialReminderTooRecent
    )
}

/// Marks a required field: `None` (absent or `null`) records "is required" at `path`.
pub(crate) fn required<T>(value: Option<T>, path: &str, errors: &mut Vec<FieldError>) -> Option<T> {
    if value.is_none() {
        errors.push(FieldError::new(path, "is required"));
    }
    value
}

/// The canonical reason behind an issuer response code (ISO 8583 and network codes, Axerve `8026`).
pub(crate) fn reason_from_code(code: &str) -> DeclineReason {
    match code.trim() {
        "51" | "61" | "65" => DeclineReason::InsufficientFunds,
        "54" | "33" => DeclineReason::CardExpired,
        "8026" | "1A" => DeclineReason::AuthenticationRequired,
        "41" | "43" | "04" | "07" => DeclineReason::LostOrStolen,
        "46" => DeclineReason::AccountClosed,
        "R0" | "R1" | "R3" => DeclineReason::AuthorizationRevoked,
        "59" | "34" => DeclineReason::SuspectedFraud,
        "05" => DeclineReason::DoNotHonor,
        "91" | "96" => DeclineReason::IssuerUnavailable,
        _ => DeclineReason::Other,
    }
}

/// A declined outcome.
pub(crate) fn declined(
    ctx: &crate::OutcomeContext<'_>,
    payment_id: Option<String>,
    code: Option<String>,
    advice_code: Option<String>,
    reason: Option<DeclineReason>,
) -> Outcome {
    let reason = reason
        .filter(|r| *r != DeclineReason::Other)
        .or_else(|| code.as_deref().map(reason_from_code))
        .unwrap_or(DeclineReason::Other);
    Outcome {
        attempt_id: ctx.attempt_id.to_string(),
        at: ctx.at,
        result: OutcomeResult::Declined,
        payment_id,
        decline: Some(Decline { network: ctx.network, code, advice_code, reason }),
    }
}

/// An approved outcome.
pub(crate) fn approved(ctx: &crate::OutcomeContext<'_>, payment_id: Option<String>) -> Outcome {
    Outcome {
        attempt_id: ctx.attempt_id.to_string(),
        at: ctx.at,
        result: OutcomeResult::Approved,
        payment_id,
        decline: None,
    }
}

/// The request never got to be processed (a processor-side refusal): the velocity slot is given back.
pub(crate) fn not_sent(ctx: &crate::OutcomeContext<'_>) -> Outcome {
    Outcome {
        attempt_id: ctx.attempt_id.to_string(),
        at: ctx.at,
        result: OutcomeResult::NotSent,
        payment_id: None,
        decline: None,
    }
}

/// A card network from a brand name as processors write it (`visa`, `Mastercard`, `AMEX`).
pub(crate) fn brand_from_name(name: &str) -> CardBrand {
    match name.trim().to_ascii_lowercase().replace([' ', '_', '-'], "").as_str() {
        "visa" => CardBrand::Visa,
        "mastercard" | "mc" => CardBrand::Mastercard,
        "amex" | "americanexpress" => CardBrand::Amex,
        "discover" => CardBrand::Discover,
        "jcb" => CardBrand::Jcb,
        "unionpay" | "cup" | "chinaunionpay" => CardBrand::Unionpay,
        "diners" | "dinersclub" => CardBrand::Diners,
        _ => CardBrand::Other,
    }
}

/// A decline reason from a processor's decline message.
pub(crate) fn reason_from_message(message: &str) -> mitgate_core::model::DeclineReason {
    use mitgate_core::model::DeclineReason as R;
    let m = message.to_ascii_lowercase();
    if m.contains("insufficient") {
        R::InsufficientFunds
    } else if m.contains("expired") {
        R::CardExpired
    } else if m.contains("authentication") {
        R::AuthenticationRequired
    } else if m.contains("lost") || m.contains("stolen") {
        R::LostOrStolen
    } else if m.contains("fraud") {
        R::SuspectedFraud
    } else if m.contains("do not honor") || m.contains("do not honour") {
        R::DoNotHonor
    } else {
        R::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Literal {
        mitgate_core::json::from_str(s).unwrap()
    }

    #[test]
    fn major_amounts_are_exact() {
        let eur = Currency::from_code("EUR").unwrap();
        assert_eq!(major_amount(&lit("29.90"), eur, "v").unwrap().minor_units(), 2990);
        assert_eq!(major_amount(&lit("\"29.9\""), eur, "v").unwrap().minor_units(), 2990);
        assert_eq!(major_amount(&lit("0.00"), eur, "v").unwrap().minor_units(), 0);
        assert_eq!(major_amount(&lit("2.99e1"), eur, "v").unwrap_err().path, "v");
        assert!(major_amount(&lit("29.901"), eur, "v").unwrap_err().message.contains("decimal places"));
        assert!(major_amount(&lit("true"), eur, "v").is_err());
        assert!(major_amount(&lit("{}"), eur, "v").is_err());
        assert!(major_amount(&lit("-1"), eur, "v").is_err());
    }

    #[test]
    fn text_of_takes_strings_and_integers() {
        assert_eq!(text_of(&lit("\" 242 \""), "p", "x").unwrap(), "242");
        assert_eq!(text_of(&lit("-100"), "p", "x").unwrap(), "-100");
        assert_eq!(text_of(&lit("18446744073709551615"), "p", "x").unwrap(), "18446744073709551615");
        for bad in ["1.0", "1e2", "-0", "18446744073709551616", "-9223372036854775809", "true", "[]"] {
            assert_eq!(text_of(&lit(bad), "p", "a code").unwrap_err().message, "must be a code", "{bad}");
        }
    }

    #[test]
    fn parse_errors_carry_the_document_prefix() {
        struct Any;
        impl FromJson for Any {
            fn from_json(_: &Value<'_>, _: &Path<'_>) -> Result<Self, FieldError> {
                Ok(Any)
            }
        }
        let first = |text: &str, prefix: &str| parse::<Any>(text, prefix).err().unwrap().remove(0).path;
        assert_eq!(first(r#"{"subtotal": "#, ""), "subtotal");
        assert_eq!(first(r#"{"x": [1, tru"#, "request"), "request.x[1]");
        assert_eq!(first("<html>", "response"), "response");
        assert_eq!(first("{} x", ""), "");
    }

    #[test]
    fn scrub_hides_card_numbers() {
        let e = scrub(FieldError::new("card.number", "invalid type: integer `4111111111111111`"));
        assert!(!e.message.contains("4111"));
    }

    #[test]
    fn remap_keeps_remainder() {
        let e = remap(
            vec![FieldError::new("request.amount.amount", "x"), FieldError::new("request.referenceX", "y")],
            &[("request.amount", "subtotal"), ("request.reference", "originalPaymentId")],
        );
        assert_eq!(e[0].path, "subtotal.amount");
        assert_eq!(e[1].path, "request.referenceX");
    }
}
