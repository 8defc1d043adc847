//! Read routes for operators (the dashboard on live state): `GET /v1/customers/{customerId}/agreements`,
//! a customer's agreements with the calling merchant, newest first, each with its history, as
//! `GET /v1/agreements/{id}` answers it.

use super::agreements::{record_json, RecordView};
use crate::app::{store_failed, Answer, App, Call};
use crate::http::HttpResponse;
use crate::store::Kv;
use serde::Serialize;

/// A customer's agreements with `merchant` (at most [`crate::store::customers::MAX_CUSTOMER_AGREEMENTS`]). An
/// unknown customer has none (200, empty list): whether a customer exists is not a secret of its own.
pub(crate) async fn agreements<K: Kv, P>(app: &App<'_, K, P>, call: &Call<'_>) -> Answer {
    let (merchant, customer) = (call.merchant, call.customer);
    let ids = app.stores.customer_agreements(merchant, customer).await.map_err(|e| store_failed(&e))?;
    let mut records = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(record) = app.stores.agreement(merchant, &id).await.map_err(|e| store_failed(&e))? else {
            continue;
        };
        // INVARIANT: only the caller's agreements of this very customer are answered, whatever the index says.
        if record.agreement.merchant_id != merchant
            || record.agreement.customer_id.as_deref() != Some(customer)
        {
            continue;
        }
        let ledger = app.stores.ledger(merchant, &id).await.map_err(|e| store_failed(&e))?;
        records.push((record, ledger));
    }
    let agreements: Vec<_> = records.iter().map(|(r, l)| record_json(r, l)).collect();
    Ok(HttpResponse::json_in_name_order(200, &CustomerAgreements { customer_id: customer, agreements }))
}

/// The answer of `GET /v1/customers/{customerId}/agreements` (openapi.yaml `CustomerAgreements`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CustomerAgreements<'a> {
    /// The customer asked about.
    pub customer_id: &'a str,
    /// Their agreements with the caller, newest first.
    pub agreements: Vec<RecordView<'a>>,
}

#[cfg(test)]
mod tests;
