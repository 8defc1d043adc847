//! The merchant's MIT policy: document 001's settings in exactly its JSON shape, plus mitgate's extensions.
//!
//! ```json
//! {"enabled": true, "maxCount": 5, "period": 86400, "maxMultiple": 3, "expiration": 2592000,
//!  "maxZeroAuthAmount": {"cents": 2000}, "maxAmountLookback": 2592000}
//! ```
//!
//! Defaults (a field left out): `enabled` false (MIT must be switched on); no velocity limit without
//! `maxCount`; a reference never expires without `expiration`; no policy ceiling without `maxMultiple`;
//! every CVV-verified payment counts without `maxAmountLookback`; without `maxZeroAuthAmount` an
//! agreement with no CVV-verified payment has a ceiling of zero (fail closed). Extensions: card-network
//! retry rules on (the rule-set version in force at `now`, no budget overridden), grandfathered references
//! allowed, no pre-debit notice, network references not required, trial reminders not enforced, India
//! profile off.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::json::{FromJson, Kind, Path, Value};

use crate::money::Cents;
use crate::time::MAX_DURATION_SECONDS;
use crate::validate::FieldError;

/// A merchant's MIT settings.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// MIT is switched on for the merchant (403 `mit_not_enabled` otherwise).
    #[serde(default)]
    pub enabled: bool,
    /// At most this many MITs per reference within `period` seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_count: Option<u32>,
    /// The sliding velocity window, seconds. Required with `maxCount`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u64>,
    /// Multiplier applied to the largest CVV-verified payment (or to `maxZeroAuthAmount`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_multiple: Option<Multiple>,
    /// Seconds during which an original payment may be used as an MIT reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<u64>,
    /// The base amount when the customer has no CVV-verified payment in the lookback window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_zero_auth_amount: Option<Cents>,
    /// Seconds to look back for the largest CVV-verified payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_amount_lookback: Option<u64>,
    /// Extension: apply Visa excessive-retry and Mastercard Merchant Advice Code rules (default true).
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub network_retry_rules: bool,
    /// Extension: accept grandfathered references (`-100`) for recurring and unscheduled agreements
    /// (default true; schemes are switching them off, so a merchant may refuse them outright).
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub allow_grandfathered: bool,
    /// Extension: a customer notice must precede each charge by at least this long (off by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_debit_notice: Option<PreDebitNotice>,
    /// Extension: pin the network rule-set version or override a budget (for an acquirer that applies a
    /// network change later). Absent: the version in force at `now`, budgets as published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_rules: Option<NetworkRulesPolicy>,
    /// Extension: refuse a Visa or Mastercard MIT when the agreement lacks the storing CIT's references
    /// the network requires at `now` (network transaction id; Mastercard's Transaction Link ID from
    /// 2026-10-23). Off by default: the documents' processors keep these references themselves.
    #[serde(default, skip_serializing_if = "is_false")]
    pub require_network_references: bool,
    /// Extension: enforce Visa's free-trial and Mastercard's negative-option reminder windows (off by
    /// default).
    #[serde(default, skip_serializing_if = "is_false")]
    pub trial_reminders: bool,
    /// Extension: India's e-mandate profile: an INR charge above the RBI limit for the agreement's
    /// `mandateCategory` needs additional authentication (off by default).
    #[serde(default, skip_serializing_if = "is_false")]
    pub india_profile: bool,
}

/// A merchant's choices about the dated network rules.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkRulesPolicy {
    /// Use this rule-set version (`"2025-04-11"`) at every instant, for budgets and for categorising
    /// past declines, instead of the version in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Override Visa's reattempt budget (categories 2-4, per window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visa_max_reattempts: Option<u32>,
    /// Override Mastercard's declines-per-card budget in 24 hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mastercard_max_declines_per_day: Option<u32>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            enabled: false,
            max_count: None,
            period: None,
            max_multiple: None,
            expiration: None,
            max_zero_auth_amount: None,
            max_amount_lookback: None,
            network_retry_rules: true,
            allow_grandfathered: true,
            pre_debit_notice: None,
            network_rules: None,
            require_network_references: false,
            trial_reminders: false,
            india_profile: false,
        }
    }
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if passes a reference")]
fn is_false(b: &bool) -> bool {
    !*b
}

fn default_true() -> bool {
    true
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if passes a reference")]
fn is_true(b: &bool) -> bool {
    *b
}

/// Pre-debit notification: India's e-mandate rules, for example, require 24 hours.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreDebitNotice {
    /// Minimum hours between the notice and the charge.
    pub min_hours: u32,
}

/// `maxMultiple`: an integer (`3`) or an exact decimal string (`"1.5"`); never a float.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(type = "number | string"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Multiple(#[serde(serialize_with = "crate::policy::serialize_multiple")] pub Decimal);

fn serialize_multiple<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    match u64::try_from(*d) {
        Ok(i) if d.fract().is_zero() => s.serialize_u64(i),
        _ => s.serialize_str(&d.normalize().to_string()),
    }
}

/// An integer, or a decimal string of at most 12 characters (`"1.5"`); a JSON float is refused.
impl FromJson for Multiple {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        const EXPECTED: &str = "an integer like 3 or a decimal string like \"1.5\"";
        match &value.kind {
            Kind::Number(written) if crate::json::integral_digits(written).is_some() => {
                let n = crate::json::integral_digits(written).unwrap_or(written);
                n.parse::<i64>().map(|i| Multiple(Decimal::from(i))).map_err(|_| {
                    path.error(value.at, format_args!("invalid value: integer `{n}`, expected {EXPECTED}"))
                })
            }
            Kind::Number(_) => Err(path.error(
                value.at,
                "a fractional maxMultiple must be a decimal string like \"1.5\", not a JSON float",
            )),
            Kind::String(v) => {
                let ok = !v.is_empty()
                    && v.len() <= 12
                    && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                    && v.bytes().filter(|b| *b == b'.').count() <= 1
                    && !v.starts_with('.')
                    && !v.ends_with('.');
                if !ok {
                    return Err(path.error(
                        value.at,
                        format_args!(
                            "`{}` is not a decimal like \"1.5\"",
                            crate::money::truncate_for_message(v)
                        ),
                    ));
                }
                // Built from its digits (at most 12, so the mantissa fits) rather than `Decimal::from_str`,
                // whose general parser (exponents, rounding) the module does not otherwise need.
                let (int, frac) = v.split_once('.').unwrap_or((v, ""));
                let mantissa =
                    int.bytes().chain(frac.bytes()).fold(0i128, |m, b| m * 10 + i128::from(b - b'0'));
                let scale = u32::try_from(frac.len()).unwrap_or(u32::MAX);
                Decimal::try_from_i128_with_scale(mantissa, scale)
                    .map(Multiple)
                    .map_err(|e| path.error(value.at, e))
            }
            _ => Err(path.invalid_type(value, EXPECTED)),
        }
    }
}

impl Policy {
    /// Checks values that parse but make no sense; every problem names its field.
    pub fn validate(&self, path: &str, errors: &mut Vec<FieldError>) {
        let field = |name: &str| format!("{path}.{name}");
        if self.max_count.is_some() && self.period.is_none() {
            errors.push(FieldError::new(field("period"), "is required when maxCount is set"));
        }
        if self.max_count.is_some_and(|c| c > 1_000_000) {
            errors.push(FieldError::new(field("maxCount"), "must be at most 1000000"));
        }
        for (name, value) in [
            ("period", self.period),
            ("expiration", self.expiration),
            ("maxAmountLookback", self.max_amount_lookback),
        ] {
            match value {
                Some(0) => errors.push(FieldError::new(field(name), "must be a positive number of seconds")),
                Some(v) if v > MAX_DURATION_SECONDS => errors.push(FieldError::new(
                    field(name),
                    format!("must be at most {MAX_DURATION_SECONDS} seconds (100 years)"),
                )),
                _ => {}
            }
        }
        if let Some(Multiple(m)) = self.max_multiple {
            if m <= Decimal::ZERO || m > Decimal::from(1000) {
                errors.push(FieldError::new(field("maxMultiple"), "must be greater than 0 and at most 1000"));
            }
        }
        if let Some(c) = self.max_zero_auth_amount {
            if c.cents > crate::money::MAX_MINOR_UNITS {
                errors.push(FieldError::new(field("maxZeroAuthAmount.cents"), "is out of range"));
            }
        }
        if let Some(n) = &self.network_rules {
            if let Some(v) = &n.version {
                if crate::network_rules::by_version(v).is_none() {
                    errors.push(FieldError::new(
                        field("networkRules.version"),
                        "is not a rule-set version (a date listed in network_rules.rs, e.g. \"2025-05-25\")",
                    ));
                }
            }
            for (name, value) in [
                ("networkRules.visaMaxReattempts", n.visa_max_reattempts),
                ("networkRules.mastercardMaxDeclinesPerDay", n.mastercard_max_declines_per_day),
            ] {
                if value.is_some_and(|b| b == 0 || b > 1000) {
                    errors.push(FieldError::new(field(name), "must be between 1 and 1000"));
                }
            }
        }
        if let Some(n) = self.pre_debit_notice {
            if n.min_hours == 0 || n.min_hours > 24 * 90 {
                errors.push(FieldError::new(
                    field("preDebitNotice.minHours"),
                    "must be between 1 and 2160 hours",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_001_example_deserializes_verbatim() {
        let json = r#"{"enabled": true, "maxCount": 5, "period": 86400, "maxMultiple": 3, "expiration": 2592000,
            "maxZeroAuthAmount": { "cents": 2000 }, "maxAmountLookback": 2592000}"#;
        let p: Policy = crate::json::from_str(json).unwrap();
        assert!(p.enabled);
        assert_eq!(p.max_count, Some(5));
        assert_eq!(p.period, Some(86400));
        assert_eq!(p.max_multiple, Some(Multiple(Decimal::from(3))));
        assert_eq!(p.expiration, Some(2_592_000));
        assert_eq!(p.max_zero_auth_amount.map(|c| c.cents), Some(2000));
        assert_eq!(p.max_amount_lookback, Some(2_592_000));
        assert!(p.network_retry_rules && p.allow_grandfathered && p.pre_debit_notice.is_none());
        let back = serde_json::to_string(&p).unwrap();
        assert_eq!(
            back,
            r#"{"enabled":true,"maxCount":5,"period":86400,"maxMultiple":3,"expiration":2592000,"maxZeroAuthAmount":{"cents":2000},"maxAmountLookback":2592000}"#
        );
    }

    #[test]
    fn rejects_typos_and_floats() {
        assert!(crate::json::from_str::<Policy>(r#"{"maxcount": 5}"#).is_err());
        assert!(crate::json::from_str::<Policy>(r#"{"maxMultiple": 1.5}"#).is_err());
        let p: Policy = crate::json::from_str(r#"{"maxMultiple": "1.5"}"#).unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"enabled":false,"maxMultiple":"1.5"}"#);
    }

    /// `maxMultiple` strings are built from their digits; the result must be what `Decimal::from_str` gives.
    #[test]
    fn multiple_strings_read_like_decimal_from_str() {
        use std::str::FromStr;
        for text in
            ["1.5", "0.25", "3", "10.00", "007.50", "99999999999", "123456789012", "0.0000000001", "0"]
        {
            let p: Policy = crate::json::from_str(&format!(r#"{{"maxMultiple": "{text}"}}"#)).unwrap();
            let got = p.max_multiple.unwrap().0;
            let expected = Decimal::from_str(text).unwrap();
            assert_eq!(
                (got, got.scale(), got.to_string()),
                (expected, expected.scale(), expected.to_string())
            );
        }
        for bad in ["1.2.3", ".5", "5.", "", "1e3", "-1", "1234567890123"] {
            let err = crate::json::from_str::<Policy>(&format!(r#"{{"maxMultiple": "{bad}"}}"#)).unwrap_err();
            assert_eq!(err.path, "maxMultiple", "{bad}");
        }
    }

    #[test]
    fn validation_names_fields() {
        let p: Policy = crate::json::from_str(r#"{"maxCount": 5, "expiration": 0}"#).unwrap();
        let mut errors = Vec::new();
        p.validate("policy", &mut errors);
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["policy.period", "policy.expiration"]);
    }
}
