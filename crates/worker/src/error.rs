//! mitgate's own error answers as typed data: every code with its HTTP status and whether it frees an
//! `Idempotency-Key`. A response carries its [`ResponseKind`] from where it was built, so nothing re-reads a body
//! to learn what it was.

use serde::Serialize;

/// Whether an answer is final (kept for replays) or may be retried under the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finality {
    /// Replays return this answer.
    Final,
    /// Nothing happened (bad input, KV down before forwarding, processor unreachable before sending):
    /// the key is freed and a retry is decided again.
    Retryable,
}

/// Defines [`ErrorCode`] from one table: variant, wire code, HTTP status, finality.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $status:literal, $finality:ident;)+) => {
        /// The `error.code` of mitgate's own error answers (`{"error": {"code", "message"}}`; openapi.yaml
        /// `ErrorCode`). Stable: clients branch on these strings.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[non_exhaustive]
        pub(crate) enum ErrorCode {
            $($(#[$doc])* $variant,)+
        }

        impl ErrorCode {
            /// Every code, in table order.
            #[cfg(test)]
            pub(crate) const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The code on the wire.
            pub(crate) const fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)+ }
            }

            /// The HTTP status of an answer with this code.
            pub(crate) const fn status(self) -> u16 {
                match self { $(ErrorCode::$variant => $status,)+ }
            }

            /// Whether an answer with this code is kept for replays of its `Idempotency-Key`.
            pub(crate) const fn finality(self) -> Finality {
                match self { $(ErrorCode::$variant => Finality::$finality,)+ }
            }
        }
    };
}

error_codes! {
    /// A field is invalid or missing (`error.fields` lists each by path).
    InvalidRequest = "invalid_request", 400, Retryable;
    /// The body is not UTF-8 or could not be read.
    InvalidBody = "invalid_body", 400, Retryable;
    /// The request URL does not parse.
    InvalidUrl = "invalid_url", 400, Final;
    /// No `X-Mitgate-Key` header.
    MissingKey = "missing_key", 401, Final;
    /// The `X-Mitgate-Key` is not a configured merchant key.
    InvalidKey = "invalid_key", 401, Final;
    /// The request names another merchant.
    Forbidden = "forbidden", 403, Retryable;
    /// A browser origin not in `DASHBOARD_ORIGINS`.
    OriginNotAllowed = "origin_not_allowed", 403, Final;
    /// No such agreement, policy or route.
    NotFound = "not_found", 404, Final;
    /// An Infinic auto-attempt names an intent that was not made through the proxy.
    IntentNotFound = "intent_not_found", 404, Final;
    /// The method is not one the route answers (`Allow` lists them).
    MethodNotAllowed = "method_not_allowed", 405, Final;
    /// The attempt or outcome contradicts the stored state.
    Conflict = "conflict", 409, Final;
    /// Another charge reserved the agreement's slot at the same moment; nothing was sent.
    ConcurrentCharge = "concurrent_charge", 409, Retryable;
    /// A request with this `Idempotency-Key` is still being processed.
    IdempotencyInProgress = "idempotency_in_progress", 409, Final;
    /// A PUT would loosen a revoked or re-authentication status.
    AgreementStatusStands = "agreement_status_stands", 409, Final;
    /// The body is larger than `MAX_BODY_BYTES`.
    BodyTooLarge = "body_too_large", 413, Retryable;
    /// The `Idempotency-Key` was used with another body.
    IdempotencyKeyReused = "idempotency_key_reused", 422, Final;
    /// The agreement names no processor (`dialect`).
    NoProcessor = "no_processor", 422, Final;
    /// The charge cannot be written in the processor's dialect.
    CannotRender = "cannot_render", 422, Final;
    /// A bug: logged under the request id.
    Internal = "internal", 500, Final;
    /// The processor could not be reached: nothing was sent.
    ProcessorUnreachable = "processor_unreachable", 502, Retryable;
    /// The processor's answer does not settle the charge; it may have charged.
    ProcessorFailed = "processor_failed", 502, Final;
    /// No processor URL is configured for the dialect.
    ProcessorNotConfigured = "processor_not_configured", 502, Retryable;
    /// The processor's WSDL could not be rewritten.
    ProcessorWsdlUnreadable = "processor_wsdl_unreadable", 502, Final;
    /// A binding or secret is missing or invalid.
    NotConfigured = "not_configured", 503, Final;
    /// The store failed; nothing was changed or forwarded.
    StoreUnavailable = "store_unavailable", 503, Retryable;
    /// A reservation could be neither read back nor released; nothing was forwarded.
    ReservationUnverified = "reservation_unverified", 503, Retryable;
    /// The processor did not answer in time; it may have charged.
    ProcessorTimeout = "processor_timeout", 504, Final;
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What a response is, as the code that built it knew it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ResponseKind {
    /// An answer: a decision, a charge's result, a record, a processor's answer passed back.
    #[default]
    Answer,
    /// mitgate's error answer.
    Error(ErrorCode),
    /// A charge the processor did not process (outcome `not_sent`): nothing happened there.
    NotSent,
    /// Bad input answered in a dialect's own words (a proxied MIT that does not parse): nothing happened.
    BadInput,
}

impl ResponseKind {
    /// Whether an answer of this kind is kept for replays (before the `Retry-After` rule).
    pub(crate) const fn finality(self) -> Finality {
        match self {
            ResponseKind::Answer => Finality::Final,
            ResponseKind::Error(code) => code.finality(),
            ResponseKind::NotSent | ResponseKind::BadInput => Finality::Retryable,
        }
    }
}

/// mitgate's error body: `{"error": {"code", "message", "fields"?}}` (openapi.yaml `Error`).
#[derive(Debug, Serialize)]
pub(crate) struct ErrorBody<'a, F: Serialize> {
    /// The error.
    pub error: ErrorDetail<'a, F>,
}

/// The `error` member of [`ErrorBody`]. Members in name order, as answers have always been written.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorDetail<'a, F: Serialize> {
    /// The stable code.
    pub code: ErrorCode,
    /// Each invalid field (`invalid_request` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<F>,
    /// A human message.
    pub message: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_snake_case_and_serialize_as_written() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{s}");
            assert_eq!(serde_json::to_value(code).ok(), Some(serde_json::Value::from(s)));
            assert!((400..600).contains(&code.status()), "{s}");
        }
    }

    #[test]
    fn the_retryable_codes_are_the_ones_where_nothing_happened() {
        let retryable: Vec<_> = ErrorCode::ALL
            .iter()
            .filter(|c| c.finality() == Finality::Retryable)
            .map(|c| c.as_str())
            .collect();
        assert_eq!(
            retryable,
            [
                "invalid_request",
                "invalid_body",
                "forbidden",
                "concurrent_charge",
                "body_too_large",
                "processor_unreachable",
                "processor_not_configured",
                "store_unavailable",
                "reservation_unverified",
            ]
        );
        assert_eq!(ResponseKind::NotSent.finality(), Finality::Retryable);
        assert_eq!(ResponseKind::BadInput.finality(), Finality::Retryable);
        assert_eq!(ResponseKind::Answer.finality(), Finality::Final);
    }
}
