//! The canonical API's handlers, independent of the Worker runtime: each takes the app (stores,
//! processor, configuration, clock) and a request, and answers. See `docs/worker.md` for the API.

use std::borrow::Cow;

use sha2::{Digest, Sha256};

use mitgate_core::api::evaluate_json;
use mitgate_core::decision::{Decision, Verdict};
use mitgate_core::engine::{self, Evaluation, LimitsQuery};
use mitgate_core::json::{self, FromJson, Kind, Path, Value};
use mitgate_core::json_struct;
use mitgate_core::model::CardBrand;
use mitgate_core::model::{
    Agreement, AgreementStatus, AttemptStatus, ChargeRequest, History, Outcome, OutcomeResult,
    GRANDFATHERED_REFERENCE,
};
use mitgate_core::policy::Policy;
use mitgate_core::state;
use mitgate_core::time::Timestamp;
use mitgate_core::validate::{FieldError, MAX_INPUT_BYTES};

use crate::auth::{MerchantKeys, KEY_HEADER};
use crate::dialect::{self, Dialect, Rendered};
use crate::http::{HttpRequest, HttpResponse};
use crate::redact::redact_card_numbers;
use crate::store::{AgreementRecord, AttemptLedger, IdempotencyRecord, Kv, StoreError, Stores};
use crate::tree::{clip, member, member_at, text};

/// Deployment settings read from the environment.
#[derive(Debug, Default)]
pub(crate) struct Config {
    pub keys: MerchantKeys,
    pub processor_urls: Vec<(Dialect, String)>,
    /// Largest accepted request body (413 above).
    pub max_body_bytes: usize,
    /// How long a processor may take before the Worker answers 504.
    pub processor_timeout_ms: u64,
    /// Forward the sandbox processor's `x-sandbox-*` test headers (`MITGATE_SANDBOX_HEADERS = "1"`).
    pub sandbox_headers: bool,
}

/// The default body limit: 64 KiB (every document's request is well under 4 KiB).
pub(crate) const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
/// The default processor timeout.
pub(crate) const DEFAULT_PROCESSOR_TIMEOUT_MS: u64 = 10_000;
/// The self-contained evaluation accepts what the engine accepts (1 MiB) plus a margin, so the
/// engine's own size error is what a caller sees.
pub(crate) const EVALUATE_MAX_BODY_BYTES: usize = (1 << 20) + 1024;

impl Config {
    pub fn processor_url(&self, dialect: Dialect) -> Option<&str> {
        self.processor_urls.iter().find(|(d, _)| *d == dialect).map(|(_, u)| u.as_str())
    }
}

/// A request to a processor.
#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What became of a forwarded request.
#[derive(Debug, Clone)]
pub(crate) enum Forwarded {
    /// The processor answered (any status).
    Answered(HttpResponse),
    /// The connection failed before the request was sent: nothing can have been charged.
    NotSent(String),
    /// No answer within the timeout: the processor may have charged.
    TimedOut,
    /// The connection failed after sending, or in a way that cannot tell: may have charged.
    Failed(String),
}

/// Sends requests to processors.
#[allow(async_fn_in_trait, reason = "single-threaded Worker: futures need not be Send")]
pub(crate) trait Processor {
    async fn send(&self, request: Outbound, timeout_ms: u64) -> Forwarded;
}

/// Everything a handler needs.
pub(crate) struct App<'a, K, P> {
    pub stores: &'a Stores<K>,
    pub processor: &'a P,
    pub config: &'a Config,
    pub now: Timestamp,
    /// A fresh unique id (attempt ids).
    pub new_id: &'a dyn Fn() -> String,
}

/// Handler results: `Err` is an early answer (an error response).
pub(crate) type Answer = Result<HttpResponse, HttpResponse>;

pub(crate) fn flatten(a: Answer) -> HttpResponse {
    a.unwrap_or_else(|e| e)
}

pub(crate) fn store_failed(e: &StoreError) -> HttpResponse {
    // The detail names a key or a KV error, never a body: safe to return, useful to operators.
    HttpResponse::error(
        503,
        "store_unavailable",
        format!("KV is unavailable; nothing was changed or forwarded ({})", e.0),
    )
    .with_header("retry-after", "1")
}

/// The merchant behind `X-Mitgate-Key`, or 401.
pub(crate) fn authenticate(config: &Config, req: &HttpRequest) -> Result<String, HttpResponse> {
    let Some(key) = req.header(KEY_HEADER) else {
        return Err(HttpResponse::error(
            401,
            "missing_key",
            "send your mitgate key in the X-Mitgate-Key header",
        )
        .with_header("www-authenticate", "X-Mitgate-Key"));
    };
    config.keys.authenticate(key).map(str::to_string).ok_or_else(|| {
        HttpResponse::error(401, "invalid_key", "the X-Mitgate-Key is not a configured merchant key")
            .with_header("www-authenticate", "X-Mitgate-Key")
    })
}

fn forbidden(what: &str) -> HttpResponse {
    HttpResponse::error(403, "forbidden", format!("this {what} belongs to another merchant"))
}

fn not_found(what: &str, id: &str) -> HttpResponse {
    HttpResponse::error(404, "not_found", format!("no {what} `{}`", id.chars().take(64).collect::<String>()))
}

fn invalid_one(path: &str, message: impl Into<String>) -> HttpResponse {
    HttpResponse::invalid(&[FieldError::new(path, message)])
}

fn strip_root(mut errors: Vec<FieldError>) -> Vec<FieldError> {
    for e in &mut errors {
        if let Some(p) = e.path.strip_prefix('.') {
            e.path = p.to_string();
        }
    }
    errors
}

/// The body read as `T`, or a 400 naming the field (a key given twice is refused by its path).
fn parse_body<T: FromJson>(req: &HttpRequest) -> Result<T, HttpResponse> {
    crate::tree::read_body(req.text()?).map_err(|e| HttpResponse::invalid(&[e]))
}

// ---------------------------------------------------------------------------------------------
// Policy

pub(crate) async fn get_policy<K: Kv, P>(app: &App<'_, K, P>, merchant: &str) -> Answer {
    match app.stores.policy(merchant).await.map_err(|e| store_failed(&e))? {
        Some(p) => Ok(HttpResponse::json(200, &p)),
        None => Err(HttpResponse::error(
            404,
            "not_found",
            "no policy configured: MIT charges are refused (mit_not_enabled)",
        )),
    }
}

pub(crate) async fn put_policy<K: Kv, P>(app: &App<'_, K, P>, merchant: &str, req: &HttpRequest) -> Answer {
    let policy: Policy = parse_body(req)?;
    let mut errors = Vec::new();
    policy.validate("", &mut errors);
    if !errors.is_empty() {
        return Err(HttpResponse::invalid(&strip_root(errors)));
    }
    app.stores.put_policy(merchant, &policy).await.map_err(|e| store_failed(&e))?;
    Ok(HttpResponse::json(200, &policy))
}

// ---------------------------------------------------------------------------------------------
// Agreements

/// `PUT /v1/agreements/{id}` body.
#[derive(Debug)]
struct PutAgreement {
    agreement: Agreement,
    history: Option<History>,
    dialect: Option<Dialect>,
    processor_context: serde_json::Map<String, serde_json::Value>,
}

impl FromJson for PutAgreement {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let o = value.object(path, &["agreement", "history", "dialect", "processorContext"], true)?;
        Ok(PutAgreement {
            agreement: o.req("agreement")?,
            history: o.opt("history")?,
            dialect: o.opt("dialect")?,
            processor_context: match o.get("processorContext") {
                None => serde_json::Map::new(),
                Some(v) => crate::tree::to_serde_map(v, &path.key("processorContext"))?,
            },
        })
    }
}

pub(crate) fn record_json(record: &AgreementRecord, ledger: &AttemptLedger) -> serde_json::Value {
    serde_json::json!({
        "agreement": record.agreement,
        "history": {"payments": record.payments, "attempts": ledger.attempts},
        "dialect": record.dialect,
        "processorContext": record.processor_context,
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
    })
}

/// Loads an agreement the caller owns: 404 when missing, which is what another merchant's id gives too
/// (agreements are keyed by merchant; the 403 is a guard against a record stored under the wrong key).
async fn owned<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    id: &str,
) -> Result<AgreementRecord, HttpResponse> {
    let record = app.stores.agreement(merchant, id).await.map_err(|e| store_failed(&e))?;
    match record {
        None => Err(not_found("agreement", id)),
        Some(r) if r.agreement.merchant_id != merchant => Err(forbidden("agreement")),
        Some(r) => Ok(r),
    }
}

pub(crate) async fn get_agreement<K: Kv, P>(app: &App<'_, K, P>, merchant: &str, id: &str) -> Answer {
    let record = owned(app, merchant, id).await?;
    let ledger = app.stores.attempts(merchant, id).await.map_err(|e| store_failed(&e))?;
    Ok(HttpResponse::json(200, &record_json(&record, &ledger)))
}

pub(crate) async fn put_agreement<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    id: &str,
    req: &HttpRequest,
) -> Answer {
    let body: PutAgreement = parse_body(req)?;
    let mut errors = Vec::new();
    body.agreement.validate("agreement", &mut errors);
    if let Some(h) = &body.history {
        h.validate("history", &mut errors);
    }
    if body.agreement.id != id {
        errors.push(FieldError::new("agreement.id", "must equal the id in the path"));
    }
    if body.agreement.established.at > now_plus_a_day(app.now) {
        errors.push(FieldError::new("agreement.established.at", "is in the future"));
    }
    for (k, v) in &body.processor_context {
        if mitgate_core::pan::looks_like_card_number(&v.to_string()) {
            errors.push(FieldError::new(
                format!("processorContext.{k}"),
                "looks like a card number; never send card data",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(HttpResponse::invalid(&errors));
    }
    if body.agreement.merchant_id != merchant {
        return Err(HttpResponse::error(
            403,
            "forbidden",
            "agreement.merchantId must be your own merchant id",
        ));
    }
    let existing = app.stores.agreement(merchant, id).await.map_err(|e| store_failed(&e))?;
    if existing.as_ref().is_some_and(|r| r.agreement.merchant_id != merchant) {
        return Err(forbidden("agreement"));
    }
    // A PUT never loosens the status: a revocation, or a re-authentication the processor asked for, stands
    // until a new authenticated CIT creates a new agreement (issue 15, item 1).
    if let Some(prev) = &existing {
        if strictness(body.agreement.status) < strictness(prev.agreement.status) {
            return Err(HttpResponse::error(
                409,
                "agreement_status_stands",
                format!(
                    "this agreement is {}; a PUT cannot make it {} (a new authenticated CIT creates a new agreement)",
                    status_name(prev.agreement.status),
                    status_name(body.agreement.status)
                ),
            ));
        }
    }
    let created = existing.is_none();
    let history = body.history.unwrap_or_default();
    let record = AgreementRecord {
        agreement: body.agreement,
        payments: history.payments,
        dialect: body.dialect.or_else(|| existing.as_ref().and_then(|r| r.dialect)),
        processor_context: body.processor_context,
        created_at: existing.as_ref().map_or(app.now, |r| r.created_at),
        updated_at: app.now,
    };
    app.stores.put_agreement(&record).await.map_err(|e| store_failed(&e))?;
    // Once the agreement is written a failure must not answer "nothing was changed": say what was written.
    // A PUT is idempotent, so sending it again completes it.
    let partial = |e: &StoreError| {
        HttpResponse::error(
            503,
            "store_unavailable",
            format!(
                "the agreement was written but its indexes or attempts were not ({}); send the same PUT again \
                 to complete it",
                e.0
            ),
        )
        .with_header("retry-after", "1")
    };
    app.stores
        .put_token_index(merchant, &record.agreement.credential.token, id)
        .await
        .map_err(|e| partial(&e))?;
    if let Some(customer) = &record.agreement.customer_id {
        app.stores.add_customer_agreement(merchant, customer, id).await.map_err(|e| partial(&e))?;
    }
    // Attempts are added, never replaced or dropped: the ledger keeps every attempt it holds (pending ones
    // keep their slots); a given attempt whose id is already there is ignored.
    let mut ledger = app.stores.attempts(merchant, id).await.map_err(|e| partial(&e))?;
    for attempt in history.attempts {
        if !ledger.attempts.iter().any(|a| a.id == attempt.id) {
            app.stores.merge_attempt(merchant, id, &attempt).await.map_err(|e| partial(&e))?;
            ledger.attempts.push(attempt);
        }
    }
    let answer = HttpResponse::json(if created { 201 } else { 200 }, &record_json(&record, &ledger));
    Ok(match index_customer(app, &record).await {
        Ok(()) => answer,
        Err(m) => answer.with_header("x-mitgate-warning", m),
    })
}

/// How far a status is from chargeable: a PUT may keep or raise it, never lower it.
fn strictness(status: AgreementStatus) -> u8 {
    match status {
        AgreementStatus::Active => 0,
        AgreementStatus::ReauthenticationRequired => 1,
        AgreementStatus::Revoked => 2,
    }
}

fn status_name(status: AgreementStatus) -> &'static str {
    match status {
        AgreementStatus::Active => "active",
        AgreementStatus::ReauthenticationRequired => "reauthentication_required",
        AgreementStatus::Revoked => "revoked",
    }
}

pub(crate) async fn delete_agreement<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    id: &str,
    req: &HttpRequest,
) -> Answer {
    let mut record = owned(app, merchant, id).await?;
    let reason = req.query_param("reason").unwrap_or_else(|| "customer_removed_card".to_string());
    let mut errors = Vec::new();
    if reason.is_empty()
        || reason.len() > 64
        || !reason.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        errors.push(FieldError::new("reason", "must be 1-64 letters, digits or underscores"));
        return Err(HttpResponse::invalid(&errors));
    }
    record.agreement = state::revoke(&record.agreement, app.now, &reason);
    record.updated_at = app.now;
    app.stores.put_agreement(&record).await.map_err(|e| store_failed(&e))?;
    let ledger = app.stores.attempts(merchant, id).await.map_err(|e| store_failed(&e))?;
    Ok(HttpResponse::json(200, &record_json(&record, &ledger)))
}

pub(crate) async fn agreement_limits<K: Kv, P>(app: &App<'_, K, P>, merchant: &str, id: &str) -> Answer {
    let record = owned(app, merchant, id).await?;
    let ledger = app.stores.attempts(merchant, id).await.map_err(|e| store_failed(&e))?;
    let policy = app.stores.policy(merchant).await.map_err(|e| store_failed(&e))?.unwrap_or_default();
    let payments = payments_of(app, &record).await.map_err(|e| store_failed(&e))?;
    let credential_attempts =
        credential_attempts(app, merchant, &record.agreement).await.map_err(|e| store_failed(&e))?;
    let query = LimitsQuery {
        now: app.now,
        policy,
        agreement: record.agreement,
        history: History { payments, attempts: ledger.attempts, credential_attempts },
    };
    let limits = engine::limits(&query);
    Ok(HttpResponse::json(
        200,
        &serde_json::json!({"now": app.now, "agreementStatus": query.agreement.status, "limits": limits}),
    ))
}

/// `POST /v1/agreements/{id}/attempts/{attemptId}/outcome` body: how a pending attempt ended, as the
/// merchant learnt it from the processor (a timeout or a lost connection leaves the attempt pending).
#[derive(Debug)]
struct OutcomeBody {
    result: OutcomeResult,
    payment_id: Option<String>,
    decline: Option<mitgate_core::model::Decline>,
}

json_struct!(OutcomeBody, deny_unknown {
    result: req "result",
    payment_id: opt "paymentId",
    decline: opt "decline",
});

pub(crate) async fn post_outcome<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    id: &str,
    attempt_id: &str,
    req: &HttpRequest,
) -> Answer {
    let body: OutcomeBody = parse_body(req)?;
    let record = owned(app, merchant, id).await?;
    let ledger = app.stores.attempts(merchant, id).await.map_err(|e| store_failed(&e))?;
    let history =
        History { payments: record.payments.clone(), attempts: ledger.attempts, ..Default::default() };
    let outcome = Outcome {
        attempt_id: attempt_id.to_string(),
        at: app.now,
        result: body.result,
        payment_id: body.payment_id,
        decline: body.decline,
    };
    let mut errors = Vec::new();
    outcome.validate("", &mut errors);
    if !errors.is_empty() {
        return Err(HttpResponse::invalid(&errors));
    }
    let (agreement, next) =
        state::apply_outcome(&record.agreement, &history, &outcome).map_err(|e| match e {
            state::StateError::UnknownAttempt(_) => not_found("attempt", attempt_id),
            state::StateError::MissingDecline => {
                invalid_one("decline", "is required when result is declined")
            }
            other => HttpResponse::error(409, "conflict", other.to_string()),
        })?;
    // INVARIANT: the attempt's resolution is written last. Until it is, the attempt is pending and the
    // same request applies the outcome again, so a failure part way leaves a state the retry completes
    // (the agreement's new status and the payment index are written before, and are idempotent).
    let mut record = record;
    if agreement != record.agreement {
        record.agreement = agreement;
        record.updated_at = app.now;
        app.stores.put_agreement(&record).await.map_err(|e| store_failed(&e))?;
    }
    let partial = |e: &StoreError| {
        HttpResponse::error(
            503,
            "store_unavailable",
            format!(
                "the outcome was not recorded ({}): attempt {attempt_id} is still pending; the agreement's \
                 status may already show it. Send the same request again to complete it",
                e.0
            ),
        )
        .with_header("retry-after", "1")
    };
    if let Some(pid) = outcome.payment_id.as_deref() {
        app.stores.put_payment_index(merchant, pid, id).await.map_err(|e| partial(&e))?;
    }
    if let Some(settled) = next.attempts.iter().find(|a| a.id == attempt_id) {
        app.stores.merge_attempt(merchant, id, settled).await.map_err(|e| partial(&e))?;
    }
    let ledger = AttemptLedger { attempts: next.attempts };
    Ok(HttpResponse::json(200, &record_json(&record, &ledger)))
}

// ---------------------------------------------------------------------------------------------
// Decisions

/// Parses a canonical charge request; `merchantId` may be left out (it is the caller's).
pub(crate) fn parse_charge(
    req: &HttpRequest,
    merchant: &str,
    now: Timestamp,
) -> Result<ChargeRequest, HttpResponse> {
    let text = req.text()?;
    if text.len() > MAX_INPUT_BYTES {
        return Err(invalid_one("", format!("input is larger than {MAX_INPUT_BYTES} bytes")));
    }
    let value = json::parse(text).map_err(|e| invalid_one("", format!("malformed JSON: {}", e.message)))?;
    if let Some(path) = crate::tree::duplicate_path(&value) {
        return Err(invalid_one(&path, "is given more than once"));
    }
    let given_merchant = match member(&value, "merchantId").map(|v| &v.kind) {
        Some(Kind::String(m)) if m != merchant => {
            return Err(HttpResponse::error(403, "forbidden", "merchantId must be your own merchant id"));
        }
        given => given.is_some(),
    };
    let given_key = member(&value, "idempotencyKey").is_some();
    let Value { kind: Kind::Object(mut entries), at } = value else {
        return Err(invalid_one("", "must be a JSON object"));
    };
    // The caller's merchant id and the Idempotency-Key header fill in what the body leaves out; values
    // added here sit at the object's position (they cannot fail to read).
    let added = |s: &str| Value { kind: Kind::String(Cow::Owned(s.to_string())), at };
    if !given_merchant {
        entries.push((Cow::Borrowed("merchantId"), added(merchant)));
    }
    if let (false, Some(k)) = (given_key, req.header("idempotency-key")) {
        entries.push((Cow::Borrowed("idempotencyKey"), added(k)));
    }
    let body = Value { kind: Kind::Object(entries), at };
    let request =
        ChargeRequest::from_json(&body, &Path::root(text)).map_err(|e| HttpResponse::invalid(&[clip(e)]))?;
    let mut errors = Vec::new();
    request.validate("", &mut errors);
    let mut errors = strip_root(errors);
    for (path, at) in [
        ("referenceAt", request.reference_at),
        ("noticeSentAt", request.notice_sent_at),
        ("reminderSentAt", request.reminder_sent_at),
    ] {
        if at.is_some_and(|t| t > now_plus_a_day(now)) {
            errors.push(FieldError::new(path, "is in the future"));
        }
    }
    if !errors.is_empty() {
        return Err(HttpResponse::invalid(&errors));
    }
    Ok(request)
}

/// Times a caller reports (a reference's time, a notice sent, an agreement established) may run ahead of
/// the Worker's clock by a day of clock skew, no more.
fn now_plus_a_day(now: Timestamp) -> Timestamp {
    now.plus_seconds(86_400)
}

/// The agreement a charge request names: by id, by an MIT payment id (chaining is then refused by the
/// engine), or by credential token for a grandfathered `-100` reference.
pub(crate) async fn resolve<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    request: &ChargeRequest,
) -> Result<Option<AgreementRecord>, StoreError> {
    if request.reference == GRANDFATHERED_REFERENCE {
        let Some(token) = &request.credential_token else { return Ok(None) };
        let Some(id) = app.stores.agreement_by_token(merchant, token).await? else { return Ok(None) };
        return app.stores.agreement(merchant, &id).await;
    }
    if let Some(r) = app.stores.agreement(merchant, &request.reference).await? {
        return Ok(Some(r));
    }
    match app.stores.agreement_by_payment(merchant, &request.reference).await? {
        Some(id) => app.stores.agreement(merchant, &id).await,
        None => Ok(None),
    }
}

/// The attempts on an agreement's credential token under the merchant's other agreement, found through
/// the (merchant, token) index (`token/v1/...`, which names the latest agreement stored on the token), from
/// that agreement's ledger in the configured store. The card networks count declines per card, so the
/// engine's retry rules read them (`history.credentialAttempts`). Only the indexed agreement is seen: an
/// older third agreement on the same token is not (docs/worker.md).
async fn credential_attempts<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    agreement: &Agreement,
) -> Result<Vec<mitgate_core::model::Attempt>, StoreError> {
    let token = agreement.credential.token.as_str();
    let Some(other) = app.stores.agreement_by_token(merchant, token).await? else { return Ok(Vec::new()) };
    if other == agreement.id {
        return Ok(Vec::new());
    }
    let mut attempts = app.stores.attempts(merchant, &other).await?.attempts;
    // An attempt without a token charged that agreement's credential: this token, by the index.
    for a in &mut attempts {
        a.credential_token.get_or_insert_with(|| token.to_string());
    }
    attempts.retain(|a| a.credential_token.as_deref() == Some(token));
    Ok(attempts)
}

/// The state a decision is made on.
pub(crate) struct Loaded {
    pub record: Option<AgreementRecord>,
    pub evaluation: Evaluation,
}

pub(crate) async fn load<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    request: ChargeRequest,
) -> Result<Loaded, StoreError> {
    let record = resolve(app, merchant, &request).await?;
    let ledger = match &record {
        Some(r) => app.stores.attempts(merchant, &r.agreement.id).await?,
        None => AttemptLedger::default(),
    };
    let policy = app.stores.policy(merchant).await?.unwrap_or_default();
    let payments = match &record {
        Some(r) => payments_of(app, r).await?,
        None => Vec::new(),
    };
    let credential_attempts = match &record {
        Some(r) => credential_attempts(app, merchant, &r.agreement).await?,
        None => Vec::new(),
    };
    let evaluation = Evaluation {
        now: app.now,
        policy,
        agreement: record.as_ref().map(|r| r.agreement.clone()),
        history: History { payments, attempts: ledger.attempts.clone(), credential_attempts },
        request,
    };
    Ok(Loaded { record, evaluation })
}

/// The CIT payments a decision on this agreement counts: its own and, when it names a customer, every
/// other CVV-verified CIT of that customer with this merchant (`customer.rs`). The agreement's merchant
/// is the index's (agreements are keyed by merchant: another merchant's is never loaded).
pub(crate) async fn payments_of<K: Kv, P>(
    app: &App<'_, K, P>,
    record: &AgreementRecord,
) -> Result<Vec<mitgate_core::model::Payment>, StoreError> {
    match &record.agreement.customer_id {
        None => Ok(record.payments.clone()),
        Some(customer) => {
            let index = app.stores.customer_index(&record.agreement.merchant_id, customer).await?;
            Ok(crate::customer::history_payments(record, &index))
        }
    }
}

/// Adds an agreement's CVV-verified CITs to its customer's index, pruned with the merchant's lookback.
/// `Err` names what was not recorded: the agreement is stored either way, and its own payments still
/// count for it; only the customer's other references miss the raise (a lower ceiling, never a higher).
pub(crate) async fn index_customer<K: Kv, P>(
    app: &App<'_, K, P>,
    record: &AgreementRecord,
) -> Result<(), String> {
    let Some(customer) = &record.agreement.customer_id else { return Ok(()) };
    let payments = crate::customer::indexable(record);
    if payments.is_empty() {
        return Ok(());
    }
    let merchant = &record.agreement.merchant_id;
    let not_indexed = |e: StoreError| {
        format!(
            "the customer's index was not updated ({}): this payment raises only its own reference's ceiling",
            e.0
        )
    };
    let lookback =
        app.stores.policy(merchant).await.map_err(not_indexed)?.and_then(|p| p.max_amount_lookback);
    let add = crate::customer::CustomerAdd { payments, lookback };
    app.stores.add_customer_payments(merchant, customer, &add, app.now).await.map_err(not_indexed)
}

pub(crate) async fn post_decision<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    req: &HttpRequest,
) -> Answer {
    let request = parse_charge(req, merchant, app.now)?;
    let loaded = load(app, merchant, request).await.map_err(|e| store_failed(&e))?;
    let decision = engine::evaluate(&loaded.evaluation);
    Ok(HttpResponse::json(200, &serde_json::json!({"now": app.now, "decision": decision})))
}

/// `POST /v1/decisions/evaluate`: the engine on a self-contained input, byte for byte what
/// `mitgate_core::api::evaluate_json` answers natively. Reads and writes nothing.
pub(crate) fn post_evaluate(req: &HttpRequest) -> Answer {
    let text = req.text()?;
    let out = evaluate_json(text);
    let status = if out.starts_with(r#"{"type":"success""#) { 200 } else { 400 };
    Ok(HttpResponse::json_text(status, out))
}

fn refusal_response(decision: &Decision) -> HttpResponse {
    let mut r = HttpResponse::json(
        decision.http_status,
        &serde_json::json!({"outcome": "refused", "decision": decision}),
    );
    if let Some(s) = decision.retry_after_seconds {
        r = r.with_header("retry-after", s.to_string());
    }
    r
}

// ---------------------------------------------------------------------------------------------
// Charges

/// How a charge ended.
#[derive(Debug)]
pub(crate) enum ChargeResult {
    /// The engine refused: nothing was reserved or forwarded.
    Refused(Box<Decision>),
    /// Reserved and forwarded (or attempted).
    Sent(Box<Sent>),
}

#[derive(Debug)]
pub(crate) struct Sent {
    pub attempt_id: String,
    pub decision: Decision,
    pub dialect: Dialect,
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
    dyn Fn(&AgreementRecord, &ChargeRequest, &str) -> Result<(Dialect, Outbound), HttpResponse> + 'f;

/// Decide; when allowed, reserve the slot, forward, read the outcome and record it.
pub(crate) async fn charge<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    request: ChargeRequest,
    build: &BuildOutbound<'_>,
) -> Result<ChargeResult, HttpResponse> {
    let loaded = load(app, merchant, request).await.map_err(|e| store_failed(&e))?;
    let decision = engine::evaluate(&loaded.evaluation);
    let (Verdict::Allowed, Some(record)) = (decision.outcome, loaded.record) else {
        return Ok(ChargeResult::Refused(Box::new(decision)));
    };
    let mut evaluation = loaded.evaluation;
    let attempt_id = (app.new_id)();
    let (dialect, outbound) = build(&record, &evaluation.request, &attempt_id)?;
    let agreement_id = record.agreement.id.clone();

    // Reserve: the pending attempt holds a velocity slot before anything leaves the Worker.
    let (decision, history) = match app
        .stores
        .reserve(merchant, &agreement_id, &evaluation, &attempt_id)
        .await
    {
        // Durable Object: the object re-decided on its own ledger and reserved in the same step. The
        // engine is a pure function, so deciding again here on the ledger it used gives its decision.
        Some(reservation) => {
            let reservation = reservation.map_err(|e| store_failed(&e))?;
            evaluation.history.attempts = reservation.attempts;
            evaluation.now = reservation.now;
            let decision = engine::evaluate(&evaluation);
            match (reservation.reserved, decision.outcome) {
                (false, _) => return Ok(ChargeResult::Refused(Box::new(decision))),
                (true, Verdict::Allowed) => {}
                (true, _) => return Err(store_failed(&StoreError(
                    "the Durable Object reserved a charge this Worker refuses (different engine versions?)"
                        .into(),
                ))),
            }
            let history = state::record_attempt(
                &record.agreement,
                &evaluation.history,
                &evaluation.request,
                &decision,
                &attempt_id,
                evaluation.now,
            )
            .map_err(|e| HttpResponse::error(409, "conflict", e.to_string()))?;
            (decision, history)
        }
        None => {
            let history = state::record_attempt(
                &record.agreement,
                &evaluation.history,
                &evaluation.request,
                &decision,
                &attempt_id,
                app.now,
            )
            .map_err(|e| HttpResponse::error(409, "conflict", e.to_string()))?;
            app.stores
                .put_attempts(merchant, &agreement_id, &AttemptLedger { attempts: history.attempts.clone() })
                .await
                .map_err(|e| store_failed(&e))?;
            // Verify the reservation: a concurrent charge that wrote the ledger after us (last write
            // wins) has dropped our attempt; then we did not get the slot and nothing is sent. This
            // narrows the KV race (see docs/worker.md); it does not close it.
            let check = match app.stores.attempts(merchant, &agreement_id).await {
                Ok(check) => check,
                Err(e) => {
                    return Err(unverified_reservation(
                        app,
                        merchant,
                        &agreement_id,
                        &history,
                        &attempt_id,
                        &e,
                    )
                    .await)
                }
            };
            if !check.attempts.iter().any(|a| a.id == attempt_id) {
                return Err(HttpResponse::error(
                    409,
                    "concurrent_charge",
                    "another charge on this agreement reserved its slot at the same moment; nothing was sent, retry",
                )
                .with_header("retry-after", "1"));
            }
            (decision, history)
        }
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
            match dialect.id().read_outcome(resp.status, &String::from_utf8_lossy(&resp.body), &ctx) {
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
            let r = record_outcome(app, merchant, &record, &history, o).await;
            if r.warning.is_some() {
                warning = r.warning;
            }
            (r.agreement, r.status)
        }
    };
    Ok(ChargeResult::Sent(Box::new(Sent {
        attempt_id,
        decision,
        dialect,
        forwarded,
        outcome,
        status,
        agreement,
        warning,
    })))
}

/// What recording an outcome did.
pub(crate) struct Recorded {
    /// The agreement after the outcome.
    pub agreement: Agreement,
    /// The attempt's status as stored (pending when the write failed).
    pub status: AttemptStatus,
    /// What could not be recorded, or why the outcome was not applied.
    pub warning: Option<String>,
}

/// Applies a processor outcome to its attempt and writes the result back: the attempt merged into the
/// latest ledger (so concurrent charges' attempts are not erased), the agreement when its status changed
/// (8026, expired card), the payment index for the MIT's payment id. Never fails: what cannot be written
/// is reported in `warning`, and the attempt then stays pending (it keeps its velocity slot).
/// The reservation was written but could not be read back: nothing is forwarded. The attempt is released
/// when the store takes that write; otherwise it stays pending, holding its slot, and the answer says so
/// (never "nothing was changed": issue 15, item 4).
async fn unverified_reservation<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    agreement_id: &str,
    history: &History,
    attempt_id: &str,
    error: &StoreError,
) -> HttpResponse {
    let released = history.attempts.iter().find(|a| a.id == attempt_id).map(|a| {
        let mut a = a.clone();
        a.status = AttemptStatus::Released;
        a.resolved_at = Some(app.now);
        a
    });
    let release = match &released {
        Some(a) => app.stores.merge_attempt(merchant, agreement_id, a).await,
        None => Err(StoreError("the reserved attempt is not in the ledger written".into())),
    };
    match release {
        Ok(()) => HttpResponse::error(
            503,
            "store_unavailable",
            format!(
                "the reservation could not be read back ({}); nothing was forwarded and attempt {attempt_id} was released",
                error.0
            ),
        ),
        Err(e) => HttpResponse::error(
            503,
            "reservation_unverified",
            format!(
                "attempt {attempt_id} was reserved but could not be read back ({}) nor released ({}); nothing was \
                 forwarded. It holds a velocity slot until settled: POST /v1/agreements/{agreement_id}/attempts/\
                 {attempt_id}/outcome with {{\"result\": \"not_sent\"}}",
                error.0, e.0
            ),
        )
        .with_header("x-mitgate-attempt-id", attempt_id),
    }
}

/// A processor's outcome as mitgate may store it: a payment id or decline code that is not a plain id or
/// carries a card number is dropped (it would become a storage key or a stored value), never kept.
fn without_card_data(outcome: &Outcome) -> Outcome {
    let mut clean = outcome.clone();
    let mut errors = Vec::new();
    if let Some(p) = &clean.payment_id {
        mitgate_core::model::Outcome { payment_id: Some(p.clone()), decline: None, ..outcome.clone() }
            .validate("", &mut errors);
        if !errors.is_empty() {
            clean.payment_id = None;
        }
    }
    if let Some(d) = &mut clean.decline {
        for code in [&mut d.code, &mut d.advice_code] {
            if code.as_deref().is_some_and(mitgate_core::pan::looks_like_card_number) {
                *code = None;
            }
        }
    }
    clean
}

pub(crate) async fn record_outcome<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    record: &AgreementRecord,
    history: &History,
    outcome: &Outcome,
) -> Recorded {
    let agreement_id = record.agreement.id.as_str();
    let attempt_id = outcome.attempt_id.as_str();
    let outcome = &without_card_data(outcome);
    let (next_agreement, next_history) = match state::apply_outcome(&record.agreement, history, outcome) {
        Ok(next) => next,
        Err(e) => {
            let status = history
                .attempts
                .iter()
                .find(|a| a.id == attempt_id)
                .map_or(AttemptStatus::Pending, |a| a.status);
            return Recorded {
                agreement: record.agreement.clone(),
                status,
                warning: Some(format!("outcome not applied: {e}")),
            };
        }
    };
    let mut warnings = Vec::new();
    let mut status = next_history
        .attempts
        .iter()
        .find(|a| a.id == attempt_id)
        .map_or(AttemptStatus::Pending, |a| a.status);
    let written = match next_history.attempts.iter().find(|a| a.id == attempt_id) {
        Some(ours) => app.stores.merge_attempt(merchant, agreement_id, ours).await,
        None => Ok(()),
    };
    if let Err(e) = written {
        warnings.push(format!("outcome not recorded ({}); the attempt stays pending", e.0));
        status = AttemptStatus::Pending;
    }
    if next_agreement != record.agreement {
        let mut next = record.clone();
        next.agreement = next_agreement.clone();
        next.updated_at = app.now;
        if let Err(e) = app.stores.put_agreement(&next).await {
            warnings.push(format!("agreement status not recorded ({})", e.0));
        }
    }
    if let Some(pid) = outcome.payment_id.as_deref() {
        if let Err(e) = app.stores.put_payment_index(merchant, pid, agreement_id).await {
            warnings.push(format!("payment index not recorded ({})", e.0));
        }
    }
    // Every failure is reported, not only the last.
    let warning = (!warnings.is_empty()).then(|| warnings.join("; "));
    Recorded { agreement: next_agreement, status, warning }
}

/// The processor base URL for a dialect, or 502.
pub(crate) fn processor_base(config: &Config, dialect: Dialect) -> Result<&str, HttpResponse> {
    config.processor_url(dialect).filter(|u| !u.is_empty()).ok_or_else(|| {
        HttpResponse::error(
            502,
            "processor_not_configured",
            format!("no {} URL configured for the {} processor", dialect.url_var(), dialect.as_str()),
        )
    })
}

fn join_url(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}

/// `POST /v1/charges`.
pub(crate) async fn post_charge<K: Kv, P: Processor>(
    app: &App<'_, K, P>,
    merchant: &str,
    req: &HttpRequest,
) -> Answer {
    let request = parse_charge(req, merchant, app.now)?;
    let authorization = req.header("authorization").map(str::to_string);
    let config = app.config;
    let now = app.now;
    let build = move |record: &AgreementRecord, request: &ChargeRequest, attempt_id: &str| {
        let Some(d) = record.dialect else {
            return Err(HttpResponse::error(
                422,
                "no_processor",
                "the agreement has no `dialect`: PUT it with the processor it was made with",
            ));
        };
        let base = processor_base(config, d)?;
        let Rendered { path, mut headers, body } =
            dialect::render_mit(d, record, request, attempt_id, now)
                .map_err(|m| HttpResponse::error(422, "cannot_render", m))?;
        if let Some(a) = &authorization {
            headers.push(("authorization".into(), a.clone()));
        }
        Ok((d, Outbound { method: "POST".into(), url: join_url(base, &path), headers, body }))
    };
    let result = charge(app, merchant, request, &build).await?;
    Ok(match result {
        ChargeResult::Refused(decision) => refusal_response(&decision),
        ChargeResult::Sent(mut sent) => {
            if sent.dialect == Dialect::Infinic {
                // The rendered auto-attempt's reference_id is the attempt id.
                if let Err(m) = crate::proxy::link_infinic_attempt(
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
            canonical_sent(&sent)
        }
    })
}

fn canonical_sent(sent: &Sent) -> HttpResponse {
    let result = sent.outcome.as_ref().map(|o| o.result);
    let (outcome, http, processor) = match &sent.forwarded {
        Forwarded::Answered(resp) => {
            let body = resp.body_serde().unwrap_or_else(|| {
                serde_json::Value::String(redact_card_numbers(&String::from_utf8_lossy(&resp.body)))
            });
            let processor = serde_json::json!({"status": resp.status, "body": body});
            match result {
                Some(OutcomeResult::Approved) => ("approved", 200, processor),
                Some(OutcomeResult::Declined) => ("declined", 402, processor),
                Some(OutcomeResult::NotSent) => ("not_sent", 502, processor),
                None => ("pending", 502, processor),
            }
        }
        Forwarded::NotSent(m) => ("not_sent", 502, serde_json::json!({"error": m})),
        Forwarded::TimedOut => ("pending", 504, serde_json::json!({"error": "timed out"})),
        Forwarded::Failed(m) => ("pending", 502, serde_json::json!({"error": m})),
    };
    let message = match outcome {
        "not_sent" => Some("the processor did not process the charge; the velocity slot was released"),
        "pending" if http == 504 => Some("the processor did not answer in time; it may have charged, so the attempt stays pending and keeps its velocity slot"),
        "pending" => Some("the processor's answer does not settle the charge; it may have charged, so the attempt stays pending and keeps its velocity slot"),
        _ => None,
    };
    HttpResponse::json(
        http,
        &serde_json::json!({
            "outcome": outcome,
            "attemptId": sent.attempt_id,
            "attemptStatus": sent.status,
            "paymentId": sent.outcome.as_ref().and_then(|o| o.payment_id.clone()),
            "decline": sent.outcome.as_ref().and_then(|o| o.decline.clone()),
            "agreementStatus": sent.agreement.status,
            "message": message,
            "processor": {"dialect": sent.dialect, "answer": processor},
            "decision": sent.decision,
            "warning": sent.warning,
        }),
    )
    .with_header("x-mitgate-attempt-id", sent.attempt_id.clone())
}

/// A decline whose network the dialect could not tell (a token with no brand) takes the processor's
/// `network` / `brand` field when its answer carries one, so the card-network retry rules apply.
fn with_network_hint(mut outcome: Outcome, resp: &HttpResponse) -> Outcome {
    if let Some(d) = outcome.decline.as_mut().filter(|d| d.network.is_none()) {
        d.network = resp.body_json().and_then(|v| {
            let field = member(&v, "network").or_else(|| member(&v, "brand"))?;
            let name = text(field)?.to_ascii_lowercase();
            let name = Value { kind: Kind::String(Cow::Borrowed(&name)), at: 0 };
            CardBrand::from_json(&name, &Path::root("")).ok()
        });
    }
    outcome
}

// ---------------------------------------------------------------------------------------------
// Idempotency

/// Whether an answer is final (kept for replays) or may be retried under the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finality {
    /// Replays return this answer.
    Final,
    /// Nothing happened (KV down before forwarding, processor unreachable before sending): the key is freed.
    Retryable,
}

/// SHA-256 hex of the route and the body (JSON bodies normalised: key order and spacing do not matter).
pub(crate) fn fingerprint(req: &HttpRequest) -> String {
    let body = match std::str::from_utf8(&req.body).ok().and_then(crate::tree::serde_value) {
        Some(v) => v.to_string().into_bytes(),
        None => req.body.clone(),
    };
    let mut h = Sha256::new();
    h.update(req.method.as_bytes());
    h.update(b" ");
    h.update(req.path.as_bytes());
    h.update(b"\n");
    h.update(&body);
    hex(&h.finalize())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs `work` at most once per `Idempotency-Key`: a replay gets the first answer (with
/// `Idempotent-Replayed: true`), the same key with another body gets 422, a replay while the first is
/// still in flight gets 409.
pub(crate) async fn idempotent<K: Kv, P, F>(
    app: &App<'_, K, P>,
    merchant: &str,
    req: &HttpRequest,
    work: F,
) -> HttpResponse
where
    F: std::future::Future<Output = (HttpResponse, Finality)>,
{
    // The header; on the canonical route also the body's `idempotencyKey` (the ChargeRequest field).
    let body_key = (req.path == "/v1/charges" && req.header("idempotency-key").is_none())
        .then(|| std::str::from_utf8(&req.body).ok().and_then(|t| json::parse(t).ok()))
        .flatten()
        .and_then(|v| member(&v, "idempotencyKey").and_then(text).map(str::to_string));
    let Some(key) = req.header("idempotency-key").or(body_key.as_deref()) else {
        return work.await.0;
    };
    if key.is_empty() || key.len() > 255 {
        return invalid_one("Idempotency-Key", "must be 1 to 255 characters");
    }
    let digest = hex(&Sha256::digest(key.as_bytes()));
    let fp = fingerprint(req);
    let pending = IdempotencyRecord { fingerprint: fp.clone(), created_at: app.now, response: None };
    match app.stores.claim_idempotency(merchant, &digest, &pending).await {
        Err(e) => return store_failed(&e),
        Ok(Some(record)) => {
            if record.fingerprint != fp {
                return HttpResponse::error(
                    422,
                    "idempotency_key_reused",
                    "this Idempotency-Key was used with a different request body",
                );
            }
            return match record.response {
                Some(resp) => resp.with_header("idempotent-replayed", "true"),
                None => HttpResponse::error(
                    409,
                    "idempotency_in_progress",
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
            kept.headers.retain(|(k, _)| !crate::routes::drops_response_header(k));
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

/// Whether a charge answer is final.
pub(crate) fn finality_of(response: &HttpResponse) -> Finality {
    if decided_again_later(response) {
        return Finality::Retryable;
    }
    let code = response.body_json().and_then(|v| {
        member(&v, "outcome")
            .and_then(text)
            .or_else(|| member_at(&v, &["error", "code"]).and_then(text))
            .map(str::to_string)
    });
    match (response.status, code.as_deref()) {
        (
            _,
            Some(
                "not_sent"
                | "store_unavailable"
                | "processor_not_configured"
                | "concurrent_charge"
                | "reservation_unverified",
            ),
        ) => Finality::Retryable,
        (
            400 | 401 | 403 | 413,
            Some("invalid_request" | "invalid_body" | "forbidden" | "body_too_large"),
        ) => Finality::Retryable,
        _ => Finality::Final,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use crate::store::memory::MemoryKv;
    use crate::test_util::block_on;
    use std::cell::RefCell;

    struct FakeProcessor {
        answer: RefCell<Forwarded>,
        sent: RefCell<Vec<Outbound>>,
    }

    impl Processor for FakeProcessor {
        async fn send(&self, request: Outbound, _timeout_ms: u64) -> Forwarded {
            self.sent.borrow_mut().push(request);
            self.answer.borrow().clone()
        }
    }

    fn approved() -> Forwarded {
        Forwarded::Answered(HttpResponse::json(200, &serde_json::json!({"paymentId": "pay_mit_1"})))
    }

    struct World {
        stores: Stores<MemoryKv>,
        processor: FakeProcessor,
        config: Config,
        ids: RefCell<u32>,
    }

    impl World {
        fn new() -> Self {
            World {
                stores: Stores::new(
                    MemoryKv::default(),
                    MemoryKv::default(),
                    MemoryKv::default(),
                    MemoryKv::default(),
                ),
                processor: FakeProcessor { answer: RefCell::new(approved()), sent: RefCell::new(Vec::new()) },
                config: Config {
                    keys: MerchantKeys::parse(r#"{"sk_test_demo":"demo"}"#).unwrap(),
                    processor_urls: vec![(Dialect::Coinflow, "http://processor.test".into())],
                    max_body_bytes: DEFAULT_MAX_BODY_BYTES,
                    processor_timeout_ms: 1000,
                    sandbox_headers: false,
                },
                ids: RefCell::new(0),
            }
        }

        fn run<T>(&self, f: impl FnOnce(&App<'_, MemoryKv, FakeProcessor>) -> T) -> T {
            let new_id = || {
                *self.ids.borrow_mut() += 1;
                format!("att_{}", self.ids.borrow())
            };
            let app = App {
                stores: &self.stores,
                processor: &self.processor,
                config: &self.config,
                now: Timestamp::parse("2026-06-01T12:00:00Z").unwrap(),
                new_id: &new_id,
            };
            f(&app)
        }
    }

    fn req(method: &str, path: &str, body: &str, headers: &[(&str, &str)]) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            path: path.into(),
            query: String::new(),
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.as_bytes().to_vec(),
            origin: String::new(),
        }
    }

    const POLICY: &str = r#"{"enabled": true, "maxCount": 1, "period": 86400, "maxMultiple": 3, "maxZeroAuthAmount": {"cents": 2000}}"#;
    const AGREEMENT: &str = r#"{"agreement": {"id": "pay_1", "merchantId": "demo", "type": "unscheduled",
        "established": {"method": "zero_auth", "at": "2026-05-30T00:00:00Z"}, "currency": "USD",
        "paymentMethod": {"type": "card", "brand": "visa"}, "credential": {"token": "tok_1"},
        "consent": {"storeCredential": true, "merchantInitiated": true}}, "dialect": "coinflow"}"#;
    const CHARGE: &str = r#"{"reference": "pay_1", "amount": {"amount": "10.00", "currency": "USD"}}"#;

    fn seeded() -> World {
        seed(World::new())
    }

    /// The Durable Object store (objects in memory, same `objects::apply`).
    fn seeded_objects() -> World {
        let mut w = World::new();
        w.stores =
            Stores::new(MemoryKv::default(), MemoryKv::default(), MemoryKv::default(), MemoryKv::default())
                .with_objects(MemoryKv::default());
        seed(w)
    }

    fn seed(w: World) -> World {
        w.run(|app| {
            assert_eq!(
                block_on(put_policy(app, "demo", &req("PUT", "/v1/policy", POLICY, &[]))).unwrap().status,
                200
            );
            let r = block_on(put_agreement(
                app,
                "demo",
                "pay_1",
                &req("PUT", "/v1/agreements/pay_1", AGREEMENT, &[]),
            ));
            assert_eq!(r.unwrap().status, 201);
        });
        w
    }

    fn charge_once(w: &World, headers: &[(&str, &str)]) -> HttpResponse {
        w.run(|app| {
            let r = req("POST", "/v1/charges", CHARGE, headers);
            block_on(idempotent(app, "demo", &r, async {
                let resp = flatten(post_charge(app, "demo", &r).await);
                let f = finality_of(&resp);
                (resp, f)
            }))
        })
    }

    /// A reservation that cannot be read back: nothing is forwarded and the answer says what is true
    /// (issue 15, item 4): released when the store takes the release, otherwise pending with its id.
    #[test]
    fn unreadable_reservation_is_answered_truthfully() {
        let w = seeded();
        *w.stores.velocity.fail_reads_after_put.borrow_mut() = true;
        let r = charge_once(&w, &[("idempotency-key", "k-unverified")]);
        assert_eq!(r.status, 503);
        let body = r.body_serde().unwrap();
        assert_eq!(body["error"]["code"], "reservation_unverified", "{body}");
        let attempt = r.headers.iter().find(|(k, _)| k == "x-mitgate-attempt-id").unwrap().1.clone();
        assert!(body["error"]["message"].as_str().unwrap().contains(&attempt));
        assert!(w.processor.sent.borrow().is_empty(), "nothing forwarded");
        *w.stores.velocity.fail_reads_after_put.borrow_mut() = false;
        *w.stores.velocity.fail_reads.borrow_mut() = false;
        let ledger = block_on(w.stores.attempts("demo", "pay_1")).unwrap();
        assert_eq!(ledger.attempts.len(), 1);
        assert_eq!(ledger.attempts[0].id, attempt);
        assert_eq!(ledger.attempts[0].status, AttemptStatus::Pending, "the answer said it stays pending");
        // Nothing was forwarded, so the key is free: the retry is decided again. The pending attempt holds
        // the policy's one slot (429) until the merchant settles it as not sent; then the retry goes out once.
        let again = charge_once(&w, &[("idempotency-key", "k-unverified")]);
        assert_eq!(again.status, 429, "{:?}", again.body_serde());
        assert!(!again.headers.iter().any(|(k, _)| k == "idempotent-replayed"));
        let path = format!("/v1/agreements/pay_1/attempts/{attempt}/outcome");
        let settled = w.run(|app| {
            block_on(post_outcome(
                app,
                "demo",
                "pay_1",
                &attempt,
                &req("POST", &path, r#"{"result": "not_sent"}"#, &[]),
            ))
        });
        assert_eq!(settled.unwrap().status, 200);
        let third = charge_once(&w, &[("idempotency-key", "k-unverified")]);
        assert_eq!(third.status, 200, "{:?}", third.body_serde());
        assert_eq!(w.processor.sent.borrow().len(), 1);
    }

    /// An outcome whose agreement write fails leaves the attempt pending, so the same request completes it
    /// (issue 15, item 4): never a resolved attempt with the agreement's new status lost.
    #[test]
    fn outcome_with_a_failed_agreement_write_can_be_completed() {
        let w = seeded();
        *w.processor.answer.borrow_mut() = Forwarded::TimedOut;
        let r = charge_once(&w, &[]);
        assert_eq!(r.status, 504);
        let attempt = r.headers.iter().find(|(k, _)| k == "x-mitgate-attempt-id").unwrap().1.clone();
        let path = format!("/v1/agreements/pay_1/attempts/{attempt}/outcome");
        let body =
            r#"{"result": "declined", "decline": {"code": "8026", "reason": "authentication_required"}}"#;
        let settle = |w: &World| {
            w.run(|app| {
                block_on(post_outcome(app, "demo", "pay_1", &attempt, &req("POST", &path, body, &[])))
            })
        };
        *w.stores.agreements.fail_writes.borrow_mut() = true;
        assert_eq!(flatten(settle(&w)).status, 503);
        *w.stores.agreements.fail_writes.borrow_mut() = false;
        let ledger = block_on(w.stores.attempts("demo", "pay_1")).unwrap();
        assert_eq!(
            ledger.attempts[0].status,
            AttemptStatus::Pending,
            "not resolved while the status is unwritten"
        );
        assert_eq!(flatten(settle(&w)).status, 200);
        let record = block_on(w.stores.agreement("demo", "pay_1")).unwrap().unwrap();
        assert_eq!(record.agreement.status, AgreementStatus::ReauthenticationRequired);
        let ledger = block_on(w.stores.attempts("demo", "pay_1")).unwrap();
        assert_eq!(ledger.attempts[0].status, AttemptStatus::Declined);
    }

    /// Answers that say when to try again are not stored as final (issue 15, item 8).
    #[test]
    fn refusals_that_name_a_retry_time_are_not_final() {
        let velocity = HttpResponse::error(429, "refused", "velocity").with_header("retry-after", "7");
        assert!(matches!(finality_of(&velocity), Finality::Retryable));
        let processor_rate_limit =
            HttpResponse::json_text(429, "{}".into()).with_header("x-mitgate-attempt-id", "att_1");
        assert!(matches!(finality_of(&processor_rate_limit), Finality::Retryable));
        let interval = HttpResponse::error(403, "refused", "too soon").with_header("retry-after", "60");
        assert!(matches!(finality_of(&interval), Finality::Retryable));
        // Forwarded answers (an attempt was made) are final even with a Retry-After of the processor's.
        let declined = HttpResponse::json_text(402, "{}".into())
            .with_header("x-mitgate-attempt-id", "att_1")
            .with_header("retry-after", "60");
        assert!(matches!(finality_of(&declined), Finality::Final));
        let refused = HttpResponse::error(403, "refused", "ceiling");
        assert!(matches!(finality_of(&refused), Finality::Final));
    }

    #[test]
    fn authenticates_by_header() {
        let w = World::new();
        assert_eq!(
            authenticate(&w.config, &req("GET", "/", "", &[("x-mitgate-key", "sk_test_demo")])).unwrap(),
            "demo"
        );
        assert_eq!(authenticate(&w.config, &req("GET", "/", "", &[])).unwrap_err().status, 401);
        assert_eq!(
            authenticate(&w.config, &req("GET", "/", "", &[("x-mitgate-key", "sk_test_x")]))
                .unwrap_err()
                .status,
            401
        );
    }

    #[test]
    fn charge_reserves_forwards_and_records() {
        let w = seeded();
        let r = charge_once(&w, &[("authorization", "processor-key")]);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let sent = w.processor.sent.borrow();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].url, "http://processor.test/api/checkout/merchant-initiated-transaction");
        assert!(sent[0].headers.contains(&("authorization".into(), "processor-key".into())));
        let ledger = block_on(w.stores.attempts("demo", "pay_1")).unwrap();
        assert_eq!(ledger.attempts.len(), 1);
        assert_eq!(ledger.attempts[0].status, AttemptStatus::Approved);
        drop(sent);
        let second = charge_once(&w, &[]);
        assert_eq!(second.status, 429);
        assert!(second.headers.iter().any(|(k, _)| k == "retry-after"));
        assert_eq!(w.processor.sent.borrow().len(), 1, "a refusal is never forwarded");
    }

    #[test]
    fn storage_operations_are_counted() {
        let w = seeded();
        let before = (w.stores.counters.kv_reads.get(), w.stores.counters.kv_writes.get());
        assert_eq!(charge_once(&w, &[]).status, 200);
        let reads = w.stores.counters.kv_reads.get() - before.0;
        let writes = w.stores.counters.kv_writes.get() - before.1;
        // agreement, ledger, policy, token index (another agreement on the credential), re-read after
        // reservation, ledger before the outcome merge.
        assert_eq!(reads, 6, "{}", w.stores.counters.header_value());
        // reservation, outcome, payment index.
        assert_eq!(writes, 3, "{}", w.stores.counters.header_value());
        assert!(w.stores.counters.header_value().starts_with("kv_reads="));
    }

    #[test]
    fn durable_object_store_reserves_and_records() {
        let w = seeded_objects();
        let r = charge_once(&w, &[("idempotency-key", "d1")]);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert!(w.stores.velocity.map.borrow().is_empty(), "ledgers live in the objects");
        assert!(w.stores.idempotency.map.borrow().is_empty(), "idempotency records live in the objects");
        let ledger = block_on(w.stores.attempts("demo", "pay_1")).unwrap();
        assert_eq!(ledger.attempts.len(), 1);
        assert_eq!(ledger.attempts[0].status, AttemptStatus::Approved);
        // reserve, outcome merge, idempotency claim and final answer.
        let replay = charge_once(&w, &[("idempotency-key", "d1")]);
        assert_eq!(replay.body, r.body);
        assert_eq!(w.processor.sent.borrow().len(), 1);
        let second = charge_once(&w, &[]);
        assert_eq!(second.status, 429, "{}", String::from_utf8_lossy(&second.body));
        assert_eq!(w.processor.sent.borrow().len(), 1, "a refusal is never forwarded");
        assert!(w.stores.counters.do_calls.get() > 0);
    }

    #[test]
    fn durable_object_failure_fails_closed() {
        let w = seeded_objects();
        *w.stores.objects.as_ref().unwrap().fail.borrow_mut() = true;
        let r = charge_once(&w, &[]);
        assert_eq!(r.status, 503, "{}", String::from_utf8_lossy(&r.body));
        let r = charge_once(&w, &[("idempotency-key", "k")]);
        assert_eq!(r.status, 503);
        assert!(w.processor.sent.borrow().is_empty(), "nothing forwarded without the object");
        *w.stores.objects.as_ref().unwrap().fail.borrow_mut() = false;
        assert_eq!(charge_once(&w, &[("idempotency-key", "k")]).status, 200);
        assert!(block_on(w.stores.attempts("demo", "pay_1")).unwrap().attempts.len() == 1);
    }

    #[test]
    fn kv_failure_fails_closed() {
        let w = seeded();
        *w.stores.velocity.fail.borrow_mut() = true;
        let r = charge_once(&w, &[]);
        assert_eq!(r.status, 503);
        assert!(w.processor.sent.borrow().is_empty(), "nothing forwarded without readable state");
        *w.stores.velocity.fail.borrow_mut() = false;
        *w.stores.idempotency.fail.borrow_mut() = true;
        let r = charge_once(&w, &[("idempotency-key", "k")]);
        assert_eq!(r.status, 503);
        assert!(w.processor.sent.borrow().is_empty());
    }

    #[test]
    fn idempotent_replay_and_conflict() {
        let w = seeded();
        let a = charge_once(&w, &[("idempotency-key", "k1")]);
        let b = charge_once(&w, &[("idempotency-key", "k1")]);
        assert_eq!(a.status, 200);
        assert_eq!(a.body, b.body);
        assert!(b.headers.contains(&("idempotent-replayed".into(), "true".into())));
        assert_eq!(w.processor.sent.borrow().len(), 1);
        let other = w.run(|app| {
            let r = req(
                "POST",
                "/v1/charges",
                r#"{"reference": "pay_1", "amount": {"amount": "11.00", "currency": "USD"}}"#,
                &[("idempotency-key", "k1")],
            );
            block_on(idempotent(app, "demo", &r, async {
                (HttpResponse::error(500, "unreachable", "not run"), Finality::Final)
            }))
        });
        assert_eq!(other.status, 422);
    }

    #[test]
    fn body_idempotency_key_on_charges() {
        let w = seeded();
        let body = r#"{"reference": "pay_1", "amount": {"amount": "10.00", "currency": "USD"}, "idempotencyKey": "b1"}"#;
        let run = |w: &World| {
            w.run(|app| {
                let r = req("POST", "/v1/charges", body, &[]);
                block_on(idempotent(app, "demo", &r, async {
                    let resp = flatten(post_charge(app, "demo", &r).await);
                    let f = finality_of(&resp);
                    (resp, f)
                }))
            })
        };
        let a = run(&w);
        let b = run(&w);
        assert_eq!(a.status, 200);
        assert_eq!(a.body, b.body);
        assert_eq!(w.processor.sent.borrow().len(), 1);
    }

    #[test]
    fn timeout_keeps_the_slot_and_not_sent_releases_it() {
        let w = seeded();
        *w.processor.answer.borrow_mut() = Forwarded::TimedOut;
        assert_eq!(charge_once(&w, &[]).status, 504);
        let ledger = block_on(w.stores.attempts("demo", "pay_1")).unwrap();
        assert_eq!(ledger.attempts[0].status, AttemptStatus::Pending);
        let w = seeded();
        *w.processor.answer.borrow_mut() = Forwarded::NotSent("refused".into());
        assert_eq!(charge_once(&w, &[]).status, 502);
        let ledger = block_on(w.stores.attempts("demo", "pay_1")).unwrap();
        assert_eq!(ledger.attempts[0].status, AttemptStatus::Released);
        *w.processor.answer.borrow_mut() = approved();
        assert_eq!(charge_once(&w, &[]).status, 200, "the released slot is free again");
    }

    #[test]
    fn soft_decline_requires_a_new_cit() {
        let w = seeded();
        *w.processor.answer.borrow_mut() = Forwarded::Answered(HttpResponse::json(
            402,
            &serde_json::json!({"message": "Soft decline - Cardholder authentication required", "declineCode": "8026"}),
        ));
        assert_eq!(charge_once(&w, &[]).status, 402);
        let record = block_on(w.stores.agreement("demo", "pay_1")).unwrap().unwrap();
        assert_eq!(record.agreement.status, mitgate_core::model::AgreementStatus::ReauthenticationRequired);
    }

    #[test]
    fn other_merchants_see_unknown_ids_and_fields_are_named() {
        let w = seeded();
        w.run(|app| {
            // Issue 15, item 10: another merchant's id answers exactly as an id nobody uses (it was 403,
            // which revealed that the id exists).
            let foreign = block_on(get_agreement(app, "other", "pay_1")).unwrap_err();
            let unknown = block_on(get_agreement(app, "nobody", "pay_1")).unwrap_err();
            assert_eq!((foreign.status, &foreign.body), (404, &unknown.body));
            // Nor can another merchant claim it: its PUT creates its own agreement, demo's is untouched.
            let theirs = AGREEMENT.replace("\"merchantId\": \"demo\"", "\"merchantId\": \"other\"");
            assert!(theirs.contains("\"other\""), "{theirs}");
            let put = block_on(put_agreement(app, "other", "pay_1", &req("PUT", "/v1/agreements/pay_1", &theirs, &[])));
            assert_eq!(put.unwrap().status, 201);
            let ours = block_on(get_agreement(app, "demo", "pay_1")).unwrap();
            assert!(String::from_utf8_lossy(&ours.body).contains("\"merchantId\":\"demo\""));
            assert_eq!(block_on(get_agreement(app, "demo", "nope")).unwrap_err().status, 404);
            let bad = block_on(post_decision(app, "demo", &req("POST", "/v1/decisions", r#"{"reference": "pay_1", "amount": {"amount": "-1", "currency": "USD"}}"#, &[])));
            let bad = bad.unwrap_err();
            assert_eq!(bad.status, 400);
            assert!(String::from_utf8_lossy(&bad.body).contains("amount"));
            let spoof = block_on(post_decision(app, "demo", &req("POST", "/v1/decisions", r#"{"merchantId": "other", "reference": "pay_1", "amount": {"amount": "1.00", "currency": "USD"}}"#, &[])));
            assert_eq!(spoof.unwrap_err().status, 403);
            // Paths and positions are those of the caller's text; a key given twice is named by its path.
            for (body, field, message) in [
                (r#"{"reference": "pay_1", "amountCents": 1}"#, "amountCents", "unknown field `amountCents`"),
                (r#"{"reference": "pay_1", "amount": {"amount": "1.00", "amount": "2.00", "currency": "USD"}}"#, "amount.amount", "is given more than once"),
                (r#"{"reference": "pay_1"}"#, "", "missing field `amount` at line 1 column 1"),
                (r#"{"reference": 5,"#, "", "malformed JSON: EOF while parsing"),
                ("[1]", "", "must be a JSON object"),
            ] {
                let r = block_on(post_decision(app, "demo", &req("POST", "/v1/decisions", body, &[]))).unwrap_err();
                let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
                assert_eq!((r.status, v["error"]["fields"][0]["path"].as_str()), (400, Some(field)), "{body}");
                assert!(v["error"]["fields"][0]["message"].as_str().unwrap().starts_with(message), "{v}");
            }
        });
    }

    fn proxy(
        w: &World,
        method: &str,
        path: &str,
        query: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> HttpResponse {
        w.run(|app| {
            let mut r = req(method, path, body, headers);
            r.query = query.to_string();
            block_on(crate::proxy::handle(app, "demo", Dialect::Coinflow, &r))
        })
    }

    const MIT_9000: &str =
        r#"{"subtotal": {"cents": 900000, "currency": "USD"}, "originalPaymentId": "pay_1"}"#;
    const MIT_10: &str = r#"{"subtotal": {"cents": 1000, "currency": "USD"}, "originalPaymentId": "pay_1"}"#;

    /// Issue 11: look-alikes of the MIT route are 404 in Coinflow's words and never reach the processor;
    /// the route itself, spelt exactly, is decided.
    #[test]
    fn proxy_fails_closed_on_unknown_routes() {
        let w = seeded();
        for path in [
            "/coinflow/api/checkout/Merchant-Initiated-Transaction",
            "/coinflow/api//checkout/merchant-initiated-transaction",
            "/coinflow/api/checkout/merchant%2Dinitiated-transaction",
            "/coinflow/api/checkout/merchant-initiated-transaction/",
            "/coinflow/api/checkout/merchant-initiated-transaction;jsessionid=1",
            "/coinflow/api/checkout/refund",
            "/coinflow",
            "/coinflowx/api/checkout/merchant-initiated-transaction",
        ] {
            let r = proxy(&w, "POST", path, "", MIT_9000, &[("x-user-id", "customer-123")]);
            assert_eq!(r.status, 404, "{path}");
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(
                (v["message"].as_str(), v["mitgate"]["code"].as_str()),
                (Some("Not Found"), Some("route_not_found"))
            );
        }
        let get = proxy(&w, "GET", "/coinflow/api/checkout/merchant-initiated-transaction", "", "", &[]);
        assert_eq!(get.status, 404);
        let query = proxy(
            &w,
            "POST",
            "/coinflow/api/checkout/merchant-initiated-transaction",
            "cents=1",
            MIT_10,
            &[],
        );
        assert_eq!(query.status, 400, "no query string on a payment route");
        assert!(w.processor.sent.borrow().is_empty(), "nothing reached the processor");
        let refused =
            proxy(&w, "POST", "/coinflow/api/checkout/merchant-initiated-transaction", "", MIT_9000, &[]);
        assert_eq!(refused.status, 410, "decided: above the ceiling");
        assert!(w.processor.sent.borrow().is_empty());
        let allowed =
            proxy(&w, "POST", "/coinflow/api/checkout/merchant-initiated-transaction", "", MIT_10, &[]);
        assert_eq!(allowed.status, 200, "{}", String::from_utf8_lossy(&allowed.body));
        let sent = w.processor.sent.borrow();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].url, "http://processor.test/api/checkout/merchant-initiated-transaction");
    }

    /// The read-only allowlist: Infinic's status read is forwarded with its query, without a body; other
    /// methods on that path are not.
    #[test]
    fn proxy_forwards_the_read_only_route() {
        let mut w = seeded();
        w.config.processor_urls.push((Dialect::Infinic, "http://infinic.test".into()));
        let read = |method: &str, body: &str| {
            w.run(|app| {
                let mut r = req(
                    method,
                    "/infinic/api/intents/550e8400-e29b-41d4",
                    body,
                    &[("authorization", "Bearer k")],
                );
                r.query = "iauth=tok_1".into();
                block_on(crate::proxy::handle(app, "demo", Dialect::Infinic, &r))
            })
        };
        assert_eq!(read("GET", "{}").status, 200);
        assert_eq!(read("DELETE", "").status, 404);
        assert_eq!(read("POST", "{}").status, 404);
        let sent = w.processor.sent.borrow();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].method, "GET");
        assert_eq!(sent[0].url, "http://infinic.test/api/intents/550e8400-e29b-41d4?iauth=tok_1");
        assert!(sent[0].body.is_empty());
        assert_eq!(sent[0].headers, [("authorization".to_string(), "Bearer k".to_string())]);
    }

    /// Issue 15 item 7: only allowlisted headers reach the processor; its Set-Cookie is neither passed
    /// back nor kept in the idempotency record.
    #[test]
    fn proxy_forwards_allowlisted_headers_and_drops_cookies() {
        let w = seeded();
        *w.processor.answer.borrow_mut() = Forwarded::Answered(
            HttpResponse::json(200, &serde_json::json!({"paymentId": "pay_mit_1"}))
                .with_header("set-cookie", "session=s3cr3t; HttpOnly"),
        );
        let headers = [
            ("authorization", "coinflow-key"),
            ("content-type", "application/json"),
            ("idempotency-key", "k1"),
            ("cookie", "session=abc"),
            ("forwarded", "for=1.2.3.4;host=evil.test"),
            ("x-forwarded-host", "evil.test"),
            ("x-forwarded-for", "1.2.3.4"),
            ("true-client-ip", "1.2.3.4"),
            ("x-mitgate-test-fault", "kv"),
            ("x-mitgate-key", "sk_test_demo"),
            ("x-mitgate-token-cvv-verified", "false"),
            ("x-sandbox-card", "4000000000000119"),
            ("x-something-else", "1"),
        ];
        let r =
            proxy(&w, "POST", "/coinflow/api/checkout/merchant-initiated-transaction", "", MIT_10, &headers);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert!(!r.headers.iter().any(|(k, _)| k == "set-cookie"), "not passed back");
        let sent = w.processor.sent.borrow();
        let names: Vec<&str> = sent[0].headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["authorization", "content-type", "idempotency-key"]);
        let stored = w.stores.idempotency.map.borrow();
        assert_eq!(stored.len(), 1);
        assert!(stored
            .values()
            .all(|v| !v.to_ascii_lowercase().contains("set-cookie") && !v.contains("s3cr3t")));
    }

    /// A Coinflow card checkout through the proxy, answered with `payment_id`.
    fn coinflow_cit(w: &World, payment_id: &str, cents: u32, user: Option<&str>) -> HttpResponse {
        *w.processor.answer.borrow_mut() =
            Forwarded::Answered(HttpResponse::json(200, &serde_json::json!({"paymentId": payment_id})));
        let body = format!(
            r#"{{"subtotal": {{"cents": {cents}, "currency": "USD"}}, "token": "4111114324324111_bt"}}"#
        );
        let headers: Vec<(&str, &str)> = user.map(|u| ("x-user-id", u)).into_iter().collect();
        proxy(w, "POST", "/coinflow/api/checkout/card/merchant-demo", "", &body, &headers)
    }

    fn decide(w: &World, reference: &str, amount: &str, user: Option<&str>) -> serde_json::Value {
        let customer = user.map_or(String::new(), |u| format!(r#""customerId": "{u}","#));
        let body = format!(
            r#"{{{customer} "reference": "{reference}", "amount": {{"amount": "{amount}", "currency": "USD"}}}}"#
        );
        let r = w
            .run(|app| block_on(post_decision(app, "demo", &req("POST", "/v1/decisions", &body, &[]))))
            .unwrap();
        serde_json::from_slice(&r.body).unwrap()
    }

    /// Document 001's example 1 in both stores: 10, 6, 12 and 40 by one customer make 40.00 the base of
    /// every one of the four references (120.00 allowed, 120.01 refused, the refusal names the 40.00
    /// payment); a customer's new CIT raises the ceiling of their older references at once; another
    /// customer, and an agreement without a customer, keep their own base.
    #[test]
    fn customer_level_history_raises_every_reference() {
        for w in [seeded(), seeded_objects()] {
            for (id, cents) in [("cit_10", 1000), ("cit_6", 600), ("cit_12", 1200)] {
                let r = coinflow_cit(&w, id, cents, Some("customer-123"));
                assert_eq!(r.status, 200);
                assert!(!r.headers.iter().any(|(k, _)| k == "x-mitgate-warning"), "{:?}", r.headers);
            }
            let before = decide(&w, "cit_10", "36.00", Some("customer-123"));
            assert_eq!(before["decision"]["outcome"], "allowed", "12.00 is the base so far: {before}");
            assert_eq!(decide(&w, "cit_10", "36.01", Some("customer-123"))["decision"]["outcome"], "refused");
            assert_eq!(coinflow_cit(&w, "cit_40", 4000, Some("customer-123")).status, 200);
            for reference in ["cit_10", "cit_6", "cit_12", "cit_40"] {
                let ok = decide(&w, reference, "120.00", Some("customer-123"));
                assert_eq!(ok["decision"]["outcome"], "allowed", "{reference}: {ok}");
                let no = decide(&w, reference, "120.01", Some("customer-123"));
                let v = &no["decision"]["violations"][0];
                assert_eq!(v["code"], "amount_above_ceiling", "{reference}: {no}");
                let p = &v["details"]["ceiling"]["policy"];
                assert_eq!(
                    (&p["basePaymentId"], &p["base"]["amount"]),
                    (&serde_json::json!("cit_40"), &serde_json::json!("40.00")),
                    "{no}"
                );
                assert!(p["basePaymentAt"].is_string());
            }
            let limits = w.run(|app| block_on(agreement_limits(app, "demo", "cit_6"))).unwrap();
            let limits: serde_json::Value = serde_json::from_slice(&limits.body).unwrap();
            assert_eq!(limits["limits"]["ceiling"]["amount"]["amount"], "120.00", "{limits}");
            assert_eq!(limits["limits"]["ceiling"]["policy"]["basePaymentId"], "cit_40");
            // Another customer of the same merchant: their own 10.00 only.
            assert_eq!(coinflow_cit(&w, "other_10", 1000, Some("customer-456")).status, 200);
            assert_eq!(
                decide(&w, "other_10", "30.01", Some("customer-456"))["decision"]["outcome"],
                "refused"
            );
            // No customer: per reference.
            assert_eq!(coinflow_cit(&w, "anon_10", 1000, None).status, 200);
            assert_eq!(decide(&w, "anon_10", "30.00", None)["decision"]["outcome"], "allowed");
            assert_eq!(decide(&w, "anon_10", "30.01", None)["decision"]["outcome"], "refused");
        }
    }

    /// `PUT /v1/agreements/{id}` indexes the history it carries: a customer's agreement made through the
    /// canonical API raises the ceiling of their other agreements too, in both stores.
    #[test]
    fn put_agreement_indexes_the_customer() {
        for w in [seeded(), seeded_objects()] {
            let put = |id: &str, amount: &str| {
                let body = format!(
                    r#"{{"agreement": {{"id": "{id}", "merchantId": "demo", "customerId": "c-9", "type": "unscheduled",
                        "established": {{"method": "cvv_purchase", "at": "2026-05-30T00:00:00Z", "amount": {{"amount": "{amount}", "currency": "USD"}}}},
                        "currency": "USD", "paymentMethod": {{"type": "card"}}, "credential": {{"token": "tok_{id}"}},
                        "consent": {{"storeCredential": true, "merchantInitiated": true}}}}, "dialect": "coinflow"}}"#
                );
                let r = w.run(|app| {
                    block_on(put_agreement(
                        app,
                        "demo",
                        id,
                        &req("PUT", &format!("/v1/agreements/{id}"), &body, &[]),
                    ))
                });
                let r = r.unwrap();
                assert_eq!(r.status, 201);
                assert!(!r.headers.iter().any(|(k, _)| k == "x-mitgate-warning"), "{:?}", r.headers);
            };
            put("c9_small", "10.00");
            assert_eq!(decide(&w, "c9_small", "30.01", None)["decision"]["outcome"], "refused");
            put("c9_large", "50.00");
            let d = decide(&w, "c9_small", "150.00", None);
            assert_eq!(d["decision"]["outcome"], "allowed", "{d}");
            assert_eq!(decide(&w, "c9_small", "150.01", None)["decision"]["outcome"], "refused");
        }
    }

    /// A stored index that does not parse, or a store that fails, refuses to decide (503), never decides
    /// on less than the customer's history without saying so.
    #[test]
    fn an_unreadable_customer_index_fails_closed() {
        let w = seeded();
        assert_eq!(coinflow_cit(&w, "cit_10", 1000, Some("customer-123")).status, 200);
        let key = format!("customer/v1/{}", crate::customer::index_name("demo", "customer-123"));
        assert!(w.stores.agreements.map.borrow().contains_key(&key), "the index lives in AGREEMENTS");
        w.stores.agreements.map.borrow_mut().insert(key, "{not json".into());
        let body = r#"{"reference": "cit_10", "amount": {"amount": "1.00", "currency": "USD"}}"#;
        let r = w.run(|app| block_on(post_decision(app, "demo", &req("POST", "/v1/decisions", body, &[]))));
        assert_eq!(r.unwrap_err().status, 503);
    }
}
