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
use sha2::{Digest, Sha256};

use mitgate_core::json_struct;
use mitgate_core::model::{EstablishmentMethod, Payment, PaymentKind};
use mitgate_core::time::Timestamp;

use crate::store::AgreementRecord;

/// The most payments kept per currency in one customer's index.
pub(crate) const MAX_PER_CURRENCY: usize = 32;

/// One CVV-verified CIT of the customer, with the agreement it established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CustomerPayment {
    pub agreement_id: String,
    pub payment: Payment,
}

json_struct!(CustomerPayment, deny_unknown {
    agreement_id: req "agreementId",
    payment: req "payment",
});

/// A customer's index: their CVV-verified CIT payments with one merchant that can still be a base.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct CustomerIndex {
    pub payments: Vec<CustomerPayment>,
}

json_struct!(CustomerIndex, deny_unknown {
    payments: default "payments",
});

/// What a CIT adds to its customer's index (the Durable Object operation's body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CustomerAdd {
    pub payments: Vec<CustomerPayment>,
    /// The merchant's `maxAmountLookback` when written (payments out of its window are dropped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lookback: Option<u64>,
}

json_struct!(CustomerAdd, deny_unknown {
    payments: default "payments",
    lookback: opt "lookback",
});

/// The index's name for a customer: the merchant (`/` and `%` escaped, so no two merchants share a
/// prefix) and the SHA-256 of the customer id (any length, any characters, never a card number at rest).
pub(crate) fn index_name(merchant: &str, customer: &str) -> String {
    let merchant = merchant.replace('%', "%25").replace('/', "%2F");
    format!("{merchant}/{}", crate::service::hex(&Sha256::digest(customer.as_bytes())))
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
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use mitgate_core::engine::{self, LimitsQuery};
    use mitgate_core::model::{Agreement, History};
    use mitgate_core::policy::Policy;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn pay(id: &str, amount: &str, when: &str) -> CustomerPayment {
        CustomerPayment {
            agreement_id: id.into(),
            payment: mitgate_core::json::from_str(&format!(
                r#"{{"id": "{id}", "at": "{when}", "amount": {{"amount": "{amount}", "currency": "USD"}}, "cvvVerified": true}}"#
            ))
            .unwrap(),
        }
    }

    fn record(id: &str, customer: Option<&str>) -> AgreementRecord {
        let customer = customer.map_or(String::new(), |c| format!(r#""customerId": "{c}","#));
        let agreement: Agreement = mitgate_core::json::from_str(&format!(
            r#"{{"id": "{id}", "merchantId": "demo", {customer} "type": "unscheduled",
                "established": {{"method": "cvv_purchase", "at": "2026-05-01T00:00:00Z", "amount": {{"amount": "10.00", "currency": "USD"}}}},
                "currency": "USD", "paymentMethod": {{"type": "card"}}, "credential": {{"token": "tok"}},
                "consent": {{"storeCredential": true, "merchantInitiated": true}}}}"#
        ))
        .unwrap();
        AgreementRecord {
            agreement,
            payments: vec![pay(id, "10.00", "2026-05-01T00:00:00Z").payment],
            dialect: None,
            processor_context: serde_json::Map::new(),
            created_at: at("2026-05-01T00:00:00Z"),
            updated_at: at("2026-05-01T00:00:00Z"),
        }
    }

    /// Document 001's example 1: 10, 6, 12, 40 leave only 40 (the others are older and smaller).
    #[test]
    fn example_1_keeps_the_forty() {
        let mut index = CustomerIndex::default();
        let now = at("2026-05-05T00:00:00Z");
        for (id, amount, when) in [
            ("p10", "10.00", "2026-05-01T00:00:00Z"),
            ("p6", "6.00", "2026-05-02T00:00:00Z"),
            ("p12", "12.00", "2026-05-03T00:00:00Z"),
            ("p40", "40.00", "2026-05-04T00:00:00Z"),
        ] {
            merge(&mut index, vec![pay(id, amount, when)], now, Some(2_592_000));
        }
        let ids: Vec<&str> = index.payments.iter().map(|p| p.payment.id.as_str()).collect();
        assert_eq!(ids, ["p40"]);
        // A later smaller one stays: it will be the base once the 40 leaves the lookback.
        merge(&mut index, vec![pay("p5", "5.00", "2026-05-05T00:00:00Z")], now, Some(2_592_000));
        assert_eq!(index.payments.len(), 2);
        // Out of the lookback: gone.
        merge(&mut index, vec![], at("2026-06-03T00:00:01Z"), Some(2_592_000));
        let ids: Vec<&str> = index.payments.iter().map(|p| p.payment.id.as_str()).collect();
        assert_eq!(ids, ["p5"]);
    }

    #[test]
    fn the_cap_keeps_the_largest() {
        let mut index = CustomerIndex::default();
        let now = at("2026-05-05T00:00:00Z");
        // Strictly decreasing amounts over time: none dominates another.
        let new: Vec<CustomerPayment> = (0..40)
            .map(|i| pay(&format!("p{i}"), &format!("{}.00", 100 - i), &format!("2026-05-01T00:{i:02}:00Z")))
            .collect();
        merge(&mut index, new, now, None);
        assert_eq!(index.payments.len(), MAX_PER_CURRENCY);
        assert_eq!(index.payments[0].payment.id, "p0");
    }

    #[test]
    fn agreements_without_a_customer_index_nothing() {
        assert!(indexable(&record("a1", None)).is_empty());
        let with = indexable(&record("a1", Some("c1")));
        assert_eq!(with.len(), 1, "the listed initial payment, once");
        let mut unlisted = record("a2", Some("c1"));
        unlisted.payments.clear();
        assert_eq!(indexable(&unlisted)[0].payment.id, "a2", "the initial CVV purchase stands for itself");
    }

    #[test]
    fn names_escape_the_merchant_and_hash_the_customer() {
        assert_ne!(index_name("a/b", "c"), index_name("a", "b/c"));
        assert!(index_name("m", "4111111111111111").starts_with("m/"));
        assert!(!index_name("m", "4111111111111111").contains("4111111111111111"));
        assert_eq!(index_name("m%2Fx", "c").split('/').next(), Some("m%252Fx"));
    }

    /// Pruning never changes the engine's base: any order of adds, any later `now`, compared with the
    /// base over every payment ever added.
    #[test]
    fn pruning_keeps_the_engines_base() {
        let amounts = ["10.00", "6.00", "12.00", "40.00", "40.00", "3.00", "25.00", "12.00"];
        let lookback = 3 * 86_400;
        let policy: Policy = mitgate_core::json::from_str(&format!(
            r#"{{"enabled": true, "maxMultiple": 3, "maxZeroAuthAmount": {{"cents": 2000}}, "maxAmountLookback": {lookback}}}"#
        ))
        .unwrap();
        let mut rec = record("own", Some("c1"));
        rec.payments.clear();
        rec.agreement.established.method = EstablishmentMethod::ZeroAuth;
        for rotation in 0..amounts.len() {
            let mut index = CustomerIndex::default();
            let mut all = Vec::new();
            for step in 0..amounts.len() {
                let i = (step + rotation) % amounts.len();
                let p = pay(&format!("p{i}"), amounts[i], &format!("2026-05-0{}T{:02}:00:00Z", 1 + i / 3, i));
                let write_now = at("2026-05-04T00:00:00Z");
                all.push(p.clone());
                merge(&mut index, vec![p], write_now, Some(lookback));
            }
            for day in [
                "2026-05-04T00:00:00Z",
                "2026-05-05T01:30:00Z",
                "2026-05-06T03:00:00Z",
                "2026-05-07T12:00:00Z",
            ] {
                let base = |payments: Vec<Payment>| {
                    let q = LimitsQuery {
                        now: at(day),
                        policy: policy.clone(),
                        agreement: rec.agreement.clone(),
                        history: History { payments, ..History::default() },
                    };
                    let c = engine::limits(&q).ceiling;
                    (c.amount, c.policy.and_then(|p| p.base_payment_id))
                };
                let full = base(all.iter().map(|p| p.payment.clone()).collect());
                let pruned = base(history_payments(&rec, &index));
                assert_eq!(pruned, full, "rotation {rotation}, at {day}");
            }
        }
    }
}
