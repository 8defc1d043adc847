//! `Idempotency-Key`: a replay gets the first answer, the same key with another body 422, a replay while
//! the first is in flight 409. Which answers are final (kept) and which free the key is decided here.

use std::cell::RefCell;

use sha2::{Digest, Sha256};

use mitgate_core::engine::Evaluation;
use mitgate_core::model::{Attempt, GRANDFATHERED_REFERENCE};
use mitgate_core::time::Timestamp;
use mitgate_core::validate::FieldError;

use crate::app::{store_failed, App};
use crate::error::{ErrorCode, Finality};
use crate::hash::{hex, sha256_hex};
use crate::http::{drops_response_header, HttpRequest, HttpResponse};
use crate::redact::redact_card_numbers;
use crate::store::{IdempotencyRecord, KeyClaim, KeyPlace, Kv};

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

/// An idempotency key a charge takes itself, with the Durable Object store, when the request names its
/// agreement by reference (issue 14): the key is a row of the object that reference names
/// (`agreement/{merchant}/{reference}`), so when the reference is the agreement's id the claim travels in
/// the one call that decides and reserves (`ObjectAttempts::charge`), and the final answer in the one
/// call after forwarding that records the outcome (`Stores::settle`). The reference is part of the body,
/// hence of the fingerprint: a replay names the same object. A request that finds its agreement through
/// a token index (000, 003 `-100`) claims in the key's own object instead, since the index may point
/// elsewhere by the time of a replay.
#[derive(Debug)]
pub(crate) struct KeyTaker {
    merchant: String,
    reference: String,
    /// The key's digest and the request's fingerprint.
    pub claim: KeyClaim,
    taken: RefCell<Taken>,
    /// The answer to give instead when the call after forwarding fails (the outcome not recorded, the
    /// attempt pending): set by a route whose answer reports the attempt's status.
    unsettled: RefCell<Option<HttpResponse>>,
}

/// What the charge did with a [`KeyTaker`]'s key, for [`idempotent`] to finish.
#[derive(Debug, Default)]
pub(crate) enum Taken {
    /// Nothing was claimed (answered before any object was asked).
    #[default]
    No,
    /// Claimed on its own, before deciding (the reference is not the agreement's id, or the charge cannot
    /// be sent): the final answer is stored, or the key freed, as for any request.
    Claimed,
    /// The call that claims and reserves failed: whether it took the key is unknown, so it is freed.
    Unknown,
    /// Reserved in the agreement's object with the key: the outcome's attempt (when there is one) and the
    /// final answer are written in one call.
    Reserved { agreement: String, attempt: Option<Box<Attempt>> },
    /// The object decided a refusal and kept it as the key's answer, or left the key free; or the key's
    /// record answered (409, 422): nothing more to write.
    Decided,
    /// A replay, answered from the key's record.
    Replayed,
}

/// What a key's live record answers.
pub(crate) enum FromRecord {
    /// The stored answer (a replay), 422 for another body, 409 while the first is in flight.
    Answer(HttpResponse),
    /// A refusal the agreement's object kept: decide it again on the evaluation it was decided on.
    Decide(Box<Evaluation>),
}

impl KeyTaker {
    /// The taker for a charge naming `reference`, when the key is taken in the agreement's object: the
    /// Durable Object store, a valid key (header, else `body_key`), a reference that is not `-100`.
    pub fn new<K: Kv, P>(
        app: &App<'_, K, P>,
        merchant: &str,
        req: &HttpRequest,
        body_key: Option<&str>,
        reference: Option<&str>,
    ) -> Option<KeyTaker> {
        let reference = reference.filter(|r| *r != GRANDFATHERED_REFERENCE && !r.is_empty())?;
        let key = req.header("idempotency-key").or(body_key)?;
        if !app.stores.ledgers_in_objects() || invalid_key(key).is_some() {
            return None;
        }
        Some(KeyTaker {
            merchant: merchant.to_string(),
            reference: reference.to_string(),
            claim: KeyClaim { digest: sha256_hex(key.as_bytes()), fingerprint: fingerprint(req) },
            taken: RefCell::new(Taken::No),
            unsettled: RefCell::new(None),
        })
    }

    /// The reference whose object holds the key.
    pub fn reference(&self) -> &str {
        &self.reference
    }

    fn place(&self) -> KeyPlace<'_> {
        KeyPlace::Reference { merchant: &self.merchant, reference: &self.reference, claim: &self.claim }
    }

    /// Whether the key was claimed on its own already (a charge asked again: `handlers::charges::charge`).
    pub fn claimed_alone(&self) -> bool {
        matches!(&*self.taken.borrow(), Taken::Claimed)
    }

    /// Records what the charge did with the key.
    pub fn set(&self, taken: Taken) {
        self.taken.replace(taken);
    }

    /// The outcome's attempt, to be merged with the final answer (after [`Taken::Reserved`]).
    pub fn settle_with(&self, settled: Option<Attempt>) {
        if let Taken::Reserved { attempt, .. } = &mut *self.taken.borrow_mut() {
            *attempt = settled.map(Box::new);
        }
    }

    /// Whether an outcome waits to be written with the final answer.
    pub fn settles_an_outcome(&self) -> bool {
        matches!(&*self.taken.borrow(), Taken::Reserved { attempt: Some(_), .. })
    }

    /// The answer to give if writing the outcome with the final answer fails.
    pub fn if_unsettled(&self, answer: HttpResponse) {
        self.unsettled.replace(Some(answer));
    }

    /// Claims the key on its own, before a charge that will not take it in its reservation. `Err`: the
    /// request is answered from the key's record (or the store failed).
    pub async fn claim_alone<K: Kv, P>(&self, app: &App<'_, K, P>) -> Result<(), FromRecord> {
        let pending = IdempotencyRecord::pending(self.claim.fingerprint.clone(), app.now);
        match app.stores.claim_idempotency(self.place(), &pending).await {
            Err(e) => Err(FromRecord::Answer(store_failed(&e))),
            Ok(Some(record)) => Err(self.answer_from(record)),
            Ok(None) => {
                self.set(Taken::Claimed);
                Ok(())
            }
        }
    }

    /// What the key's live `record` answers (and that nothing more is written for this request).
    pub fn answer_from(&self, record: IdempotencyRecord) -> FromRecord {
        let answer = from_record(record, &self.claim.fingerprint);
        self.set(match &answer {
            Ok(_) | Err(FromRecord::Decide(_)) => Taken::Replayed,
            Err(FromRecord::Answer(_)) => Taken::Decided,
        });
        match answer {
            Ok(replayed) => FromRecord::Answer(replayed),
            Err(other) => other,
        }
    }
}

/// `Ok`: the stored answer to replay (without `Idempotent-Replayed`, which the caller adds); `Err`: 422
/// for another body, 409 while in flight, or a kept refusal to decide again.
fn from_record(record: IdempotencyRecord, fingerprint: &str) -> Result<HttpResponse, FromRecord> {
    if record.fingerprint != fingerprint {
        return Err(FromRecord::Answer(HttpResponse::error(
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was used with a different request body",
        )));
    }
    match (record.response, record.decided) {
        (Some(resp), _) => Ok(resp),
        (None, Some(evaluation)) => Err(FromRecord::Decide(Box::new(evaluation))),
        (None, None) => Err(FromRecord::Answer(
            HttpResponse::error(
                ErrorCode::IdempotencyInProgress,
                "a request with this Idempotency-Key is still being processed",
            )
            .with_header("retry-after", "1"),
        )),
    }
}

/// The record an answer is kept as: card numbers masked, no processor cookie.
fn kept(fingerprint: String, now: Timestamp, response: &HttpResponse) -> IdempotencyRecord {
    let mut kept = response.clone();
    kept.body = redact_card_numbers(&String::from_utf8_lossy(&kept.body)).into_bytes();
    // A processor's cookie is never kept (nor replayed).
    kept.headers.retain(|(k, _)| !drops_response_header(k));
    IdempotencyRecord { response: Some(kept), ..IdempotencyRecord::pending(fingerprint, now) }
}

/// Runs `work` at most once per `Idempotency-Key`: a replay gets the first answer (with
/// `Idempotent-Replayed: true`), the same key with another body gets 422, a replay while the first is
/// still in flight gets 409. The key is the header, or else `body_key`: the one the body names (the
/// canonical `idempotencyKey`, or the dialect's own transaction id on a proxied MIT). With a `taker`, the
/// charge in `work` takes the key itself ([`KeyTaker`]) and this only finishes what it left.
pub(crate) async fn idempotent<K: Kv, P, F>(
    app: &App<'_, K, P>,
    merchant: &str,
    req: &HttpRequest,
    body_key: Option<&str>,
    taker: Option<&KeyTaker>,
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
    if let Some(taker) = taker {
        return finish_taken(app, taker, work).await;
    }
    let digest = sha256_hex(key.as_bytes());
    let place = KeyPlace::Own { merchant, digest: &digest };
    let fp = fingerprint(req);
    let pending = IdempotencyRecord::pending(fp.clone(), app.now);
    match app.stores.claim_idempotency(place, &pending).await {
        Err(e) => return store_failed(&e),
        Ok(Some(record)) => {
            return match from_record(record, &fp) {
                Ok(resp) => resp.with_header("idempotent-replayed", "true"),
                Err(FromRecord::Answer(resp)) => resp,
                // Only an agreement's object keeps a decided refusal; a key-only record never holds one.
                Err(FromRecord::Decide(_)) => {
                    HttpResponse::error(ErrorCode::Internal, "an idempotency record holds no answer")
                }
            };
        }
        Ok(None) => {}
    }
    let (response, finality) = work.await;
    let stored = match finality {
        Finality::Retryable => app.stores.delete_idempotency(place).await,
        Finality::Final => app.stores.put_idempotency(place, &kept(fp, app.now, &response)).await,
    };
    match stored {
        Ok(()) => response,
        Err(e) => response.with_header("x-mitgate-warning", format!("idempotency record not saved: {}", e.0)),
    }
}

/// Finishes a key a charge took itself: one `settle` call after a reservation (the outcome's attempt and
/// the final answer), the final answer or the freed key after a claim on its own, nothing after a
/// decision the object kept or a replay.
async fn finish_taken<K: Kv, P, F>(app: &App<'_, K, P>, taker: &KeyTaker, work: F) -> HttpResponse
where
    F: std::future::Future<Output = (HttpResponse, Finality)>,
{
    let (response, finality) = work.await;
    let fp = taker.claim.fingerprint.clone();
    let record = match finality {
        Finality::Final => Some(kept(fp, app.now, &response)),
        Finality::Retryable => None,
    };
    let place = taker.place();
    let stored = match (taker.taken.take(), record) {
        (Taken::Replayed, _) => return response.with_header("idempotent-replayed", "true"),
        (Taken::Decided, _) | (Taken::No, None) => Ok(()),
        // Answered before anything was claimed, finally: kept unless a record appeared meanwhile.
        (Taken::No, Some(record)) => app.stores.claim_idempotency(place, &record).await.map(|_| ()),
        (Taken::Claimed | Taken::Unknown, None) => app.stores.delete_idempotency(place).await,
        (Taken::Claimed | Taken::Unknown, Some(record)) => app.stores.put_idempotency(place, &record).await,
        (Taken::Reserved { agreement, attempt }, record) => {
            let stores = app.stores;
            let settled = stores
                .settle(&taker.merchant, &agreement, &taker.claim, attempt.as_deref(), record.as_ref())
                .await;
            return match settled {
                Ok(()) => response,
                // Nothing was written: the attempt stays pending (it keeps its slot) and the key stays
                // claimed (a replay gets 409, never a second forward). The answer says so.
                Err(e) => taker.unsettled.take().unwrap_or(response).with_header(
                    "x-mitgate-warning",
                    format!("outcome not recorded and idempotency record not saved: {}", e.0),
                ),
            };
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
