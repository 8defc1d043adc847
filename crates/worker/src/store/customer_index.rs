//! Customer-level history: the base of an amount ceiling is every CVV-verified CIT of the same merchant
//! and customer, across all of the customer's agreements (document 001: "the maximum amount *a customer*
//! has spent in a CIT where the customer provided the CVV", within `maxAmountLookback`).
//!
//! Each (merchant, customer) has one index of those payments ([`CustomerIndex`]), kept in KV or in a
//! Durable Object like the rest of the state (docs/worker.md, "Customer-level history"). A CIT adds its
//! payment, which raises the ceiling of the customer's other references at once; a decision reads the
//! index and adds its payments to the agreement's own. An agreement without a customer (002 and 003
//! name none) keeps its own payments only.
//!
//! The index stays small: [`merge`] drops what can never be a ceiling's base again.
//! - A payment at or before `now - maxAmountLookback` is out of every later lookback window.
//! - A payment is *dominated* when another of the same currency is at least as large and at least as
//!   recent: whenever the first is inside a lookback window, so is the second, and the engine picks the
//!   larger (ties: the later, then the smaller id). What remains per currency is a staircase: older
//!   payments strictly larger than newer ones.
//! - At most [`MAX_PER_CURRENCY`] payments per currency remain; beyond that the smallest go, which can
//!   only lower a ceiling (fail closed).
//!
//! INVARIANT: for every `now` at or after the latest index write and every lookback at most the one the
//! index was pruned with, the engine's ceiling base over (own payments ∪ index) equals its base over
//! (own payments ∪ every payment ever added), except where the cap dropped payments (then it is lower).

use serde::Serialize;

use mitgate_core::model::{EstablishmentMethod, Payment, PaymentKind};
use mitgate_core::time::Timestamp;
use mitgate_json::FromJson;

use super::records::AgreementRecord;
use crate::hash::sha256_hex;

/// The most payments kept per currency in one customer's index.
pub(crate) const MAX_PER_CURRENCY: usize = 32;

/// One CVV-verified CIT of the customer, with the agreement it established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CustomerPayment {
    pub agreement_id: String,
    pub payment: Payment,
}

/// A customer's index: their CVV-verified CIT payments with one merchant that can still be a base.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, FromJson)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomerIndex {
    #[serde(default)]
    pub payments: Vec<CustomerPayment>,
}

/// What a CIT adds to its customer's index (the Durable Object operation's body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CustomerAdd {
    #[serde(default)]
    pub payments: Vec<CustomerPayment>,
    /// The merchant's `maxAmountLookback` when written (payments out of its window are dropped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lookback: Option<u64>,
}

/// The index's name for a customer: the merchant (`/` and `%` escaped, so no two merchants share a
/// prefix) and the SHA-256 of the customer id (any length, any characters, never a card number at rest).
pub(crate) fn index_name(merchant: &str, customer: &str) -> String {
    let merchant = merchant.replace('%', "%25").replace('/', "%2F");
    format!("{merchant}/{}", sha256_hex(customer.as_bytes()))
}

/// The payments of an agreement that belong in its customer's index: its CVV-verified CIT payments with
/// an amount, and its initial CIT when that was a CVV-verified purchase the history does not list.
/// Empty when the agreement names no customer.
pub(crate) fn indexable(record: &AgreementRecord) -> Vec<CustomerPayment> {
    if record.agreement.customer_id.is_none() {
        return Vec::new();
    }
    let id = &record.agreement.id;
    let entry = |payment: Payment| CustomerPayment { agreement_id: id.clone(), payment };
    let mut out: Vec<CustomerPayment> = record
        .payments
        .iter()
        .filter(|p| p.cvv_verified && !p.amount.is_zero())
        .cloned()
        .map(entry)
        .collect();
    let est = &record.agreement.established;
    let listed = record.payments.iter().any(|p| p.cvv_verified && p.id == *id);
    if let (EstablishmentMethod::CvvPurchase, Some(amount), false) = (est.method, est.amount, listed) {
        if !amount.is_zero() {
            out.push(entry(Payment {
                id: id.clone(),
                at: est.at,
                amount,
                cvv_verified: true,
                kind: PaymentKind::Purchase,
            }));
        }
    }
    out
}

/// The engine's order of candidates for a base: larger, then later, then the smaller id.
fn outranks(a: &Payment, b: &Payment) -> bool {
    (a.amount.amount(), a.at, std::cmp::Reverse(&a.id)) > (b.amount.amount(), b.at, std::cmp::Reverse(&b.id))
}

/// Adds `new` to `index` (a payment id already present is replaced) and prunes what can never be a
/// base again at or after `now` (see the module docs).
pub(crate) fn merge(
    index: &mut CustomerIndex,
    new: Vec<CustomerPayment>,
    now: Timestamp,
    lookback: Option<u64>,
) {
    for n in new {
        match index.payments.iter_mut().find(|p| p.payment.id == n.payment.id) {
            Some(slot) => *slot = n,
            None => index.payments.push(n),
        }
    }
    let horizon = lookback.map(|l| now.minus_seconds(l));
    index.payments.retain(|p| p.payment.cvv_verified && horizon.is_none_or(|h| p.payment.at > h));
    let all = index.payments.clone();
    index.payments.retain(|p| {
        let p = &p.payment;
        !all.iter().any(|q| {
            let q = &q.payment;
            q.id != p.id
                && q.amount.currency() == p.amount.currency()
                && q.amount.amount() >= p.amount.amount()
                && q.at >= p.at
                && outranks(q, p)
        })
    });
    // Largest first, then the cap per currency.
    index.payments.sort_by(|a, b| {
        (b.payment.amount.amount(), b.payment.at, &a.payment.id).cmp(&(
            a.payment.amount.amount(),
            a.payment.at,
            &b.payment.id,
        ))
    });
    let mut kept: Vec<(mitgate_core::Currency, usize)> = Vec::new();
    index.payments.retain(|p| {
        let c = p.payment.amount.currency();
        match kept.iter_mut().find(|(k, _)| *k == c) {
            Some((_, n)) if *n >= MAX_PER_CURRENCY => false,
            Some((_, n)) => {
                *n += 1;
                true
            }
            None => {
                kept.push((c, 1));
                true
            }
        }
    });
}

/// The payments a decision on `record` counts: its own, and its customer's others from the index.
pub(crate) fn history_payments(record: &AgreementRecord, index: &CustomerIndex) -> Vec<Payment> {
    let mut payments = record.payments.clone();
    for p in &index.payments {
        if !payments.iter().any(|own| own.id == p.payment.id) {
            payments.push(p.payment.clone());
        }
    }
    payments
}

#[cfg(test)]
mod tests;
