//! Card-network and regulator rules as dated data: every rule-set version the engine knows, in order of
//! effective date. Nothing else in the engine holds a network number, code list or date.
//!
//! - A version takes effect at 00:00:00 UTC of the date it is named after and holds until the next one.
//!   An instant before the first version is judged by the first version (the rules mitgate was built on).
//! - A decision at `now` takes its budgets, windows and requirements from the version in force at `now`;
//!   a decline is categorised (Visa category, Mastercard advice) by the version in force when it happened
//!   ([`in_force`]). A policy may pin one version for both ([`by_version`]).
//! - Each version is a full snapshot, written as "the previous one, with these changes", and each change
//!   names its source (publisher, title, date) where it is made. Sources were read on 2026-12-02; where
//!   a day or a fact could not be confirmed, the comment says so ("unverified").

/// Visa's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisaRules {
    /// Category 1 response codes: the issuer will never approve, no reattempt.
    pub category_1: &'static [&'static str],
    /// Category 2 response codes: the issuer cannot approve at this time.
    pub category_2: &'static [&'static str],
    /// Category 3 response codes: the issuer cannot approve with the details given.
    pub category_3: &'static [&'static str],
    /// Reattempts allowed for categories 2-4 in the window; the next one is charged.
    pub max_reattempts: u32,
    /// The reattempt window, days.
    pub window_days: u32,
    /// The fee per excessive reattempt as published, US cents, domestic (not used by the rules).
    pub excess_fee_usd_cents: Option<u32>,
    /// An MIT must carry the network transaction id of the storing CIT.
    pub network_transaction_id_on_mit: bool,
    /// Free-trial rule: the reminder (with a cancellation link) must go out at least this many days before
    /// the first charge after a trial or introductory offer.
    pub trial_reminder_min_days: Option<u32>,
}

/// Mastercard's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MastercardRules {
    /// Merchant Advice Codes on a decline that forbid any retry on the credential.
    pub never_retry: &'static [&'static str],
    /// Merchant Advice Codes on a decline that ask for a minimum wait, seconds.
    pub waits: &'static [(&'static str, u64)],
    /// Reattempts allowed in the window (same card, merchant and amount) before the fee.
    pub max_reattempts: u32,
    /// The reattempt window, days.
    pub window_days: u32,
    /// Declines per card allowed in a rolling 24 hours before every further attempt is charged.
    pub max_declines_per_day: Option<u32>,
    /// The fee per excessive attempt as published, US cents (not used by the rules).
    pub excess_fee_usd_cents: Option<u32>,
    /// Merchant Advice Codes on the storing CIT's approval that mean the card must not be stored for MITs.
    pub not_storable: &'static [&'static str],
    /// An MIT must carry the network transaction id (trace id) of the storing CIT.
    pub network_transaction_id_on_mit: bool,
    /// An MIT must carry the Transaction Link ID retained from the storing CIT.
    pub transaction_link_id_on_mit: bool,
    /// Negative-option billing reminders.
    pub trial_reminder: Option<MastercardReminder>,
}

/// Mastercard's negative-option reminder windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MastercardReminder {
    /// The reminder goes out no less than this many days before the trial ends...
    pub min_days_before: u32,
    /// ...and no more than this many.
    pub max_days_before: u32,
    /// Only trials longer than this many days need it.
    pub trials_longer_than_days: u32,
    /// Subscriptions billed this many months apart or more need a reminder before each charge.
    pub long_interval_months: u32,
}

/// India's e-mandate rules (RBI): the largest recurring charge without an additional factor of
/// authentication, in whole rupees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndiaRules {
    /// Every other purpose.
    pub afa_limit_general_inr: u64,
    /// Mutual-fund subscriptions, insurance premiums and credit-card bills.
    pub afa_limit_special_inr: u64,
}

/// One version of every network table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleSet {
    /// The version's name: the date it takes effect, `YYYY-MM-DD`.
    pub version: &'static str,
    /// Its first instant, Unix seconds (00:00:00 UTC of `version`).
    pub effective_from: i64,
    /// Visa.
    pub visa: VisaRules,
    /// Mastercard.
    pub mastercard: MastercardRules,
    /// India (RBI e-mandates).
    pub india: IndiaRules,
}

// The first version: the tables mitgate shipped with (Visa's April 2021 category revision).
//
// - Visa categories, 15 reattempts in 30 days, USD 0.10 per excessive reattempt: Visa, "Visa Core Rules
//   and Visa Product and Service Rules", decline-category revision effective 17 Apr 2021, as summarised by
//   MidMetrics, "Visa's Rule Changes for Declined Transaction Codes" (16 Apr 2021); Evolve, "Visa's
//   Processing Integrity Fee Program" (category 1 list incl. 46 and 57); PayWay, "Visa Excessive
//   Reattempts Rule & Fees" (USD 0.10 after the 15th); Nets, "Visa Fines on attempts to complete already
//   declined transactions" (28 Nov 2023). 14 is both category 1 and 3: listed in 1, so 1 wins.
// - Network transaction id on MITs (Visa and Mastercard stored-credential framework): Spreedly, "Stored
//   Credentials" (undated developer guide). The framework's own effective date (2017) is unverified.
// - Visa free-trial reminder at least 7 days before the first charge: NerdWallet, "Visa Will Make
//   Introductory Trial Terms More Transparent" (policy from 18 Apr 2020); Payvision, "Updated policy for
//   subscription merchants offering free trials or introductory promotions" (1 Jun 2019).
// - Mastercard MAC 03/21 never retry, 24-30 waits: Everonet, "Mastercard-Merchant Advice Code"
//   (undated); 35 reattempts in 30 days (same card, merchant, amount): retries.com, "Mastercard Transaction
//   Processing Excellence (TPE)" (undated guide).
// - India AFA limit ₹5,000 before June 2022: Zee Business, "RBI monetary policy | E-mandates to get a
//   boost" (8 Dec 2023), recalling the 2021 rule.
const V2021_04_17: RuleSet = RuleSet {
    version: "2021-04-17",
    effective_from: 1_618_617_600,
    visa: VisaRules {
        category_1: &["04", "07", "12", "14", "15", "41", "43", "46", "57", "R0", "R1", "R3"],
        category_2: &[
            "03", "19", "51", "59", "61", "62", "65", "75", "78", "86", "91", "93", "96", "N3", "N4",
        ],
        category_3: &["14", "54", "55", "6P", "82", "N7", "1A"],
        max_reattempts: 15,
        window_days: 30,
        excess_fee_usd_cents: Some(10), // plus USD 0.05 cross-border
        network_transaction_id_on_mit: true,
        trial_reminder_min_days: Some(7),
    },
    mastercard: MastercardRules {
        never_retry: &["03", "21"],
        waits: &[
            ("24", 3600),        // retry after 1 hour
            ("25", 86_400),      // retry after 24 hours
            ("26", 2 * 86_400),  // retry after 2 days
            ("27", 4 * 86_400),  // retry after 4 days
            ("28", 6 * 86_400),  // retry after 6 days
            ("29", 8 * 86_400),  // retry after 8 days
            ("30", 10 * 86_400), // retry after 10 days
        ],
        max_reattempts: 35,
        window_days: 30,
        max_declines_per_day: None,
        excess_fee_usd_cents: None,
        not_storable: &[],
        network_transaction_id_on_mit: true,
        transaction_link_id_on_mit: false,
        trial_reminder: None,
    },
    india: IndiaRules { afa_limit_general_inr: 5_000, afa_limit_special_inr: 5_000 },
};

// Mastercard negative-option billing: a reminder 3 to 7 days before a trial of more than 7 days ends, and
// before each charge of a subscription billed 6 months apart or more. Elavon, "Card brand changes
// December 2021" (requirements effective 22 Mar 2022); Braintree, "Mastercard Requirements for Negative
// Option Billing and Subscriptions" (3-7 days, trials over 7 days); Axerve, "Recurring payments and
// Negative Option Billing on MasterCard cards" (reminder for billing 6 months apart or more).
const V2022_03_22: RuleSet = RuleSet {
    version: "2022-03-22",
    effective_from: 1_647_907_200,
    mastercard: MastercardRules {
        trial_reminder: Some(MastercardReminder {
            min_days_before: 3,
            max_days_before: 7,
            trials_longer_than_days: 7,
            long_interval_months: 6,
        }),
        ..V2021_04_17.mastercard
    },
    ..V2021_04_17
};

// RBI raises the AFA relaxation for recurring e-mandates to ₹15,000: RBI circular
// CO.DPSS.POLC.No.S-518/02.14.003/2022-23 (16 Jun 2022), as cited by FinTech BizNews, "Processing of
// e-mandates for recurring transactions" (13 Dec 2023).
const V2022_06_16: RuleSet = RuleSet {
    version: "2022-06-16",
    effective_from: 1_655_337_600,
    india: IndiaRules { afa_limit_general_inr: 15_000, afa_limit_special_inr: 15_000 },
    ..V2022_03_22
};

// Mastercard Excessive Attempts (Transaction Processing Excellence): more than 10 declines on one card in
// a rolling 24 hours are charged, USD 0.10 each at launch. retries.com, "Mastercard Transaction Processing
// Excellence (TPE)" (launch October 2022; the day is unverified, the 1st is assumed); Dintero,
// "Tokenization error handling" (10 failed attempts in 24 hours). Forte, "MasterCard Excessive
// Authorization Attempts Fee" (undated), gives 20 declines for US/Canada: an earlier threshold.
const V2022_10_01: RuleSet = RuleSet {
    version: "2022-10-01",
    effective_from: 1_664_582_400,
    mastercard: MastercardRules {
        max_declines_per_day: Some(10),
        excess_fee_usd_cents: Some(10),
        ..V2022_03_22.mastercard
    },
    ..V2022_06_16
};

// Mastercard MAC 40 (consumer non-reloadable prepaid) and 41 (consumer single-use virtual card) on
// approvals: do not store the card for MITs. Forte, "Mastercard introduces new Merchant Advice Codes"
// (effective 7 Nov 2023); Cybersource, "Mastercard Merchant Advice Codes" (April 2024 mandates, effective
// 12 Apr 2024 on Visa Platform Connect); Galileo, "Merchant Advice Codes" (40/41 prevent card-on-file
// storage; 43 multi-use virtual card is informational). MAC 42 (sanctions score) and 43 are not stored
// refusals: they are informational for MITs.
const V2023_11_07: RuleSet = RuleSet {
    version: "2023-11-07",
    effective_from: 1_699_315_200,
    mastercard: MastercardRules { not_storable: &["40", "41"], ..V2022_10_01.mastercard },
    ..V2022_10_01
};

// RBI raises the AFA limit to ₹1,00,000 for mutual-fund subscriptions, insurance premiums and credit-card
// bills: RBI circular on processing of e-mandates for recurring transactions (12 Dec 2023, "with immediate
// effect"), as reported by FinTech BizNews (13 Dec 2023) and Legality Simplified, "RBI relaxations for
// Processing of e-mandates for recurring transactions". The day of the circular is taken as 2023-12-12
// (FinTech BizNews dates its report 13 Dec): unverified to the day.
const V2023_12_12: RuleSet = RuleSet {
    version: "2023-12-12",
    effective_from: 1_702_339_200,
    india: IndiaRules { afa_limit_general_inr: 15_000, afa_limit_special_inr: 100_000 },
    ..V2023_11_07
};

// Mastercard's excessive-attempts fee rises to USD 0.50: retries.com, "Mastercard Transaction Processing
// Excellence (TPE)" (fee table: January 2025). The day is unverified (the 1st is assumed).
const V2025_01_01: RuleSet = RuleSet {
    version: "2025-01-01",
    effective_from: 1_735_689_600,
    mastercard: MastercardRules { excess_fee_usd_cents: Some(50), ..V2023_12_12.mastercard },
    ..V2023_12_12
};

// Visa 5C (transaction not supported / blocked by issuer) and 9G (blocked by cardholder) join category 2:
// Cielo, "New retry codes for Visa: 5C and 9G" (effective 11 Apr 2025); TabaPay, "Changelog 11/27/24".
const V2025_04_11: RuleSet = RuleSet {
    version: "2025-04-11",
    effective_from: 1_744_329_600,
    visa: VisaRules {
        category_2: &[
            "03", "19", "51", "59", "61", "62", "65", "75", "78", "86", "91", "93", "96", "N3", "N4", "5C",
            "9G",
        ],
        ..V2025_01_01.visa
    },
    ..V2025_01_01
};

// Visa allows 20 reattempts in 30 days for categories 2-4 (the fee from the 21st): Cielo, "New limit for
// Visa retries starting May 25, 2025"; TabaPay, "Visa Response Code Updates" (up to 20 reattempts).
const V2025_05_25: RuleSet = RuleSet {
    version: "2025-05-25",
    effective_from: 1_748_131_200,
    visa: VisaRules { max_reattempts: 20, ..V2025_04_11.visa },
    ..V2025_04_11
};

// Visa reclassifies issuers' 57 (transaction not permitted to cardholder) as 05 (do not honor, a generic
// category 4 code): Checkout.com, "Changes to Visa response codes" (10 Sep 2026: "In October 2025").
// The day is unverified: 17 Oct 2025 is assumed, the date of Visa's October 2025 release in J.P. Morgan,
// "APAC payment brand changes" (P2025.0649, 15 Sep 2025), which also restricts 57 to non-reloadable
// prepaid cards.
const V2025_10_17: RuleSet = RuleSet {
    version: "2025-10-17",
    effective_from: 1_760_659_200,
    visa: VisaRules {
        category_1: &["04", "07", "12", "14", "15", "41", "43", "46", "R0", "R1", "R3"],
        ..V2025_05_25.visa
    },
    ..V2025_05_25
};

// Mastercard Transaction Link ID: retained from storing CITs from 2 Jun 2026, sent on every MIT from
// 23 Oct 2026. Stripe, "Mastercard Transaction Link ID"; Checkout.com, "Mastercard Transaction Link
// Identifier" (key dates); Xendit, "Mastercard Transaction Link ID". The network transaction id stays
// (Xendit: the TLID does not replace it).
const V2026_10_23: RuleSet = RuleSet {
    version: "2026-10-23",
    effective_from: 1_792_713_600,
    mastercard: MastercardRules { transaction_link_id_on_mit: true, ..V2025_10_17.mastercard },
    ..V2025_10_17
};

// Visa 57 becomes category 1, and 83 (fraud/security, Visa use only) category 2: TabaPay, "Visa Response
// Code Updates" (57 category 1 and 83 category 2 from 25 Oct 2026; 46 "deactivated token" category 1
// in effect); Checkout.com, "Changes to Visa response codes" (10 Sep 2026); Checkout.com, "Visa response
// code reclassification" (11 May 2026: 46 repurposed for deleted tokens).
const V2026_10_25: RuleSet = RuleSet {
    version: "2026-10-25",
    effective_from: 1_792_886_400,
    visa: VisaRules {
        category_1: &["04", "07", "12", "14", "15", "41", "43", "46", "57", "R0", "R1", "R3"],
        category_2: &[
            "03", "19", "51", "59", "61", "62", "65", "75", "78", "86", "91", "93", "96", "N3", "N4", "5C",
            "9G", "83",
        ],
        ..V2026_10_23.visa
    },
    ..V2026_10_23
};

/// Every version, oldest first.
// INVARIANT: sorted by `effective_from`, strictly increasing; `version` is the UTC date of `effective_from`
// (checked by a test).
pub const RULE_SETS: &[RuleSet] = &[
    V2021_04_17,
    V2022_03_22,
    V2022_06_16,
    V2022_10_01,
    V2023_11_07,
    V2023_12_12,
    V2025_01_01,
    V2025_04_11,
    V2025_05_25,
    V2025_10_17,
    V2026_10_23,
    V2026_10_25,
];

/// The version in force at an instant given as Unix seconds (the first version before it took effect).
pub fn in_force_at(unix_seconds: i64) -> &'static RuleSet {
    RULE_SETS.iter().rev().find(|r| r.effective_from <= unix_seconds).unwrap_or(&V2021_04_17)
}

/// The version in force at an instant.
pub fn in_force(at: crate::time::Timestamp) -> &'static RuleSet {
    in_force_at(at.unix_millis().div_euclid(1000))
}

/// A version by name (`"2025-05-25"`).
pub fn by_version(version: &str) -> Option<&'static RuleSet> {
    RULE_SETS.iter().find(|r| r.version == version)
}

impl VisaRules {
    /// The category (1-3) a response code has in this version, if it is listed.
    pub fn category_of_code(&self, code: &str) -> Option<u8> {
        let code = code.trim();
        if self.category_1.contains(&code) {
            Some(1)
        } else if self.category_2.contains(&code) {
            Some(2)
        } else if self.category_3.contains(&code) {
            Some(3)
        } else {
            None
        }
    }
}

impl MastercardRules {
    /// The wait a Merchant Advice Code on a decline asks for, seconds.
    pub fn wait_seconds(&self, advice_code: &str) -> Option<u64> {
        self.waits.iter().find(|(c, _)| *c == advice_code.trim()).map(|(_, s)| *s)
    }

    /// Whether a Merchant Advice Code on a decline forbids every retry.
    pub fn never_retry(&self, advice_code: &str) -> bool {
        self.never_retry.contains(&advice_code.trim())
    }

    /// Whether a Merchant Advice Code on the storing approval forbids storing the card for MITs.
    pub fn not_storable(&self, advice_code: &str) -> bool {
        self.not_storable.contains(&advice_code.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    #[test]
    fn versions_are_dated_in_order_and_named_by_their_first_day() {
        for pair in RULE_SETS.windows(2) {
            assert!(pair[0].effective_from < pair[1].effective_from, "{}", pair[1].version);
        }
        for r in RULE_SETS {
            let t = Timestamp::parse(&format!("{}T00:00:00Z", r.version)).unwrap();
            assert_eq!(t.unix_millis() / 1000, r.effective_from, "{}", r.version);
            assert_eq!(by_version(r.version), Some(r));
        }
    }

    #[test]
    fn lookup_switches_at_the_first_second() {
        for r in RULE_SETS.iter().skip(1) {
            assert_eq!(in_force_at(r.effective_from).version, r.version);
            assert_ne!(in_force_at(r.effective_from - 1).version, r.version);
        }
        assert_eq!(in_force_at(0).version, "2021-04-17");
        assert_eq!(in_force_at(i64::MAX).version, RULE_SETS.last().unwrap().version);
    }

    #[test]
    fn issue_12_changes_are_where_the_notices_put_them() {
        let at = |d: &str| in_force(Timestamp::parse(&format!("{d}T00:00:00Z")).unwrap());
        assert_eq!(at("2025-05-24").visa.max_reattempts, 15);
        assert_eq!(at("2025-05-25").visa.max_reattempts, 20);
        assert_eq!(at("2025-04-10").visa.category_of_code("5C"), None);
        assert_eq!(at("2025-04-11").visa.category_of_code("9G"), Some(2));
        assert_eq!(at("2026-10-24").visa.category_of_code("57"), None);
        assert_eq!(at("2026-10-25").visa.category_of_code("57"), Some(1));
        assert_eq!(at("2026-10-25").visa.category_of_code("46"), Some(1));
        assert!(!at("2026-10-22").mastercard.transaction_link_id_on_mit);
        assert!(at("2026-10-23").mastercard.transaction_link_id_on_mit);
        assert_eq!(at("2026-12-02").mastercard.max_declines_per_day, Some(10));
        assert_eq!(at("2026-12-02").india.afa_limit_special_inr, 100_000);
    }
}
