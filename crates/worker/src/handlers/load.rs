//! The state a decision is made on: the agreement a request names, its ledger, the merchant's policy,
//! the customer's CIT payments and the attempts on the same card under another agreement.

use mitgate_core::engine::Evaluation;
use mitgate_core::model::{Agreement, ChargeRequest, History, GRANDFATHERED_REFERENCE};

use crate::app::App;
use crate::store::customers::MAX_TOKEN_AGREEMENTS;
use crate::store::indexes::{PAYMENT, TOKEN};
use crate::store::{AgreementRecord, AttemptLedger, Kv, StoreError};

/// The agreement a charge request names: by id, by an MIT payment id (chaining is then refused by the
/// engine), or by credential token for a grandfathered `-100` reference. With the Durable Object store
/// from the agreement's object, or this isolate's copy of it (`checked`: for a charge, whose object checks
/// the copy's revision: `Stores::agreement_for_charge`).
pub(crate) async fn resolve<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    request: &ChargeRequest,
    checked: bool,
) -> Result<Option<AgreementRecord>, StoreError> {
    let grandfathered = request.reference == GRANDFATHERED_REFERENCE;
    let reference = if grandfathered {
        let Some(token) = &request.credential_token else { return Ok(None) };
        let Some(id) = app.stores.lookup(&TOKEN, merchant, token).await? else { return Ok(None) };
        id
    } else {
        request.reference.clone()
    };
    if let Some(found) = app.stores.agreement_for_charge(merchant, &reference, checked).await {
        return found;
    }
    if let Some(r) = app.stores.agreement(merchant, &reference).await? {
        return Ok(Some(r));
    }
    if grandfathered {
        return Ok(None);
    }
    match app.stores.lookup(&PAYMENT, merchant, &reference).await? {
        Some(id) => app.stores.agreement(merchant, &id).await,
        None => Ok(None),
    }
}

/// The attempts on an agreement's credential token under the merchant's other agreements on that token
/// (its newest [`MAX_TOKEN_AGREEMENTS`], from the token's list, and the token index's latest for
/// agreements stored before the list existed), from their ledgers in the configured store. The card
/// networks count declines per card, so the engine's retry rules read them (`history.credentialAttempts`),
/// whichever of the card's agreements is charged.
pub(crate) async fn credential_attempts<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    agreement: &Agreement,
) -> Result<Vec<mitgate_core::model::Attempt>, StoreError> {
    let token = agreement.credential.token.as_str();
    let mut others = app.stores.token_agreements(merchant, token).await?;
    if others.is_empty() {
        others.extend(app.stores.lookup(&TOKEN, merchant, token).await?);
    }
    others.retain(|id| *id != agreement.id);
    others.truncate(MAX_TOKEN_AGREEMENTS);
    let mut found = Vec::new();
    for other in &others {
        let mut attempts = app.stores.attempts(merchant, other).await?.attempts;
        // An attempt without a token charged that agreement's credential: this token, by the list.
        for a in &mut attempts {
            a.credential_token.get_or_insert_with(|| token.to_string());
        }
        found.extend(attempts.into_iter().filter(|a| a.credential_token.as_deref() == Some(token)));
    }
    Ok(found)
}

/// The state a decision is made on.
pub(crate) struct Loaded {
    pub record: Option<AgreementRecord>,
    pub evaluation: Evaluation,
}

/// Loads what a decision on `request` reads; nothing is written.
pub(crate) async fn load<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    request: ChargeRequest,
) -> Result<Loaded, StoreError> {
    load_with(app, merchant, request, true).await
}

/// [`load`] without the agreement's own ledger (`history.attempts` empty) when `read_ledger` is false:
/// a charge whose agreement's Durable Object decides on the ledger it holds (`handlers/charges.rs`).
pub(crate) async fn load_with<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    request: ChargeRequest,
    read_ledger: bool,
) -> Result<Loaded, StoreError> {
    let record = resolve(app, merchant, &request, !read_ledger).await?;
    let ledger = match &record {
        Some(r) if read_ledger => app.stores.ledger(merchant, &r.agreement.id).await?,
        Some(_) | None => AttemptLedger::default(),
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
/// other CVV-verified CIT of that customer with this merchant (`store/customer_index.rs`). The agreement's merchant
/// is the index's (agreements are keyed by merchant: another merchant's is never loaded).
pub(crate) async fn payments_of<K: Kv, P>(
    app: &App<'_, K, P>,
    record: &AgreementRecord,
) -> Result<Vec<mitgate_core::model::Payment>, StoreError> {
    match &record.agreement.customer_id {
        None => Ok(record.payments.clone()),
        Some(customer) => {
            let index = app.stores.customer_index(&record.agreement.merchant_id, customer).await?;
            Ok(crate::store::customer_index::history_payments(record, &index))
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
    let payments = crate::store::customer_index::indexable(record);
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
    let add = crate::store::customer_index::CustomerAdd { payments, lookback };
    app.stores.add_customer_payments(merchant, customer, &add, app.now).await.map_err(not_indexed)
}
