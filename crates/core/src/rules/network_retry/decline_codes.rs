//! Decline codes that are not network tables: Axerve's soft decline, and the Visa category of a decline
//! from its canonical reason when the response code is not in the rule set's lists. The network tables
//! themselves are dated data in [`crate::network_rules`].
//!
//! Sources: Axerve "MIT Recurring payments" (8026, soft decline, cardholder authentication required).

use crate::model::DeclineReason;
use crate::network_rules::VisaRules;

/// Axerve's soft decline: the chain needs a new SCA-authenticated first transaction.
pub const SOFT_DECLINE_AUTHENTICATION_REQUIRED: &str = "8026";

/// The Visa category (1-4) of a decline under one version's tables: from its response code when the
/// version lists it, otherwise from the canonical reason (lost/stolen, closed, revoked: 1; funds, issuer
/// down, fraud: 2; expired card, authentication: 3; anything else: 4). An unlisted code with reason
/// `other` is category 4 (Visa's generic codes).
pub fn visa_category(visa: &VisaRules, code: Option<&str>, reason: DeclineReason) -> u8 {
    if let Some(code) = code {
        if let Some(category) = visa.category_of_code(code) {
            return category;
        }
        if reason == DeclineReason::Other {
            return 4;
        }
    }
    match reason {
        DeclineReason::LostOrStolen | DeclineReason::AccountClosed | DeclineReason::AuthorizationRevoked => 1,
        DeclineReason::InsufficientFunds
        | DeclineReason::IssuerUnavailable
        | DeclineReason::SuspectedFraud => 2,
        DeclineReason::CardExpired | DeclineReason::AuthenticationRequired => 3,
        DeclineReason::DoNotHonor | DeclineReason::Other => 4,
    }
}
