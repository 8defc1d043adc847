//! `POST /v1/charges`, and [`charge`]: decide, reserve the velocity slot, forward, read and record the
//! outcome. The drop-in proxies run their MITs through [`charge`] too.

mod render;

use std::borrow::Cow;

use mitgate_core::decision::{Decision, Verdict};
use mitgate_core::engine;
use mitgate_core::json::{FromJson, Kind, Path, Value};
use mitgate_core::model::{
    Agreement, AgreementStatus, AttemptStatus, CardBrand, ChargeRequest, Decline, Outcome, OutcomeResult,
};
use mitgate_dialects::{DialectId, MitRequest};
use serde::Serialize;

use super::decisions::{parse_charge, refusal_response};
use super::load::load_with;
use super::outcomes::record_outcome_with;
use crate::app::{flatten, processor_base, store_failed, Answer, App, Call, Forwarded, Outbound, Processor};
use crate::error::{ErrorCode, ResponseKind};
use crate::http::{HttpRequest, HttpResponse};
use crate::idempotency::{finality_of, idempotent, invalid_key, FromRecord, KeyTaker, Taken};
use crate::redact::redact_card_numbers;
use crate::store::attempts::{AttemptStore, Charge, Keyed, LedgerKey, Reservation, ReserveError};
use crate::store::indexes::ATTEMPT_REF;
use crate::store::{AgreementRecord, AttemptRef, Kv, StoreError};
use render::render_mit;

/// How a charge ended.
#[derive(Debug)]
pub(crate) enum ChargeResult {
    /// The engine refused: nothing was reserved or forwarded.
    Refused(Box<Decision>),
    /// Answered from the idempotency key's record (a replay, another body, one in flight): nothing was
    /// decided.
    Answered(HttpResponse),
    /// Reserved and forwarded (or attempted).
    Sent(Box<Sent>),
}

#[derive(Debug)]
/// A charge that was reserved and forwarded (or attempted).
pub(crate) struct Sent {
    pub attempt_id: String,
    pub decision: Decision,
    pub dialect: DialectId,
    pub forwarded: Forwarded,
    /// The outcome read from the processor's answer (`None`: pending).
    pub outcome: Option<Outcome>,
    /// The attempt's status as recorded.
    pub status: AttemptStatus,
    /// The agreement after the outcome (status may have changed).
    pub agreement: Agreement,
    /// Set when the outcome could not be written back to KV.
    pub warning: Option<String>,
}

/// Where a charge goes: built once the agreement is known and the attempt id chosen.
pub(crate) type BuildOutbound<'f> =
    dyn Fn(&AgreementRecord, &ChargeRequest, &str) -> Result<(DialectId, Outbound), HttpResponse> + 'f;

/// Decide; when allowed, reserve the slot, forward, read the outcome and record it. With a `taker`
/// (the Durable Object store, a key, a request naming its agreement by reference) the key is taken in the
/// agreement's object by the call that decides and reserves, and the outcome is left to be written with
/// the final answer (`idempotency::KeyTaker`). With the Durable Object store a charge built on a copy of
/// the agreement its object no longer holds (revoked, replaced, a new CIT since this isolate read it) is
/// loaded again on the object's record and asked once more; a second change meanwhile answers 409.
pub(crate) async fn charge<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    request: ChargeRequest,
    build: &BuildOutbound<'_>,
    taker: Option<&KeyTaker>,
) -> Result<ChargeResult, HttpResponse> {
    for _ in 0..2 {
        if let Some(done) = charge_once(app, merchant, request.clone(), build, taker).await? {
            return Ok(done);
        }
    }
    Err(HttpResponse::error(
        ErrorCode::ConcurrentCharge,
        "the agreement changed twice while this charge was decided; nothing was sent, retry",
    )
    .with_header("retry-after", "1"))
}

/// One round of [`charge`]; `None`: the agreement's object holds another revision than the one loaded.
async fn charge_once<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    request: ChargeRequest,
    build: &BuildOutbound<'_>,
    taker: Option<&KeyTaker>,
) -> Result<Option<ChargeResult>, HttpResponse> {
    // With the Durable Object store the agreement's object decides on the ledger it holds, in the
    // reservation call itself: the ledger is neither read first nor sent (one object call per charge
    // before forwarding, issue 14). With KV the Worker decides on the ledger it read.
    let object_decides = app.stores.ledgers_in_objects();
    let mut loaded =
        load_with(app, merchant, request, !object_decides).await.map_err(|e| store_failed(&e))?;
    // The key goes with the reservation only into the agreement's own object; any other request claims it
    // on its own first, before anything is decided.
    let named = |t: &&KeyTaker| loaded.record.as_ref().is_some_and(|r| r.agreement.id == t.reference());
    let mut keyed = taker.filter(named);
    if let Some(t) = taker.filter(|t| !named(t) && !t.claimed_alone()) {
        if let Err(answer) = t.claim_alone(app).await {
            return Ok(Some(from_record(answer)));
        }
    }
    let record = match loaded.record.take() {
        Some(record) if object_decides => record,
        record => {
            let decision = engine::evaluate(&loaded.evaluation);
            let (Verdict::Allowed, Some(record)) = (decision.outcome, record) else {
                return Ok(Some(ChargeResult::Refused(Box::new(decision))));
            };
            record
        }
    };
    let attempt_id = (app.new_id)();
    let (dialect, outbound) = match build(&record, &loaded.evaluation.request, &attempt_id) {
        Ok(built) => built,
        // A charge that cannot be sent is still answered with its refusal when the ledger refuses it.
        Err(cannot_send) if object_decides => {
            // This isolate's copy of the agreement may be behind the object's: the next charge reads it.
            app.stores.forget_agreement(merchant, &record.agreement.id);
            if let Some(t) = keyed.take() {
                if let Err(answer) = t.claim_alone(app).await {
                    return Ok(Some(from_record(answer)));
                }
            }
            let ledger = app.stores.attempts(merchant, &record.agreement.id).await;
            loaded.evaluation.history.attempts = ledger.map_err(|e| store_failed(&e))?.attempts;
            let decision = engine::evaluate(&loaded.evaluation);
            return match decision.outcome {
                Verdict::Allowed => Err(cannot_send),
                Verdict::Refused => Ok(Some(ChargeResult::Refused(Box::new(decision)))),
            };
        }
        Err(cannot_send) => return Err(cannot_send),
    };
    let agreement_id = record.agreement.id.clone();

    // Reserve: the pending attempt holds a velocity slot before anything leaves the Worker. The store
    // decides again on the ledger as it holds it (store/attempts.rs).
    let key = LedgerKey { merchant, agreement: &agreement_id };
    let charge = Charge { evaluation: loaded.evaluation, attempt_id: &attempt_id };
    let reserved = match app.stores.agreement_objects() {
        // The object decides on the agreement it holds: built on another revision, nothing is decided
        // and this isolate now holds the object's (`None`: the caller loads again).
        Some(objects) => match objects.charge(key, charge, keyed.map(|t| &t.claim), Some(record.rev)).await {
            Ok(Keyed::Stale) => return Ok(None),
            Ok(Keyed::Existing(existing)) => match keyed {
                Some(t) => return Ok(Some(from_record(t.answer_from(*existing)))),
                None => Err(ReserveError::Store(StoreError("the object answered a key not asked".into()))),
            },
            Ok(Keyed::Decided(reservation)) => {
                if let Some(t) = keyed {
                    t.set(match &reservation {
                        Reservation::Reserved { .. } => {
                            Taken::Reserved { agreement: agreement_id.clone(), attempt: None }
                        }
                        Reservation::Refused(_) => Taken::Decided,
                    });
                }
                Ok(reservation)
            }
            Err(e) => {
                if let Some(t) = keyed {
                    t.set(Taken::Unknown);
                }
                Err(e)
            }
        },
        None => app.stores.attempt_store().reserve(key, charge).await,
    };
    let (decision, history) = match reserved {
        Ok(Reservation::Reserved { decision, history }) => (*decision, history),
        Ok(Reservation::Refused(decision)) => return Ok(Some(ChargeResult::Refused(decision))),
        Err(e) => return Err(not_reserved(e, &agreement_id, &attempt_id)),
    };

    let forwarded = app.processor.send(outbound, app.config.processor_timeout_ms).await;
    let mut warning = None;
    let outcome = match &forwarded {
        Forwarded::Answered(resp) => {
            let ctx = mitgate_dialects::OutcomeContext {
                attempt_id: &attempt_id,
                at: app.now,
                network: record.agreement.payment_method.brand,
            };
            match dialect.read_outcome(resp.status, &String::from_utf8_lossy(&resp.body), &ctx) {
                Ok(o) => o.map(|o| with_network_hint(o, resp)),
                Err(errors) => {
                    let m = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
                    warning = Some(format!(
                        "the processor's answer could not be read ({m}); the attempt stays pending"
                    ));
                    None
                }
            }
        }
        Forwarded::NotSent(_) => Some(Outcome {
            attempt_id: attempt_id.clone(),
            at: app.now,
            result: OutcomeResult::NotSent,
            payment_id: None,
            decline: None,
        }),
        Forwarded::TimedOut | Forwarded::Failed(_) => None,
    };

    let (agreement, status) = match &outcome {
        None => (record.agreement.clone(), AttemptStatus::Pending),
        Some(o) => {
            // With the key taken in the agreement's object, the attempt is written with the final answer.
            let r = record_outcome_with(app, merchant, &record, &history, o, keyed.is_none()).await;
            if let Some(t) = keyed {
                t.settle_with(r.settled);
            }
            if r.warning.is_some() {
                warning = r.warning;
            }
            (r.agreement, r.status)
        }
    };
    Ok(Some(ChargeResult::Sent(Box::new(Sent {
        attempt_id,
        decision,
        dialect,
        forwarded,
        outcome,
        status,
        agreement,
        warning,
    }))))
}

/// A charge answered from its key's record: the stored answer, or a kept refusal decided again on the
/// evaluation it was decided on (the engine is pure: the same decision, rendered as this route does).
fn from_record(answer: FromRecord) -> ChargeResult {
    match answer {
        FromRecord::Answer(response) => ChargeResult::Answered(response),
        FromRecord::Decide(evaluation) => ChargeResult::Refused(Box::new(engine::evaluate(&evaluation))),
    }
}

/// The answer when no slot was reserved, or when it is unknown whether one was (never "nothing was
/// changed" when something may have been: issue 15, item 4). Nothing was forwarded in any case.
fn not_reserved(error: ReserveError, agreement_id: &str, attempt_id: &str) -> HttpResponse {
    match error {
        ReserveError::Store(e) => store_failed(&e),
        ReserveError::Conflict(m) => HttpResponse::error(ErrorCode::Conflict, m),
        ReserveError::Raced => HttpResponse::error(ErrorCode::ConcurrentCharge, "another charge on this agreement reserved its slot at the same moment; nothing was sent, retry",
        )
        .with_header("retry-after", "1"),
        // The attempt was released: it holds no slot.
        ReserveError::Unverified { read, released: Ok(()) } => HttpResponse::error(ErrorCode::StoreUnavailable, format!(
                "the reservation could not be read back ({}); nothing was forwarded and attempt {attempt_id} was released",
                read.0
            ),
        ),
        // The attempt stays pending, holding its slot, until the merchant settles it.
        ReserveError::Unverified { read, released: Err(e) } => HttpResponse::error(ErrorCode::ReservationUnverified, format!(
                "attempt {attempt_id} was reserved but could not be read back ({}) nor released ({}); nothing was \
                 forwarded. It holds a velocity slot until settled: POST /v1/agreements/{agreement_id}/attempts/\
                 {attempt_id}/outcome with {{\"result\": \"not_sent\"}}",
                read.0, e.0
            ),
        )
        .with_header("x-mitgate-attempt-id", attempt_id),
    }
}

fn join_url(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}

/// `POST /v1/charges`, run at most once per `Idempotency-Key` (header, or the body's `idempotencyKey`).
pub(crate) async fn post<K: Kv, P: Processor>(app: &App<'_, K, P>, call: &Call<'_>) -> Answer {
    // Parsed first: the request names its idempotency key (the header, else the body's `idempotencyKey`).
    // Bad input is answered before any key is claimed; the header is checked first, as `idempotent` would.
    if let Some(invalid) = call.request.header("idempotency-key").and_then(invalid_key) {
        return Ok(invalid);
    }
    let request = parse_charge(call.request, call.merchant, app.now)?;
    let key = request.idempotency_key.clone();
    let taker = KeyTaker::new(app, call.merchant, call.request, key.as_deref(), Some(&request.reference));
    let taker = taker.as_ref();
    Ok(idempotent(app, call.merchant, call.request, key.as_deref(), taker, async {
        let resp = flatten(post_charge(app, call.merchant, call.request, request, taker).await);
        let finality = finality_of(&resp);
        (resp, finality)
    })
    .await)
}

/// `POST /v1/charges` itself: decided, then refused or forwarded.
async fn post_charge<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    req: &HttpRequest,
    request: ChargeRequest,
    taker: Option<&KeyTaker>,
) -> Answer {
    let authorization = req.header("authorization").map(str::to_string);
    let config = app.config;
    let now = app.now;
    let build = move |record: &AgreementRecord, request: &ChargeRequest, attempt_id: &str| {
        let Some(d) = record.dialect else {
            return Err(HttpResponse::error(
                ErrorCode::NoProcessor,
                "the agreement has no `dialect`: PUT it with the processor it was made with",
            ));
        };
        let base = processor_base(config, d)?;
        let MitRequest { path, mut headers, body } = render_mit(d, record, request, attempt_id, now)
            .map_err(|e| HttpResponse::error(ErrorCode::CannotRender, e.to_string()))?;
        if let Some(a) = &authorization {
            headers.push(("authorization".into(), a.clone()));
        }
        Ok((
            d,
            Outbound { method: "POST".into(), url: join_url(base, path), headers, body: body.into_bytes() },
        ))
    };
    let result = charge(app, merchant, request, &build, taker).await?;
    Ok(match result {
        ChargeResult::Answered(response) => response,
        ChargeResult::Refused(decision) => refusal_response(&decision),
        ChargeResult::Sent(mut sent) => {
            if sent.dialect == DialectId::Infinic {
                // The rendered auto-attempt's reference_id is the attempt id.
                if let Err(m) = link_infinic_attempt(
                    app,
                    merchant,
                    &sent.attempt_id,
                    &sent.agreement.id,
                    &sent.attempt_id,
                )
                .await
                {
                    sent.warning = Some(m);
                }
            }
            let answer = canonical_sent(&sent);
            // The outcome is written with the final answer (one call): if that call fails, the attempt
            // stays pending, and this is the answer given instead.
            if let Some(t) = taker.filter(|t| t.settles_an_outcome()) {
                sent.status = AttemptStatus::Pending;
                let unrecorded = "outcome not recorded (see X-Mitgate-Warning); the attempt stays pending";
                sent.warning = Some(match sent.warning.take() {
                    Some(w) => format!("{w}; {unrecorded}"),
                    None => unrecorded.to_string(),
                });
                t.if_unsettled(canonical_sent(&sent));
            }
            answer
        }
    })
}

/// The answer of `POST /v1/charges` once the charge was sent (openapi.yaml `ChargeAnswer`). Written in
/// name order at every depth (`HttpResponse::json_in_name_order`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ChargeAnswer<'a> {
    /// `approved`, `declined`, `not_sent` or `pending`.
    pub outcome: ChargeOutcome,
    /// The attempt's id (also in `X-Mitgate-Attempt-Id`).
    pub attempt_id: &'a str,
    /// The attempt's status as recorded.
    pub attempt_status: AttemptStatus,
    /// The processor's payment id, when it gave one.
    pub payment_id: Option<&'a str>,
    /// The decline, when declined.
    pub decline: Option<&'a Decline>,
    /// The agreement's status after the outcome.
    pub agreement_status: AgreementStatus,
    /// What `not_sent` and `pending` mean for the slot.
    pub message: Option<&'static str>,
    /// Which processor, and what it answered.
    pub processor: ProcessorPart<'a>,
    /// The decision that allowed the charge.
    pub decision: &'a Decision,
    /// Set when the outcome could not be written back.
    pub warning: Option<&'a str>,
}

/// `ChargeAnswer.processor`.
#[derive(Debug, Serialize)]
pub(crate) struct ProcessorPart<'a> {
    /// The processor's dialect.
    pub dialect: DialectId,
    /// What the processor answered, or why it did not.
    pub answer: ProcessorAnswer<'a>,
}

/// `ChargeAnswer.processor.answer`: `{status, body}` when the processor answered, `{error}` when it did
/// not.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum ProcessorAnswer<'a> {
    /// Its HTTP status and body.
    Answered {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: QuotedBody,
    },
    /// Nothing was answered.
    Unanswered {
        /// Why.
        error: &'a str,
    },
}

/// A processor's body quoted in our answer: JSON as it was written (its exact text, numbers and all),
/// anything else as a string with card numbers redacted.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum QuotedBody {
    /// A JSON body.
    Json(mitgate_json::RawJson),
    /// Any other body.
    Text(String),
}

/// What happened to a sent charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ChargeOutcome {
    /// The processor approved it.
    Approved,
    /// The processor declined it.
    Declined,
    /// The processor did not process it; the slot was released.
    NotSent,
    /// Unknown: it may have charged; the attempt keeps its slot.
    Pending,
}

fn canonical_sent(sent: &Sent) -> HttpResponse {
    use ChargeOutcome::{Approved, Declined, NotSent, Pending};
    let result = sent.outcome.as_ref().map(|o| o.result);
    let (outcome, http, answer) = match &sent.forwarded {
        Forwarded::Answered(resp) => {
            let body = match resp.body_raw() {
                Some(json) => QuotedBody::Json(json),
                None => QuotedBody::Text(redact_card_numbers(&String::from_utf8_lossy(&resp.body))),
            };
            let answer = ProcessorAnswer::Answered { status: resp.status, body };
            match result {
                Some(OutcomeResult::Approved) => (Approved, 200, answer),
                Some(OutcomeResult::Declined) => (Declined, 402, answer),
                Some(OutcomeResult::NotSent) => (NotSent, 502, answer),
                None => (Pending, 502, answer),
            }
        }
        Forwarded::NotSent(m) => (NotSent, 502, ProcessorAnswer::Unanswered { error: m }),
        Forwarded::TimedOut => (Pending, 504, ProcessorAnswer::Unanswered { error: "timed out" }),
        Forwarded::Failed(m) => (Pending, 502, ProcessorAnswer::Unanswered { error: m }),
    };
    let message = match outcome {
        NotSent => Some("the processor did not process the charge; the velocity slot was released"),
        Pending if http == 504 => Some("the processor did not answer in time; it may have charged, so the attempt stays pending and keeps its velocity slot"),
        Pending => Some("the processor's answer does not settle the charge; it may have charged, so the attempt stays pending and keeps its velocity slot"),
        Approved | Declined => None,
    };
    let answer = ChargeAnswer {
        outcome,
        attempt_id: &sent.attempt_id,
        attempt_status: sent.status,
        payment_id: sent.outcome.as_ref().and_then(|o| o.payment_id.as_deref()),
        decline: sent.outcome.as_ref().and_then(|o| o.decline.as_ref()),
        agreement_status: sent.agreement.status,
        message,
        processor: ProcessorPart { dialect: sent.dialect, answer },
        decision: &sent.decision,
        warning: sent.warning.as_deref(),
    };
    let kind = if outcome == NotSent { ResponseKind::NotSent } else { ResponseKind::Answer };
    HttpResponse::json_in_name_order(http, &answer)
        .of_kind(kind)
        .with_header("x-mitgate-attempt-id", sent.attempt_id.clone())
}

/// A decline whose network the dialect could not tell (a token with no brand) takes the processor's
/// `network` / `brand` field when its answer carries one, so the card-network retry rules apply.
fn with_network_hint(mut outcome: Outcome, resp: &HttpResponse) -> Outcome {
    if let Some(d) = outcome.decline.as_mut().filter(|d| d.network.is_none()) {
        d.network = resp.body_json().and_then(|v| {
            let field = v.get("network").or_else(|| v.get("brand"))?;
            let name = field.text()?.to_ascii_lowercase();
            let name = Value { kind: Kind::String(Cow::Borrowed(&name)), at: 0 };
            CardBrand::from_json(&name, &Path::root("")).ok()
        });
    }
    outcome
}

/// Remembers which attempt a 000 auto-attempt's `reference_id` became, for its `StatusChange` webhook.
pub(crate) async fn link_infinic_attempt<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    reference: &str,
    agreement_id: &str,
    attempt_id: &str,
) -> Result<(), String> {
    let link = AttemptRef { agreement_id: agreement_id.to_string(), attempt_id: attempt_id.to_string() };
    app.stores
        .link(&ATTEMPT_REF, merchant, reference, &link)
        .await
        .map_err(|e| format!("StatusChange link not recorded: {}", e.0))
}
