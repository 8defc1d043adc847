//! The key layout of every namespace and Durable Object (docs/worker.md, "KV layout").

use super::customer_index::index_name;
use crate::hash::sha256_hex;

/// A merchant's policy (`POLICIES`).
pub(super) fn policy_key(merchant: &str) -> String {
    format!("policy/v1/{merchant}")
}
/// INVARIANT: agreement records, ledgers and their objects are keyed by merchant and id (layout v2): an id
/// another merchant uses is another key, so it answers exactly as an unknown id and cannot be claimed
/// first (issue 15, item 10). Merchant ids hold no `/` (auth.rs).
pub(super) fn agreement_key(merchant: &str, id: &str) -> String {
    format!("agreement/v2/{merchant}/{id}")
}
/// An agreement's attempt ledger (`VELOCITY`).
pub(super) fn attempts_key(merchant: &str, id: &str) -> String {
    format!("attempts/v2/{merchant}/{id}")
}
/// The Durable Object owning an agreement's ledger.
pub(super) fn object_name(merchant: &str, agreement: &str) -> String {
    format!("agreement/{merchant}/{agreement}")
}
/// A customer's index of CVV-verified CITs (`AGREEMENTS`, KV store).
pub(super) fn customer_key(merchant: &str, customer: &str) -> String {
    format!("customer/v1/{}", index_name(merchant, customer))
}
/// The Durable Object owning a customer's index.
pub(super) fn customer_object_name(merchant: &str, customer: &str) -> String {
    format!("customer/{}", index_name(merchant, customer))
}
/// A customer's agreements with one merchant (the dashboard's lookup); the customer id is hashed, so no
/// customer-supplied text is a key component.
pub(super) fn customer_agreements_key(merchant: &str, customer: &str) -> String {
    format!("customeragreements/v1/{merchant}/{}", sha256_hex(customer.as_bytes()))
}
/// A credential token's agreements with one merchant; the token is hashed like a customer id.
pub(super) fn token_agreements_key(merchant: &str, token: &str) -> String {
    format!("tokenagreements/v1/{merchant}/{}", sha256_hex(token.as_bytes()))
}
/// An idempotency key's record.
pub(super) fn idempotency_key(merchant: &str, key_digest: &str) -> String {
    format!("idem/v1/{merchant}/{key_digest}")
}
