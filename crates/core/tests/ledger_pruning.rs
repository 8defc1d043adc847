//! The bounded ledger's promise (crates/core/src/ledger_pruning.rs), checked with proptest: pruning a
//! history at `now` never changes a decision or a limits query at any later instant, for the policy and
//! agreement it was pruned with. The one documented exception: a chained reference to a dropped
//! attempt's payment id is refused either way (`reference_is_mit` before, `agreement_not_found` after).
//!
//! Histories mix every status, decline codes of each Visa category and Mastercard advice codes,
//! soft declines, other agreements' attempts on the card, future-dated entries and payments in and out of
//! the lookback; the later instants probe each window's edges. Failing seeds are written to
//! crates/core/proptest-regressions/ledger_pruning.txt (committed) and replayed first.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a test crate of its own (clippy.toml covers #[test] functions only): its helpers fail the test loudly"
)]

use mitgate_core::decision::{Code, Verdict};
use mitgate_core::engine::{evaluate, limits, Evaluation, LimitsQuery};
use mitgate_core::ledger_pruning::{prune, window_seconds};
use mitgate_core::time::Timestamp;
use mitgate_core::validate::parse_json;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{json, Value};

const NOW: &str = "2026-11-16T12:00:00Z";
const DAY: i64 = 86_400;

fn config() -> ProptestConfig {
    let configured = ProptestConfig::default().cases;
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() { configured } else { 384 };
    let persistence = FileFailurePersistence::Direct("proptest-regressions/ledger_pruning.txt");
    ProptestConfig { cases, failure_persistence: Some(Box::new(persistence)), ..ProptestConfig::default() }
}

fn at(offset: i64) -> String {
    let t = Timestamp::parse(NOW).unwrap();
    let moved = if offset >= 0 {
        t.plus_seconds(offset.unsigned_abs())
    } else {
        t.minus_seconds(offset.unsigned_abs())
    };
    moved.to_rfc3339()
}

fn usd(cents: u64) -> Value {
    json!({"amount": format!("{}.{:02}", cents / 100, cents % 100), "currency": "USD"})
}

#[derive(Debug, Clone)]
struct AttemptSpec {
    offset: i64,
    status: usize,
    code: usize,
    advice: usize,
    network: usize,
    token: usize,
    cents: u64,
}

const STATUSES: [&str; 4] = ["approved", "declined", "pending", "released"];
const CODES: [Option<&str>; 7] =
    [None, Some("05"), Some("51"), Some("14"), Some("8026"), Some("57"), Some("54")];
const ADVICE: [Option<&str>; 5] = [None, Some("03"), Some("24"), Some("21"), Some("30")];
const NETWORKS: [Option<&str>; 3] = [None, Some("visa"), Some("mastercard")];
const TOKENS: [Option<&str>; 3] = [None, Some("tok_1"), Some("tok_2")];

fn attempt_spec() -> impl Strategy<Value = AttemptSpec> {
    // Mostly within the longest window, some far older, a few after `now` (a skewed clock).
    let offset = prop_oneof![
        6 => -40 * DAY..0i64,
        2 => -400 * DAY..-40 * DAY,
        1 => 0i64..2 * 3600,
    ];
    (
        offset,
        0..STATUSES.len(),
        0..CODES.len(),
        0..ADVICE.len(),
        0..NETWORKS.len(),
        0..TOKENS.len(),
        1u64..20_000,
    )
        .prop_map(|(offset, status, code, advice, network, token, cents)| AttemptSpec {
            offset,
            status,
            code,
            advice,
            network,
            token,
            cents,
        })
}

fn attempt_json(i: usize, prefix: &str, s: &AttemptSpec) -> Value {
    let status = STATUSES[s.status];
    let mut a =
        json!({"id": format!("{prefix}{i}"), "at": at(s.offset), "amount": usd(s.cents), "status": status});
    if let Some(t) = TOKENS[s.token] {
        a["credentialToken"] = json!(t);
    }
    if status == "approved" {
        a["paymentId"] = json!(format!("pm_{prefix}{i}"));
    }
    if status != "pending" {
        a["resolvedAt"] = json!(at(s.offset + 30));
    }
    if status == "declined" {
        let mut d = json!({});
        if let Some(c) = CODES[s.code] {
            d["code"] = json!(c);
        }
        if let Some(m) = ADVICE[s.advice] {
            d["adviceCode"] = json!(m);
        }
        if let Some(n) = NETWORKS[s.network] {
            d["network"] = json!(n);
        }
        a["decline"] = d;
    }
    a
}

#[derive(Debug, Clone)]
struct Case {
    max_count: Option<u32>,
    period: Option<u64>,
    lookback: Option<u64>,
    network_rules: bool,
    pin: bool,
    mit_type: usize,
    installments: Option<u32>,
    min_interval_days: Option<u32>,
    schedule: Option<usize>,
    trial_days: Option<i64>,
    brand: usize,
    payments: Vec<(i64, u64, bool, bool)>,
    attempts: Vec<AttemptSpec>,
    others: Vec<AttemptSpec>,
    reference: usize,
    cents: u64,
    later: i64,
}

fn case() -> impl Strategy<Value = Case> {
    let policy = (
        prop::option::of(1u32..25),
        prop::option::of(prop::sample::select(vec![3600u64, 86_400, 7 * 86_400, 45 * 86_400])),
        prop::option::of(prop::sample::select(vec![10 * 86_400u64, 60 * 86_400])),
        any::<bool>(),
        prop::bool::weighted(0.2),
    );
    let agreement = (
        0..3usize,
        prop::option::of(1u32..30),
        prop::option::weighted(0.3, 1u32..40),
        prop::option::weighted(0.3, 0..2usize),
        prop::option::weighted(0.3, -60 * DAY..10 * DAY),
        0..2usize,
    );
    let history = (
        prop::collection::vec(
            (-200 * DAY..DAY, 1u64..20_000, any::<bool>(), prop::bool::weighted(0.2)),
            0..5,
        ),
        prop::collection::vec(attempt_spec(), 0..40),
        prop::collection::vec(attempt_spec(), 0..8),
    );
    // The later instant: on a window's edge or anywhere in the next 60 days.
    let later = prop_oneof![
        Just(0i64),
        prop::sample::select(vec![
            1i64,
            3599,
            3600,
            3601,
            DAY - 1,
            DAY,
            DAY + 1,
            7 * DAY,
            30 * DAY,
            30 * DAY + 1
        ]),
        0..60 * DAY,
    ];
    (policy, agreement, history, 0..4usize, 1u64..30_000, later).prop_map(
        |(
            (max_count, period, lookback, network_rules, pin),
            (mit_type, installments, min_interval_days, schedule, trial_days, brand),
            (payments, attempts, others),
            reference,
            cents,
            later,
        )| Case {
            max_count,
            period,
            lookback,
            network_rules,
            pin,
            mit_type,
            installments,
            min_interval_days,
            schedule,
            trial_days,
            brand,
            payments,
            attempts,
            others,
            reference,
            cents,
            later,
        },
    )
}

impl Case {
    /// The evaluation at the later instant, on the full history.
    fn input(&self) -> Value {
        let mut policy = json!({"enabled": true, "maxMultiple": 3, "maxZeroAuthAmount": {"cents": 5000},
                                "networkRetryRules": self.network_rules, "trialReminders": true});
        if let Some(c) = self.max_count.filter(|_| self.period.is_some()) {
            policy["maxCount"] = json!(c);
        }
        if let Some(p) = self.period {
            policy["period"] = json!(p);
        }
        if let Some(l) = self.lookback {
            policy["maxAmountLookback"] = json!(l);
        }
        if self.pin {
            policy["networkRules"] = json!({"version": "2022-10-01"});
        }
        let mit_type = ["recurring", "installment", "unscheduled"][self.mit_type];
        let mut terms = json!({});
        if let Some(n) = self.installments.filter(|_| mit_type == "installment") {
            terms["installmentCount"] = json!(n);
        }
        if let Some(d) = self.min_interval_days {
            terms["minIntervalDays"] = json!(d);
        }
        if let Some(s) = self.schedule {
            terms["schedule"] =
                json!({"initialDate": at(-300 * DAY), "interval": (["monthly", "weekly"][s])});
        }
        if let Some(t) = self.trial_days {
            terms["trialEndsAt"] = json!(at(t));
        }
        let agreement = json!({
            "id": "pay_cit_1", "merchantId": "m_1", "customerId": "c_1", "type": mit_type,
            "established": {"method": "cvv_purchase", "at": at(-300 * DAY), "amount": usd(4000)},
            "currency": "USD", "paymentMethod": {"type": "card", "brand": (["visa", "mastercard"][self.brand])},
            "credential": {"token": "tok_1"}, "terms": terms,
            "consent": {"storeCredential": true, "merchantInitiated": true}
        });
        let payments: Vec<Value> = self
            .payments
            .iter()
            .enumerate()
            .map(|(i, (offset, cents, cvv, establishing))| {
                let id = if *establishing { "pay_cit_1".to_string() } else { format!("p_{i}") };
                json!({"id": id, "at": at(*offset), "amount": usd(*cents), "cvvVerified": cvv})
            })
            .collect();
        let attempts: Vec<Value> =
            self.attempts.iter().enumerate().map(|(i, s)| attempt_json(i, "a_", s)).collect();
        let others: Vec<Value> = self
            .others
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut a = attempt_json(i, "o_", s);
                a["credentialToken"] = json!(TOKENS[s.token].unwrap_or("tok_1"));
                a
            })
            .collect();
        // The reference: the agreement, a grandfathered `-100`, or an MIT payment id (chaining).
        let reference = match self.reference {
            0 | 1 => "pay_cit_1".to_string(),
            2 => "-100".to_string(),
            _ => self
                .attempts
                .iter()
                .position(|s| STATUSES[s.status] == "approved")
                .map_or("pay_cit_1".to_string(), |i| format!("pm_a_{i}")),
        };
        json!({
            "now": at(self.later),
            "policy": policy, "agreement": agreement,
            "history": {"payments": payments, "attempts": attempts, "credentialAttempts": others},
            "request": {"merchantId": "m_1", "customerId": "c_1", "reference": reference, "amount": usd(self.cents),
                        "reminderSentAt": at(self.later - 8 * DAY)}
        })
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn pruning_never_changes_a_decision(c in case()) {
        let text = c.input().to_string();
        let full: Evaluation = parse_json(&text).unwrap();
        prop_assume!(full.validate().is_ok());
        let agreement = full.agreement.clone().unwrap();
        let pruned_history = prune(&full.policy, &agreement, &full.history, Timestamp::parse(NOW).unwrap());
        // Pruning is idempotent, and keeps entries in their order.
        prop_assert_eq!(
            &prune(&full.policy, &agreement, &pruned_history, Timestamp::parse(NOW).unwrap()),
            &pruned_history
        );
        let pruned = Evaluation { history: pruned_history.clone(), ..full.clone() };
        let before = evaluate(&full);
        let after = evaluate(&pruned);
        let dropped_reference = full.request.reference.starts_with("pm_")
            && !pruned.history.attempts.iter().any(|a| a.payment_id.as_deref() == Some(&full.request.reference));
        if dropped_reference {
            prop_assert_eq!(before.outcome, Verdict::Refused);
            prop_assert_eq!(after.outcome, Verdict::Refused);
            prop_assert_eq!(after.violations.first().map(|v| v.code), Some(Code::AgreementNotFound));
        } else {
            prop_assert_eq!(serde_json::to_string(&before).unwrap(), serde_json::to_string(&after).unwrap());
        }
        let query = |history| LimitsQuery { now: full.now, policy: full.policy.clone(), agreement: agreement.clone(), history };
        prop_assert_eq!(
            serde_json::to_string(&limits(&query(full.history.clone()))).unwrap(),
            serde_json::to_string(&limits(&query(pruned_history))).unwrap()
        );
    }

    /// The bound: after pruning, every attempt older than the window is one of the few kept for a reason.
    #[test]
    fn pruned_ledger_is_bounded(c in case()) {
        let text = c.input().to_string();
        let full: Evaluation = parse_json(&text).unwrap();
        prop_assume!(full.validate().is_ok());
        let agreement = full.agreement.clone().unwrap();
        let now = Timestamp::parse(NOW).unwrap();
        let pruned = prune(&full.policy, &agreement, &full.history, now);
        let horizon = now.minus_seconds(window_seconds(&full.policy));
        let old: Vec<_> = pruned
            .attempts
            .iter()
            .filter(|a| a.at <= horizon && a.status != mitgate_core::model::AttemptStatus::Pending)
            .collect();
        // Latest approved, latest soft decline, and per token (3) the latest and the earliest never-retry;
        // an installment agreement keeps its charges.
        if agreement.mit_type != mitgate_core::model::MitType::Installment {
            prop_assert!(old.len() <= 2 + 2 * TOKENS.len(), "{} old attempts kept", old.len());
        }
    }
}

/// 10,000 attempts over a year, one every 3,153 s: pruned at the last write, the ledger holds the
/// window's attempts only (30 days: the network retry rules are on), and the decision is the same.
#[test]
fn a_long_history_shrinks_to_its_window() {
    let input = json!({
        "now": NOW,
        "policy": {"enabled": true, "maxCount": 100, "period": 86_400, "maxMultiple": 3, "networkRetryRules": true},
        "agreement": {"id": "pay_cit_1", "merchantId": "m_1", "type": "unscheduled",
            "established": {"method": "cvv_purchase", "at": at(-400 * DAY), "amount": usd(4000)},
            "currency": "USD", "paymentMethod": {"type": "card", "brand": "visa"}, "credential": {"token": "tok_1"},
            "consent": {"storeCredential": true, "merchantInitiated": true}},
        "history": {"attempts": [
            attempt_json(0, "a_", &AttemptSpec { offset: 0, status: 0, code: 0, advice: 0, network: 0, token: 1, cents: 1000 }),
            attempt_json(1, "a_", &AttemptSpec { offset: 0, status: 1, code: 2, advice: 0, network: 1, token: 1, cents: 1000 }),
        ]},
        "request": {"merchantId": "m_1", "reference": "pay_cit_1", "amount": usd(500)}
    });
    let mut full: Evaluation = parse_json(&input.to_string()).unwrap();
    let (approved, declined) = (full.history.attempts[0].clone(), full.history.attempts[1].clone());
    full.history.attempts = (0..10_000u64)
        .map(|i| {
            let mut a = if i % 7 == 0 { declined.clone() } else { approved.clone() };
            a.id = format!("a_{i}");
            a.at = full.now.minus_seconds(365 * 86_400).plus_seconds(i * 3153);
            a.resolved_at = Some(a.at.plus_seconds(5));
            a
        })
        .collect();
    full.validate().unwrap();
    let agreement = full.agreement.clone().unwrap();
    let pruned = prune(&full.policy, &agreement, &full.history, full.now);
    // 30 days of one attempt per 3,153 s is 822 attempts, plus the one before the window.
    assert!((820..=824).contains(&pruned.attempts.len()), "{} attempts kept", pruned.attempts.len());
    let after = Evaluation { history: pruned, ..full.clone() };
    assert_eq!(
        serde_json::to_string(&evaluate(&full)).unwrap(),
        serde_json::to_string(&evaluate(&after)).unwrap()
    );
}
