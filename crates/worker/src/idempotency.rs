//! `Idempotency-Key`: a replay gets the first answer, the same key with another body 422, a replay while
//! the first is in flight 409. Which answers are final (kept) and which free the key is decided here.

use sha2::{Digest, Sha256};

use mitgate_core::validate::FieldError;

use crate::app::{store_failed, App};
use crate::error::{ErrorCode, Finality};
use crate::hash::{hex, sha256_hex};
use crate::http::{drops_response_header, HttpRequest, HttpResponse};
use crate::redact::redact_card_numbers;
use crate::store::{IdempotencyRecord, Kv};

/// SHA-256 hex of the route and the body. A JSON body is normalised by `Value::normalized`: key order,
/// spacing and string escapes do not matter; numbers count as written (`2.50` and `2.5` are two bodies).
pub(crate) fn fingerprint(req: &HttpRequest) -> String {
    let normalized = std::str::from_utf8(&req.body)
        .ok()
        .and_then(|text| mitgate_core::json::parse(text).ok())
        .map(|tree| tree.normalized());
    let body = match &normalized {
        Some(text) => text.as_bytes(),
        None => req.body.as_slice(),
    };
    let mut h = Sha256::new();
    h.update(req.method.as_bytes());
    h.update(b" ");
    h.update(req.path.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex(&h.finalize())
}

/// Runs `work` at most once per `Idempotency-Key`: a replay gets the first answer (with
/// `Idempotent-Replayed: true`), the same key with another body gets 422, a replay while the first is
/// still in flight gets 409. The key is the header, or else `body_key`: the one the body names (the
/// canonical `idempotencyKey`, or the dialect's own transaction id on a proxied MIT).
pub(crate) async fn idempotent<K: Kv, P, F>(
    app: &App<'_, K, P>,
    merchant: &str,
    req: &HttpRequest,
    body_key: Option<&str>,
    work: F,
) -> HttpResponse
where
    F: std::future::Future<Output = (HttpResponse, Finality)>,
{
    let Some(key) = req.header("idempotency-key").or(body_key) else {
        return work.await.0;
    };
    if let Some(invalid) = invalid_key(key) {
        return invalid;
    }
    let digest = sha256_hex(key.as_bytes());
    let fp = fingerprint(req);
    let pending = IdempotencyRecord { fingerprint: fp.clone(), created_at: app.now, response: None };
    match app.stores.claim_idempotency(merchant, &digest, &pending).await {
        Err(e) => return store_failed(&e),
        Ok(Some(record)) => {
            if record.fingerprint != fp {
                return HttpResponse::error(
                    ErrorCode::IdempotencyKeyReused,
                    "this Idempotency-Key was used with a different request body",
                );
            }
            return match record.response {
                Some(resp) => resp.with_header("idempotent-replayed", "true"),
                None => HttpResponse::error(
                    ErrorCode::IdempotencyInProgress,
                    "a request with this Idempotency-Key is still being processed",
                )
                .with_header("retry-after", "1"),
            };
        }
        Ok(None) => {}
    }
    let (response, finality) = work.await;
    let stored = match finality {
        Finality::Retryable => app.stores.delete_idempotency(merchant, &digest).await,
        Finality::Final => {
            let mut kept = response.clone();
            kept.body = redact_card_numbers(&String::from_utf8_lossy(&kept.body)).into_bytes();
            // A processor's cookie is never kept (nor replayed).
            kept.headers.retain(|(k, _)| !drops_response_header(k));
            let record = IdempotencyRecord { fingerprint: fp, created_at: app.now, response: Some(kept) };
            app.stores.put_idempotency(merchant, &digest, &record).await
        }
    };
    match stored {
        Ok(()) => response,
        Err(e) => response.with_header("x-mitgate-warning", format!("idempotency record not saved: {}", e.0)),
    }
}

/// A refusal that says when to try again is not final: a `429` (velocity, the card networks' retry budget,
/// or a processor's rate limit: nothing was processed), or a `Retry-After` on an answer for which nothing
/// was forwarded (no `X-Mitgate-Attempt-Id`). A client that retries with the same `Idempotency-Key` after
/// `Retry-After` is decided again, as Stripe saves no result for a rate-limited request (docs/worker.md,
/// "Idempotency").
pub(crate) fn decided_again_later(response: &HttpResponse) -> bool {
    let has = |name: &str| response.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    response.status == 429 || (has("retry-after") && !has("x-mitgate-attempt-id"))
}

/// The 400 for an idempotency key mitgate does not take (empty, or longer than 255 bytes), named as the
/// `Idempotency-Key` header.
pub(crate) fn invalid_key(key: &str) -> Option<HttpResponse> {
    (key.is_empty() || key.len() > 255)
        .then(|| HttpResponse::invalid(&[FieldError::new("Idempotency-Key", "must be 1 to 255 characters")]))
}

/// Whether an answer is final: a refusal that says when to try again is not; otherwise its kind, as the
/// code that built it set it (`error::ResponseKind`), decides. No body is parsed to learn it.
pub(crate) fn finality_of(response: &HttpResponse) -> Finality {
    if decided_again_later(response) {
        return Finality::Retryable;
    }
    response.kind.finality()
}
