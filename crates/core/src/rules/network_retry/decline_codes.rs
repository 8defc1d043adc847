//! Card-network retry tables, kept as data in one place.
//!
//! Sources:
//! - Visa Core Rules and Visa Product and Service Rules, "Authorization Reattempt" (excessive reattempt
//!   fees effective April 2021 / April 2022), as summarized by acquirers' merchant notices
//!   (Fiserv CardPointe "Visa Decline Rules", Checkout.com "Visa response code categories",
//!   Forte "Visa Decline Response Code Rules and Integrity Fees"). Category 1: the issuer will never
//!   approve, no reattempt; categories 2-4: at most 15 reattempts within 30 days.
//! - Mastercard "Merchant Advice Code" transaction processing rules (Transaction Processing Excellence
//!   program, 2022/2024 revisions): MAC 03 and 21 never retry; MAC 24-30 give the minimum wait after a
//!   decline; more than 35 reattempts in 30 days incurs the excessive-retry fee.
//! - Axerve "MIT Recurring payments": 8026, soft decline, cardholder authentication required.

use crate::model::DeclineReason;

/// Axerve's soft decline: the chain needs a new SCA-authenticated first transaction.
pub const SOFT_DECLINE_AUTHENTICATION_REQUIRED: &str = "8026";

/// Visa category 1: the issuer will never approve. Since the April 2021 revision, 14 (invalid account
/// number) counts as both category 1 and category 3, and may never be reattempted: it is listed here, so
/// category 1 wins.
pub const VISA_CATEGORY_1: &[&str] =
    &["04", "07", "12", "14", "15", "41", "43", "46", "57", "R0", "R1", "R3"];
/// Visa category 2: the issuer cannot approve at this time.
pub const VISA_CATEGORY_2: &[&str] =
    &["03", "19", "51", "59", "61", "62", "65", "75", "78", "86", "91", "93", "96", "N3", "N4"];
/// Visa category 3: the issuer cannot approve with the details provided.
pub const VISA_CATEGORY_3: &[&str] = &["14", "54", "55", "6P", "82", "N7", "1A"];

/// Visa's reattempt budget for categories 2-4.
pub const VISA_MAX_REATTEMPTS: u32 = 15;
/// Mastercard's reattempt budget before excessive-retry fees.
pub const MASTERCARD_MAX_REATTEMPTS: u32 = 35;
/// Both networks count reattempts over 30 days.
pub const REATTEMPT_WINDOW_DAYS: u32 = 30;

/// Mastercard Merchant Advice Codes that forbid any retry on the credential.
pub const MASTERCARD_NEVER_RETRY: &[&str] = &["03", "21"];

/// Mastercard Merchant Advice Codes 24-30: the minimum wait, in seconds, before a retry.
pub const MASTERCARD_WAIT: &[(&str, u64)] = &[
    ("24", 3600),        // retry after 1 hour
    ("25", 86_400),      // retry after 24 hours
    ("26", 2 * 86_400),  // retry after 2 days
    ("27", 4 * 86_400),  // retry after 4 days
    ("28", 6 * 86_400),  // retry after 6 days
    ("29", 8 * 86_400),  // retry after 8 days
    ("30", 10 * 86_400), // retry after 10 days
];

/// The Visa category (1-4) of a decline: from its response code when there is one, otherwise from the
/// canonical reason (lost/stolen, closed, revoked: 1; funds, issuer down, fraud: 2; expired card,
/// authentication: 3; anything else: 4).
pub fn visa_category(code: Option<&str>, reason: DeclineReason) -> u8 {
    if let Some(code) = code {
        let code = code.trim();
        if VISA_CATEGORY_1.contains(&code) {
            return 1;
        }
        if VISA_CATEGORY_2.contains(&code) {
            return 2;
        }
        if VISA_CATEGORY_3.contains(&code) {
            return 3;
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

/// The wait a Mastercard Merchant Advice Code asks for, in seconds.
pub fn mastercard_wait_seconds(advice_code: &str) -> Option<u64> {
    MASTERCARD_WAIT.iter().find(|(c, _)| *c == advice_code.trim()).map(|(_, s)| *s)
}

/// Whether a Mastercard Merchant Advice Code forbids every retry.
pub fn mastercard_never_retry(advice_code: &str) -> bool {
    MASTERCARD_NEVER_RETRY.contains(&advice_code.trim())
}
