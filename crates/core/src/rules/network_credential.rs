//! What the networks require of the stored credential itself:
//! - Mastercard Merchant Advice Codes `40` (consumer non-reloadable prepaid) and `41` (consumer single-use
//!   virtual card) on the storing CIT's approval (`agreement.established.adviceCode`): the card must not
//!   be stored for MITs, so no MIT may use it. Judged by the rule-set version in force when the agreement
//!   was established (or the policy's pin). `42` and `43` are informational.
//! - With the policy's `requireNetworkReferences` (off by default): a Visa or Mastercard MIT needs the
//!   storing CIT's network transaction id, and from 2026-10-23 a Mastercard MIT also its Transaction Link
//!   ID, as the version judging `now` requires. Grandfathered chains are exempt (they predate the
//!   references).

use super::{violation, Context};
use crate::decision::{Code, Details, ReferenceDetails, StorageDetails, Violation};
use crate::model::{CardBrand, EstablishmentMethod};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let a = ctx.agreement;
    let brand = a.payment_method.brand;
    // An advice code is Mastercard's; an agreement on another named network ignores it.
    if let Some(mac) = a.established.advice_code.as_deref() {
        let then = ctx.rules_at(a.established.at);
        if brand.is_none_or(|b| b == CardBrand::Mastercard) && then.mastercard.not_storable(mac) {
            out.push(violation(
                Code::CredentialNotStorable,
                "The storing payment's approval carried a Mastercard Merchant Advice Code that forbids storing the card for merchant-initiated charges (details.adviceCode).".to_string(),
                None,
                Details::Storage(StorageDetails {
                    advice_code: mac.to_string(),
                    rules_version: then.version,
                }),
            ));
        }
    }

    if !ctx.policy.require_network_references || a.established.method == EstablishmentMethod::Grandfathered {
        return;
    }
    let rules = ctx.rules();
    let (ntid, tlid) = match brand {
        Some(CardBrand::Visa) => (rules.visa.network_transaction_id_on_mit, false),
        Some(CardBrand::Mastercard) => {
            (rules.mastercard.network_transaction_id_on_mit, rules.mastercard.transaction_link_id_on_mit)
        }
        _ => return,
    };
    let mut missing = Vec::new();
    if ntid && a.established.network_transaction_id.is_none() {
        missing.push("established.networkTransactionId");
    }
    if tlid && a.established.transaction_link_id.is_none() {
        missing.push("established.transactionLinkId");
    }
    if missing.is_empty() {
        return;
    }
    out.push(violation(
        Code::NetworkReferenceMissing,
        "The network requires the storing payment's references on every merchant-initiated charge; the agreement lacks those in details.missing.".to_string(),
        None,
        Details::References(ReferenceDetails { missing }),
    ));
}
