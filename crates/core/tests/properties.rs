//! Property tests of the engine's invariants (proptest). Each property states what must hold for every
//! input, and checks it against an oracle written here from the rule's documentation, not against the
//! engine itself:
//!
//! - the amount ceiling equals the documented derivation, and an allowed amount never exceeds it;
//! - replaying any sequence of charges (evaluate, record, random outcomes) never admits more than
//!   `maxCount` within any `period`, and never refuses for velocity while a slot is free;
//! - decisions are deterministic and independent of the order of history entries;
//! - `limits.nextEligibleAt` is exact: allowed at that instant, refused one second before;
//! - money converts exactly between minor units and major-unit strings (exponents 0, 2, 3, 4);
//! - no input text, however broken, makes `api::evaluate_json` panic.
//!
//! Case counts are modest so `cargo test` stays fast; raise them with `PROPTEST_CASES=10000`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a test crate of its own (clippy.toml covers #[test] functions only): its helpers fail the test loudly"
)]

use mitgate_core::api::evaluate_json;
use mitgate_core::decision::Verdict;
use mitgate_core::engine::{evaluate, Evaluation};
use mitgate_core::model::{AttemptStatus, History, Outcome};
use mitgate_core::money::{Cents, Currency, Money, MAX_MINOR_UNITS};
use mitgate_core::state;
use mitgate_core::time::Timestamp;
use mitgate_core::validate::parse_json;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{json, Value};

const NOW: &str = "2026-04-16T12:00:00Z";

fn cases(n: u32) -> ProptestConfig {
    // PROPTEST_CASES still overrides (ProptestConfig::default reads it); otherwise the modest count.
    let configured = ProptestConfig::default().cases;
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() { configured } else { n };
    // Failing seeds go to crates/core/proptest-regressions/properties.txt (committed) and are replayed first.
    let persistence = FileFailurePersistence::Direct("proptest-regressions/properties.txt");
    ProptestConfig { cases, failure_persistence: Some(Box::new(persistence)), ..ProptestConfig::default() }
}

/// The currencies whose exponents the properties cover.
const CURRENCIES: [(&str, u32); 4] = [("JPY", 0), ("USD", 2), ("KWD", 3), ("CLF", 4)];

/// Minor units as a major-unit decimal string, written independently of the engine's Money.
fn major(minor: u64, exponent: u32) -> String {
    if exponent == 0 {
        return minor.to_string();
    }
    let unit = 10u64.pow(exponent);
    format!("{}.{:0width$}", minor / unit, minor % unit, width = exponent as usize)
}

fn money(minor: u64, currency: &str, exponent: u32) -> Value {
    json!({"amount": major(minor, exponent), "currency": currency})
}

fn instant(offset_seconds: i64) -> String {
    let t = Timestamp::parse(NOW).unwrap();
    let moved = if offset_seconds >= 0 {
        t.plus_seconds(offset_seconds.unsigned_abs())
    } else {
        t.minus_seconds(offset_seconds.unsigned_abs())
    };
    moved.to_rfc3339()
}

fn base_agreement(currency: &str) -> Value {
    json!({
        "id": "pay_cit_001", "merchantId": "merch_1", "customerId": "cust_1", "type": "unscheduled",
        "established": {"method": "zero_auth", "at": instant(-20 * 86_400)},
        "currency": currency,
        "paymentMethod": {"type": "card", "brand": "visa"},
        "credential": {"token": "tok_1"},
        "consent": {"storeCredential": true, "merchantInitiated": true}
    })
}

fn request(amount: Value) -> Value {
    json!({"merchantId": "merch_1", "customerId": "cust_1", "reference": "pay_cit_001", "amount": amount})
}

// ---------------------------------------------------------------------------------------------------
// 1. The amount ceiling

/// `maxMultiple` values as (text, numerator, denominator).
const MULTIPLES: [(&str, u64, u64); 6] =
    [("1", 1, 1), ("2", 2, 1), ("3", 3, 1), ("1.5", 3, 2), ("2.25", 9, 4), ("0.5", 1, 2)];

#[derive(Debug, Clone)]
struct PaymentSpec {
    id: usize,
    offset: i64,
    minor: u64,
    cvv: bool,
    other_currency: bool,
}

#[derive(Debug, Clone)]
struct CeilingCase {
    currency: usize,
    multiple: Option<usize>,
    zero_auth: Option<u64>,
    lookback_days: Option<u64>,
    initial: Option<u64>,
    agreement_max: Option<u64>,
    payments: Vec<PaymentSpec>,
    request: u64,
}

const PAYMENT_IDS: [&str; 5] = ["pay_cit_001", "pay_a", "pay_b", "pay_c", "pay_d"];

fn ceiling_case() -> impl Strategy<Value = CeilingCase> {
    let payment = (
        0..PAYMENT_IDS.len(),
        -90 * 86_400i64..86_400,
        0u64..100_000,
        any::<bool>(),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(id, offset, minor, cvv, other_currency)| PaymentSpec {
            id,
            offset,
            minor,
            cvv,
            other_currency,
        });
    (
        0..CURRENCIES.len(),
        prop::option::weighted(0.9, 0..MULTIPLES.len()),
        prop::option::of(0u64..100_000),
        prop::option::of(1u64..60),
        prop::option::of(0u64..100_000),
        prop::option::weighted(0.3, 1u64..400_000),
        prop::collection::vec(payment, 0..10),
        1u64..400_000,
    )
        .prop_map(
            |(currency, multiple, zero_auth, lookback_days, initial, agreement_max, payments, request)| {
                CeilingCase {
                    currency,
                    multiple,
                    zero_auth,
                    lookback_days,
                    initial,
                    agreement_max,
                    payments,
                    request,
                }
            },
        )
}

impl CeilingCase {
    fn input(&self) -> Value {
        let (code, exp) = CURRENCIES[self.currency];
        let other = if code == "USD" { "EUR" } else { "USD" };
        let other_exp = 2;
        let mut policy = json!({"enabled": true});
        if let Some(m) = self.multiple {
            policy["maxMultiple"] = json!(MULTIPLES[m].0);
        }
        if let Some(z) = self.zero_auth {
            policy["maxZeroAuthAmount"] = json!({"cents": z});
        }
        if let Some(d) = self.lookback_days {
            policy["maxAmountLookback"] = json!(d * 86_400);
        }
        let mut agreement = base_agreement(code);
        if let Some(initial) = self.initial {
            agreement["established"] = json!({"method": "cvv_purchase", "at": instant(-20 * 86_400), "amount": money(initial, code, exp)});
        }
        if let Some(max) = self.agreement_max {
            agreement["terms"] = json!({"maxAmount": money(max, code, exp)});
        }
        let payments: Vec<Value> = self
            .payments
            .iter()
            .map(|p| {
                let amount = if p.other_currency { money(p.minor, other, other_exp) } else { money(p.minor, code, exp) };
                json!({"id": PAYMENT_IDS[p.id], "at": instant(p.offset), "amount": amount, "cvvVerified": p.cvv})
            })
            .collect();
        json!({"now": NOW, "policy": policy, "agreement": agreement,
               "history": {"payments": payments, "attempts": []}, "request": request(money(self.request, code, exp))})
    }

    /// The documented ceiling in minor units (`None`: no ceiling): the largest CVV-verified payment in the
    /// agreement's currency within `(now - lookback, now]` (the initial CVV purchase counts unless the history
    /// lists it), else `maxZeroAuthAmount`, else zero; times `maxMultiple`, floored to the minor unit; never
    /// above the agreement's maximum.
    fn oracle(&self) -> Option<u64> {
        let lookback = self.lookback_days.map(|d| -i64::try_from(d * 86_400).unwrap());
        let in_window = |offset: i64| offset <= 0 && lookback.is_none_or(|start| offset > start);
        let listed = self.payments.iter().any(|p| p.cvv && p.id == 0 && p.offset <= 0);
        let mut candidates: Vec<u64> = self
            .payments
            .iter()
            .filter(|p| p.cvv && !p.other_currency && p.minor > 0 && in_window(p.offset))
            .map(|p| p.minor)
            .collect();
        if let Some(initial) = self.initial.filter(|i| *i > 0 && !listed && in_window(-20 * 86_400)) {
            candidates.push(initial);
        }
        let base = candidates.into_iter().max().or(self.zero_auth);
        let policy = self.multiple.map(|m| {
            let (_, num, den) = MULTIPLES[m];
            base.map(|b| b * num / den)
        });
        match (policy, self.agreement_max) {
            (None, None) => None,
            (Some(p), None) => Some(p.unwrap_or(0)),
            (None, Some(a)) => Some(a),
            // With nothing to multiply, the customer-authenticated agreement maximum bounds alone.
            (Some(None), Some(a)) => Some(a),
            (Some(Some(p)), Some(a)) => Some(p.min(a)),
        }
    }
}

fn minor_of(amount: &Value, exponent: u32) -> u64 {
    let text = amount["amount"].as_str().unwrap();
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    assert_eq!(frac.len(), exponent as usize, "amount {text} does not carry the currency's exponent");
    format!("{int}{frac}").parse().unwrap()
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn allowed_amount_never_exceeds_the_ceiling(c in ceiling_case()) {
        let (_, exp) = CURRENCIES[c.currency];
        let out: Value = serde_json::from_str(&evaluate_json(&c.input().to_string())).unwrap();
        prop_assert_eq!(&out["type"], "success", "{}", out);
        let decision = &out["decision"];
        let reported = &decision["limits"]["ceiling"]["amount"];
        let expected = c.oracle();
        let reported_minor = if reported.is_null() { None } else { Some(minor_of(reported, exp)) };
        prop_assert_eq!(reported_minor, expected, "reported ceiling differs from the documented derivation");
        let allowed = decision["outcome"] == "allowed";
        if allowed {
            prop_assert!(reported_minor.is_none_or(|ceiling| c.request <= ceiling));
        }
        // Nothing else can refuse these inputs, so the amount alone decides.
        prop_assert_eq!(allowed, expected.is_none_or(|ceiling| c.request <= ceiling), "{}", decision);
    }
}

// ---------------------------------------------------------------------------------------------------
// 2. Velocity under replay

#[derive(Debug, Clone, Copy)]
enum Fate {
    Approved,
    Declined,
    NotSent,
    Pending,
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![Just(Fate::Approved), Just(Fate::Declined), Just(Fate::NotSent), Just(Fate::Pending)]
}

fn replay_case() -> impl Strategy<Value = (u32, u64, Vec<(u64, Fate)>)> {
    (1u32..=5, 1u64..=300).prop_flat_map(|(max_count, period)| {
        // Steps land on the boundaries often: same instant, one second, exactly one period.
        let delta = prop_oneof![Just(0u64), Just(1), Just(period - 1), Just(period), 0..=period + 1];
        (Just(max_count), Just(period), prop::collection::vec((delta, fate()), 1..40))
    })
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn replay_never_admits_more_than_max_count_per_period((max_count, period, steps) in replay_case()) {
        let policy = json!({"enabled": true, "maxCount": max_count, "period": period});
        let agreement = base_agreement("USD");
        let mut history = History::default();
        let mut now = Timestamp::parse(NOW).unwrap();
        let mut admitted = 0;
        for (i, (delta, fate)) in steps.iter().enumerate() {
            now = now.plus_seconds(*delta);
            let input: Evaluation = parse_json(&json!({
                "now": now, "policy": policy, "agreement": agreement, "history": history,
                "request": request(json!({"amount": "5.00", "currency": "USD"}))
            }).to_string()).unwrap();
            let decision = evaluate(&input);
            // What the window holds right now, counted here: every attempt but a released one, in (now - period, now].
            let window_start = now.minus_seconds(period);
            let holding = history.attempts.iter()
                .filter(|a| a.status != AttemptStatus::Released && a.at > window_start && a.at <= now)
                .count();
            let velocity_refused = decision.violations.iter().any(|v| v.code.as_str() == "velocity_exceeded");
            prop_assert_eq!(velocity_refused, holding >= max_count as usize,
                "step {}: {} slots held of {}, decision {:?}", i, holding, max_count, decision.violations);
            if decision.outcome != Verdict::Allowed {
                continue;
            }
            admitted += 1;
            let id = format!("att_{i}");
            let agreement_value = parse_json(&agreement.to_string()).unwrap();
            history = state::record_attempt(&agreement_value, &history, &input.request, &decision, &id, now).unwrap();
            let outcome = match fate {
                Fate::Pending => None,
                Fate::Approved => Some(json!({"attemptId": id, "at": now, "result": "approved", "paymentId": format!("pay_mit_{i}")})),
                Fate::NotSent => Some(json!({"attemptId": id, "at": now, "result": "not_sent"})),
                Fate::Declined => Some(json!({"attemptId": id, "at": now, "result": "declined",
                    "decline": {"code": "51", "reason": "insufficient_funds"}})),
            };
            if let Some(outcome) = outcome {
                let outcome: Outcome = parse_json(&outcome.to_string()).unwrap();
                history = state::apply_outcome(&agreement_value, &history, &outcome).unwrap().1;
            }
        }
        prop_assert!(admitted >= 1, "the first charge always fits");
        // Every window (t - period, t] ending at an attempt holds at most maxCount slot-holding attempts.
        let held: Vec<Timestamp> =
            history.attempts.iter().filter(|a| a.status != AttemptStatus::Released).map(|a| a.at).collect();
        for &end in &held {
            let start = end.minus_seconds(period);
            let n = held.iter().filter(|&&t| t > start && t <= end).count();
            prop_assert!(n <= max_count as usize, "{} attempts in the window ending {} (max {})", n, end, max_count);
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// 3. Determinism and history order

fn attempt_value(i: usize, offset: i64, kind: u8, pay: Option<u8>) -> Value {
    let mut a = json!({"id": format!("att_{i:02}"), "at": instant(offset), "amount": {"amount": "7.00", "currency": "USD"}});
    a["status"] = json!(match kind % 4 {
        0 => "approved",
        1 => "declined",
        2 => "released",
        _ => "pending",
    });
    if kind % 4 == 1 {
        a["decline"] = match kind / 4 {
            0 => json!({"code": "51", "reason": "insufficient_funds"}),
            1 => json!({"network": "mastercard", "adviceCode": "24"}),
            2 => json!({"network": "mastercard", "code": "05", "adviceCode": "26"}),
            3 => json!({"code": "05", "reason": "do_not_honor"}),
            4 => json!({"code": "8026"}),
            _ => json!({"code": "04"}),
        };
        if kind / 4 == 5 && i % 2 == 0 {
            a["credentialToken"] = json!("tok_old");
        }
    }
    if let Some(p) = pay {
        a["paymentId"] = json!(format!("pay_mit_{p}"));
    }
    a
}

#[allow(clippy::type_complexity, reason = "a proptest strategy's tuple type, named once")]
fn history_case(latest: i64) -> impl Strategy<Value = (Vec<Value>, Vec<Value>, u8, u64)> {
    // Few distinct instants, so ties in time are common and the tie-breaks are exercised.
    let offset = prop_oneof![Just(-3600i64), Just(-60), Just(0), Just(-86_400), -40 * 86_400i64..=latest];
    let payments = prop::collection::vec(
        // The agreement's own id often, so duplicates of the initial payment are common.
        (prop_oneof![2 => Just(0usize), 3 => 0..PAYMENT_IDS.len()], offset.clone(), 0u64..10_000, any::<bool>()).prop_map(|(id, off, minor, cvv)| {
            json!({"id": PAYMENT_IDS[id], "at": instant(off), "amount": money(minor, "USD", 2), "cvvVerified": cvv})
        }),
        0..8,
    );
    let attempts = prop::collection::vec((offset, 0u8..24, prop::option::weighted(0.2, 0u8..3)), 0..12)
        .prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (off, kind, pay))| attempt_value(i, off, kind, pay))
                .collect::<Vec<_>>()
        });
    (payments, attempts, 0u8..6, 1u64..20_000)
}

fn varied_input(payments: &[Value], attempts: &[Value], variant: u8, amount: u64) -> Value {
    let mut policy = json!({"enabled": true, "maxCount": 3, "period": 86_400, "maxMultiple": "1.5",
                            "maxZeroAuthAmount": {"cents": 2000}, "maxAmountLookback": 30 * 86_400,
                            "expiration": 60 * 86_400});
    let mut agreement = base_agreement("USD");
    match variant {
        1 => agreement["terms"] = json!({"minIntervalDays": 1}),
        2 => agreement["paymentMethod"]["brand"] = json!("mastercard"),
        3 => {
            agreement["type"] = json!("installment");
            agreement["terms"] = json!({"installmentCount": 4});
        }
        4 => policy["networkRetryRules"] = json!(false),
        5 => {
            agreement["established"] =
                json!({"method": "cvv_purchase", "at": instant(-86_400), "amount": money(1500, "USD", 2)});
        }
        _ => {}
    }
    json!({"now": NOW, "policy": policy, "agreement": agreement,
           "history": {"payments": payments, "attempts": attempts}, "request": request(money(amount, "USD", 2))})
}

proptest! {
    #![proptest_config(cases(128))]

    #[test]
    fn decisions_are_deterministic_and_ignore_history_order(
        (payments, attempts, variant, amount) in history_case(3600),
        seed in any::<u64>(),
    ) {
        let input = varied_input(&payments, &attempts, variant, amount).to_string();
        let first = evaluate_json(&input);
        prop_assert_eq!(&first, &evaluate_json(&input));
        prop_assert!(first.starts_with(r#"{"type":"success""#), "{}", first);
        // Reverse, and a seeded permutation, of both lists.
        let permute = |list: &[Value], seed: u64| {
            let mut v = list.to_vec();
            let mut s = seed | 1;
            for i in (1..v.len()).rev() {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                v.swap(i, usize::try_from(s % (i as u64 + 1)).unwrap());
            }
            v
        };
        let reversed: (Vec<Value>, Vec<Value>) =
            (payments.iter().rev().cloned().collect(), attempts.iter().rev().cloned().collect());
        for (p, a) in [reversed, (permute(&payments, seed), permute(&attempts, seed.rotate_left(17)))] {
            let other = evaluate_json(&varied_input(&p, &a, variant, amount).to_string());
            prop_assert_eq!(&first, &other, "history order changed the decision");
        }
    }
}

/// The decision at `now` (as JSON) for a varied input without an amount ceiling or pre-debit notice, so
/// only time and history decide.
fn decide_at(input: &Value, now: &str) -> Value {
    let mut input = input.clone();
    input["now"] = json!(now);
    let out: Value = serde_json::from_str(&evaluate_json(&input.to_string())).unwrap();
    assert_eq!(out["type"], "success", "{out}");
    out["decision"].clone()
}

proptest! {
    #![proptest_config(cases(128))]

    /// `limits.nextEligibleAt` is exact: the same charge is allowed at that instant and refused one second
    /// before it; when it is null, the charge is refused now, a day later and 60 days later.
    #[test]
    fn next_eligible_instant_is_exact((payments, attempts, variant, _) in history_case(0)) {
        let mut input = varied_input(&payments, &attempts, variant, 100);
        input["policy"].as_object_mut().unwrap().remove("maxMultiple");
        let decision = decide_at(&input, NOW);
        let next = &decision["limits"]["nextEligibleAt"];
        match next.as_str() {
            Some(at) => {
                let at_t = Timestamp::parse(at).unwrap();
                let now_t = Timestamp::parse(NOW).unwrap();
                prop_assert!(at_t >= now_t);
                prop_assert_eq!(decision["outcome"] == "allowed", at_t == now_t, "{}", decision);
                prop_assert_eq!(&decide_at(&input, at)["outcome"], "allowed", "not allowed at nextEligibleAt {}", at);
                let before = at_t.minus_seconds(1);
                if before >= now_t {
                    let d = decide_at(&input, &before.to_rfc3339());
                    prop_assert_eq!(&d["outcome"], "refused", "allowed one second before nextEligibleAt {}", at);
                }
            }
            None => {
                prop_assert_eq!(&decision["outcome"], "refused");
                for later in [86_400, 60 * 86_400] {
                    let d = decide_at(&input, &instant(later));
                    prop_assert_eq!(&d["outcome"], "refused", "nextEligibleAt is null but {} s later it is allowed", later);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// 4. Money

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn money_round_trips_exactly(
        c in 0..CURRENCIES.len(),
        minor in prop_oneof![0u64..1_000_000, Just(MAX_MINOR_UNITS), (MAX_MINOR_UNITS - 1_000)..=MAX_MINOR_UNITS, 0..=MAX_MINOR_UNITS],
        zeros in 0usize..4,
        extra in 1u8..10,
    ) {
        let (code, exp) = CURRENCIES[c];
        let currency = Currency::from_code(code).unwrap();
        let text = major(minor, exp);

        // minor units -> Money -> major string, and back.
        let m = Money::from_minor(i128::from(minor), currency).unwrap();
        prop_assert_eq!(m.minor_units(), minor);
        prop_assert_eq!(m.amount().to_string(), text.clone());
        let parsed = Money::parse_major(&text, currency).unwrap();
        prop_assert_eq!(parsed, m);
        prop_assert_eq!(parsed.minor_units(), minor);

        // 001's {"cents": n} reads minor units of the currency.
        let cents: Cents = parse_json(&json!({"cents": minor}).to_string()).unwrap();
        prop_assert_eq!(cents.in_currency(currency).unwrap().unwrap(), m);

        // JSON: {"amount": "<major>", "currency": "<code>"} both ways.
        let json_text = serde_json::to_string(&m).unwrap();
        prop_assert_eq!(&json_text, &format!(r#"{{"amount":"{text}","currency":"{code}"}}"#));
        prop_assert_eq!(parse_json::<Money>(&json_text).unwrap(), m);

        // Trailing zeros add no value and are accepted; a non-zero digit beyond the exponent is refused.
        let padded = if exp == 0 { format!("{text}.{}", "0".repeat(zeros + 1)) } else { format!("{text}{}", "0".repeat(zeros)) };
        prop_assert_eq!(Money::parse_major(&padded, currency).unwrap(), m);
        let too_precise = if exp == 0 { format!("{text}.{extra}") } else { format!("{text}{}{extra}", "0".repeat(zeros)) };
        prop_assert!(Money::parse_major(&too_precise, currency).is_err(), "{} accepted in {}", too_precise, code);
    }

    #[test]
    fn money_refuses_out_of_range(c in 0..CURRENCIES.len(), over in 1u64..1_000_000) {
        let (code, exp) = CURRENCIES[c];
        let currency = Currency::from_code(code).unwrap();
        prop_assert!(Money::from_minor(i128::from(MAX_MINOR_UNITS) + i128::from(over), currency).is_err());
        prop_assert!(Money::parse_major(&major(MAX_MINOR_UNITS + over, exp), currency).is_err());
        prop_assert!(Money::from_minor(-i128::from(over), currency).is_err());
    }
}

// ---------------------------------------------------------------------------------------------------
// 5. Garbage in, never a panic

fn answer_is_tagged(text: &str) -> Result<(), TestCaseError> {
    let out = evaluate_json(text);
    let value: Value =
        serde_json::from_str(&out).map_err(|e| TestCaseError::fail(format!("not JSON ({e}): {out}")))?;
    prop_assert!(value["type"] == "success" || value["type"] == "failure", "{}", out);
    Ok(())
}

/// JSON values built from the schema's own field names, so deserialization gets deep before failing.
fn json_value() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(vec![
        "now",
        "policy",
        "agreement",
        "history",
        "request",
        "amount",
        "currency",
        "enabled",
        "maxCount",
        "period",
        "maxMultiple",
        "expiration",
        "maxZeroAuthAmount",
        "cents",
        "id",
        "merchantId",
        "customerId",
        "type",
        "established",
        "method",
        "at",
        "paymentMethod",
        "credential",
        "token",
        "cardExpiry",
        "consent",
        "terms",
        "payments",
        "attempts",
        "status",
        "decline",
        "reference",
        "validUntil",
        "schedule",
        "initialDate",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(vec![
            "2026-04-16T12:00:00Z",
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z",
            "USD",
            "JPY",
            "KWD",
            "10.00",
            "-1",
            "1e400",
            "2025-12",
            "recurring",
            "cvv_purchase",
            "card",
            "visa",
            "declined",
            "-100",
            "",
        ])
        .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

/// A valid evaluation with extreme values: years 1 and 9999, durations of 100 years, the largest amounts.
fn extreme_input() -> impl Strategy<Value = String> {
    let instant_text = prop_oneof![
        Just("0001-01-01T00:00:00Z".to_string()),
        Just("9999-12-31T23:59:59.999999999Z".to_string()),
        Just("2016-12-31T23:59:60Z".to_string()),
        Just(NOW.to_string()),
        (1i32..9999, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}T00:00:00Z")),
    ];
    let seconds = prop_oneof![Just(1u64), Just(3_155_760_000u64), 1u64..3_155_760_000];
    (instant_text.clone(), instant_text.clone(), instant_text, seconds.clone(), seconds, 0u64..=MAX_MINOR_UNITS, 1u32..5)
        .prop_map(|(now, est, att, window, period, minor, count)| {
            json!({"now": now,
                   "policy": {"enabled": true, "maxCount": count, "period": period, "maxMultiple": "1000",
                              "expiration": window, "maxZeroAuthAmount": {"cents": minor}, "maxAmountLookback": window},
                   "agreement": {"id": "pay_cit_001", "merchantId": "merch_1", "type": "recurring",
                                 "established": {"method": "cvv_purchase", "at": est, "amount": money(minor, "USD", 2)},
                                 "currency": "USD", "paymentMethod": {"type": "card", "brand": "mastercard"},
                                 "credential": {"token": "tok_1", "cardExpiry": "9999-12"},
                                 "consent": {"storeCredential": true, "merchantInitiated": true},
                                 "terms": {"minIntervalDays": 3660, "validUntil": "9999-12-31",
                                           "schedule": {"initialDate": "0001-01-01T00:00:00Z", "interval": "yearly"}}},
                   "history": {"attempts": [{"id": "a", "at": att, "amount": money(minor.max(1), "USD", 2), "status": "declined",
                                             "decline": {"adviceCode": "30"}, "resolvedAt": "9999-12-31T23:59:59Z"}]},
                   "request": {"merchantId": "merch_1", "reference": "pay_cit_001", "amount": money(minor.max(1), "USD", 2),
                               "noticeSentAt": "9999-12-31T23:59:59Z"}})
            .to_string()
        })
}

fn valid_text() -> String {
    varied_input(&[], &[attempt_value(0, -60, 1, Some(1))], 0, 2500).to_string()
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,200}") {
        answer_is_tagged(&text)?;
    }

    #[test]
    fn mutated_valid_input_never_panics(edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<char>()), 1..6)) {
        let mut text: Vec<char> = valid_text().chars().collect();
        for (index, op, c) in edits {
            if text.is_empty() {
                break;
            }
            let i = index.index(text.len());
            match op {
                0 => { text.remove(i); }
                1 => text.insert(i, c),
                2 => text[i] = c,
                _ => text.truncate(i),
            }
        }
        answer_is_tagged(&text.into_iter().collect::<String>())?;
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_value()) {
        answer_is_tagged(&value.to_string())?;
    }

    #[test]
    fn extreme_values_never_panic(text in extreme_input()) {
        answer_is_tagged(&text)?;
    }
}
