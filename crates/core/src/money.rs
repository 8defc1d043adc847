//! Exact money: a non-negative decimal amount in an ISO 4217 currency, never a float.
//!
//! An amount always carries exactly its currency's exponent (`29.90 EUR`, `1500 JPY`, `1.250 KWD`).
//! Input with more precision than the currency allows is an error, never rounded; so are negative,
//! malformed and out-of-range amounts. Amounts cross every boundary (JSON, JavaScript) as decimal
//! strings in major units or as integer minor units.

mod currency;

use std::fmt;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use crate::json::{FromJson, Path, Value};
use crate::validate::FieldError;

/// The largest amount in minor units mitgate accepts: 2^53 - 1, so that an amount in minor units is
/// also exact as a JavaScript number. (USD 90 trillion; no card charge comes near it.)
pub const MAX_MINOR_UNITS: u64 = 9_007_199_254_740_991;

/// An active ISO 4217 currency with its minor-unit exponent (JPY 0, EUR 2, KWD 3).
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(type = "string"))]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

impl Currency {
    /// Looks up an upper-case ISO 4217 code.
    pub fn from_code(code: &str) -> Result<Self, MoneyError> {
        currency::lookup(code)
            .map(|(code, exponent)| Currency { code, exponent })
            .ok_or_else(|| MoneyError::UnknownCurrency(truncate_for_message(code)))
    }

    /// The three-letter code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point in this currency's minor unit.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code)
    }
}

impl FromJson for Currency {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let code = value.as_str(path, "an ISO 4217 currency code")?;
        Currency::from_code(code).map_err(|e| path.error(value.at, e))
    }

    #[cfg(feature = "speed")]
    fn read(r: &mut crate::json::Reader<'_>) -> Option<Self> {
        Currency::from_code(&r.string()?).ok()
    }
}

/// Why an amount or currency was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// Not an active ISO 4217 code.
    #[error("unknown currency `{0}`: expected an active ISO 4217 code such as \"USD\"")]
    UnknownCurrency(String),
    /// More decimal places than the currency's minor unit.
    #[error("amount {amount} has more decimal places than {currency} allows ({exponent})")]
    TooPrecise {
        /// The amount as given.
        amount: String,
        /// The currency.
        currency: &'static str,
        /// Its exponent.
        exponent: u8,
    },
    /// Below zero.
    #[error("amount must not be negative")]
    Negative,
    /// Not a plain decimal number.
    #[error("amount `{0}` is not a decimal number like \"29.90\"")]
    Malformed(String),
    /// Larger than [`MAX_MINOR_UNITS`].
    #[error("amount is out of range: at most 9007199254740991 minor units")]
    OutOfRange,
}

/// An exact, non-negative amount of one currency.
// INVARIANT: `amount.scale() == currency.exponent` and `0 <= amount * 10^exponent <= MAX_MINOR_UNITS`.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(type = "{ amount: string; currency: Currency }"))]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// From integer minor units (`{"cents": 2000}`, `"amount": 10000` ZAR).
    pub fn from_minor(minor: i128, currency: Currency) -> Result<Self, MoneyError> {
        if minor < 0 {
            return Err(MoneyError::Negative);
        }
        let minor = u64::try_from(minor).map_err(|_| MoneyError::OutOfRange)?;
        if minor > MAX_MINOR_UNITS {
            return Err(MoneyError::OutOfRange);
        }
        let amount = Decimal::try_from_i128_with_scale(i128::from(minor), u32::from(currency.exponent))
            .map_err(|_| MoneyError::OutOfRange)?;
        Ok(Money { amount, currency })
    }

    /// From a decimal string in major units (`"29.90"`, `"10"`, `"0.5"`). Trailing zeros beyond the
    /// currency's exponent are accepted (`"29.900"` EUR is exactly 29.90); any other extra digit is an error.
    pub fn parse_major(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        #[cfg(feature = "speed")]
        if let Some(money) = plain_minor(text, currency) {
            return Ok(money);
        }
        let decimal = parse_plain_decimal(text, currency)?;
        Money::from_decimal(decimal, currency, text)
    }

    /// From an exact decimal in major units.
    pub fn from_major(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        Money::from_decimal(amount, currency, &amount.to_string())
    }

    fn from_decimal(decimal: Decimal, currency: Currency, original: &str) -> Result<Self, MoneyError> {
        if decimal.is_sign_negative() && !decimal.is_zero() {
            return Err(MoneyError::Negative);
        }
        let exponent = u32::from(currency.exponent);
        let mut normalized = decimal.normalize();
        if normalized.scale() > exponent {
            return Err(MoneyError::TooPrecise {
                amount: truncate_for_message(original),
                currency: currency.code,
                exponent: currency.exponent,
            });
        }
        normalized.rescale(exponent);
        normalized.set_sign_positive(true);
        if normalized.scale() != exponent {
            return Err(MoneyError::OutOfRange);
        }
        let money = Money { amount: normalized, currency };
        if money.minor_units_i128() > i128::from(MAX_MINOR_UNITS) {
            return Err(MoneyError::OutOfRange);
        }
        Ok(money)
    }

    /// Zero of a currency.
    pub fn zero(currency: Currency) -> Self {
        let mut amount = Decimal::ZERO;
        amount.rescale(u32::from(currency.exponent));
        Money { amount, currency }
    }

    /// The largest amount mitgate represents in a currency ([`MAX_MINOR_UNITS`] minor units).
    pub fn max_value(currency: Currency) -> Self {
        let amount =
            Decimal::try_from_i128_with_scale(i128::from(MAX_MINOR_UNITS), u32::from(currency.exponent))
                .unwrap_or(Decimal::MAX);
        Money { amount, currency }
    }

    /// The amount in major units, with exactly the currency's exponent as scale.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    fn minor_units_i128(&self) -> i128 {
        self.amount.mantissa()
    }

    /// The amount in minor units (cents for USD, yen for JPY, fils for KWD).
    pub fn minor_units(&self) -> u64 {
        // INVARIANT: the constructor bounds the mantissa to 0..=MAX_MINOR_UNITS.
        u64::try_from(self.amount.mantissa()).unwrap_or(0)
    }

    /// `self * factor`, exact; `None` when the currencies' precision cannot hold it or it overflows.
    /// A product finer than the currency's minor unit is rounded *down* (a ceiling never grows by rounding).
    pub fn checked_mul_floor(&self, factor: Decimal) -> Option<Money> {
        let product = self.amount.checked_mul(factor)?;
        let floored = product.round_dp_with_strategy(
            u32::from(self.currency.exponent),
            rust_decimal::RoundingStrategy::ToZero,
        );
        Money::from_major(floored, self.currency).ok()
    }

    /// `self - other` when both share a currency and the result is not negative.
    pub fn checked_sub(&self, other: &Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        let diff = self.amount.checked_sub(other.amount)?;
        Money::from_major(diff, self.currency).ok()
    }

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// Renders `12.00 USD` style text for messages.
    pub fn display(&self) -> String {
        format!("{} {}", self.amount, self.currency.code)
    }
}

impl PartialOrd for Money {
    /// Amounts compare only within one currency.
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        (self.currency == other.currency).then(|| self.amount.cmp(&other.amount))
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency.code)
    }
}

/// A strict decimal literal: optional `-`, digits, optionally `.` and digits. No exponent, sign `+`,
/// spaces, separators, `NaN` or `Infinity`. Trailing fractional zeros are dropped (they add no value).
fn parse_plain_decimal(text: &str, currency: Currency) -> Result<Decimal, MoneyError> {
    let malformed = || MoneyError::Malformed(truncate_for_message(text));
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits_ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits_ok(int) || !digits_ok(frac) {
        return Err(malformed());
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > usize::from(currency.exponent) {
        return Err(MoneyError::TooPrecise {
            amount: truncate_for_message(text),
            currency: currency.code,
            exponent: currency.exponent,
        });
    }
    if negative && (int.bytes().any(|b| b != b'0') || !frac.is_empty()) {
        return Err(MoneyError::Negative);
    }
    // 2^53 minor units has at most 16 integer digits; more cannot be in range (and would not fit a Decimal).
    if int.trim_start_matches('0').len() > 16 {
        return Err(MoneyError::OutOfRange);
    }
    // At most 16 integer and 4 fractional digits (checked above): the mantissa fits an i128 and a
    // Decimal, so the value is built from its digits without formatting and re-parsing a string.
    let mut mantissa: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(b - b'0')))
            .ok_or_else(malformed)?;
    }
    let scale = u32::try_from(frac.len()).map_err(|_| malformed())?;
    Decimal::try_from_i128_with_scale(mantissa, scale).map_err(|_| malformed())
}

/// [`Money::parse_major`]'s amount for its plain form, `digits` or `digits.digits` with at most 15 integer
/// digits and at most the currency's exponent of fractional ones, counted in minor units with `u64`
/// arithmetic (no `Decimal` arithmetic); `None` for anything else, which the general path then reads
/// (and words any error). With the feature `speed` (the Node build): an amount is read for every entry.
#[cfg(feature = "speed")]
fn plain_minor(text: &str, currency: Currency) -> Option<Money> {
    let (int, frac) = match text.split_once('.') {
        Some((int, frac)) if !frac.is_empty() => (int, frac),
        Some(_) => return None,
        None => (text, ""),
    };
    let exponent = usize::from(currency.exponent);
    if int.is_empty() || int.len() > 15 || frac.len() > exponent {
        return None;
    }
    let mut minor: u64 = 0;
    // At most 15 + 4 digits: below 10^19, within a u64.
    let padding = std::iter::repeat_n(b'0', exponent - frac.len());
    for b in int.bytes().chain(frac.bytes()).chain(padding) {
        if !b.is_ascii_digit() {
            return None;
        }
        minor = minor.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Money::from_minor(i128::from(minor), currency).ok()
}

pub(crate) use mitgate_json::truncate_for_message;

/// The canonical JSON form: `{"amount": "29.90", "currency": "EUR"}`, amount a decimal string in major units.
#[derive(Serialize)]
struct MoneyJson<'a> {
    amount: &'a str,
    currency: Currency,
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[cfg(feature = "speed")]
        if let Some((digits, len)) = plain_digits(&self.amount) {
            let amount = std::str::from_utf8(digits.get(..len).unwrap_or_default()).unwrap_or_default();
            return MoneyJson { amount, currency: self.currency }.serialize(s);
        }
        MoneyJson { amount: &self.amount.to_string(), currency: self.currency }.serialize(s)
    }
}

/// `Decimal::to_string`'s text for a non-negative amount below 2^64 minor units (every amount mitgate
/// reads), written without `core::fmt` or an allocation: the digits in a buffer, and their length.
#[cfg(feature = "speed")]
fn plain_digits(amount: &Decimal) -> Option<([u8; 48], usize)> {
    if amount.is_sign_negative() {
        return None;
    }
    let mut mantissa = u64::try_from(amount.mantissa()).ok()?;
    let scale = usize::try_from(amount.scale()).ok()?;
    let mut buf = [0u8; 48];
    let mut len = 0usize;
    // Digits from the last; the point after `scale` of them; at least one digit before the point.
    loop {
        if len == scale && scale > 0 {
            *buf.get_mut(len)? = b'.';
            len += 1;
        }
        *buf.get_mut(len)? = b'0' + u8::try_from(mantissa % 10).ok()?;
        len += 1;
        mantissa /= 10;
        if mantissa == 0 && len > scale + usize::from(scale > 0) {
            break;
        }
    }
    buf.get_mut(..len)?.reverse();
    Some((buf, len))
}

/// Reads the canonical form. The amount must be a string: a JSON number like `29.9` is refused, since
/// JSON parsers and JavaScript read it as a float.
impl FromJson for Money {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let o = value.object(path, &["amount", "currency"], true)?;
        let amount = match o.get("amount") {
            Some(v) => v.as_str(&path.key("amount"), "a decimal string in major units, like \"29.90\"")?,
            None => return Err(o.missing("amount")),
        };
        let currency: Currency = o.req("currency")?;
        Money::parse_major(amount, currency).map_err(|e| path.error(value.at, e))
    }

    /// The same object read straight from the text: `amount` a string and `currency` a code, each once,
    /// nothing else.
    #[cfg(feature = "speed")]
    fn read(r: &mut crate::json::Reader<'_>) -> Option<Self> {
        let (mut amount, mut currency) = (None, None);
        r.object(|r, key| {
            match &*key {
                "amount" if amount.is_none() => amount = Some(r.string()?),
                "currency" if currency.is_none() => currency = Some(Currency::read(r)?),
                _ => return None,
            }
            Some(())
        })?;
        Money::parse_major(&amount?, currency?).ok()
    }
}

/// Document 001's integer minor-unit amount: `{"cents": 2000}`, optionally with a currency.
///
/// Without `currency`, the count is read in the minor unit of whatever currency it is applied to
/// (the agreement's), as document 001 does for USD.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, FromJson)]
#[serde(deny_unknown_fields)]
pub struct Cents {
    /// Minor units (`2000` = 20.00 USD, 2000 JPY, 2.000 KWD).
    pub cents: u64,
    /// The currency the count is in; `None` means the agreement's currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
}

impl Cents {
    /// The amount in `currency`, or `None` when this value is pinned to another currency.
    pub fn in_currency(&self, currency: Currency) -> Option<Result<Money, MoneyError>> {
        match self.currency {
            Some(c) if c != currency => None,
            _ => Some(Money::from_minor(i128::from(self.cents), currency)),
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(feature = "speed")]
    #[test]
    fn amounts_are_written_as_decimal_writes_them() {
        use proptest::prelude::*;
        proptest!(|(mantissa in prop_oneof![0i128..1_000, 0i128..(1i128 << 70)], scale in 0u32..=28, negative: bool)| {
            let mut amount = Decimal::from_i128_with_scale(mantissa, scale);
            amount.set_sign_negative(negative);
            let fast = plain_digits(&amount).map(|(buf, len)| String::from_utf8(buf[..len].to_vec()).unwrap());
            if let Some(fast) = fast {
                prop_assert_eq!(fast, amount.to_string());
            } else {
                prop_assert!(negative || mantissa >= 1i128 << 64);
            }
        });
    }

    /// The plain form read in minor units: the same money as the general path, or left to it.
    #[cfg(feature = "speed")]
    #[test]
    fn plain_amounts_read_as_the_general_path_reads_them() {
        use proptest::prelude::*;
        let general = |text: &str, c: Currency| -> Result<Money, MoneyError> {
            let decimal = parse_plain_decimal(text, c)?;
            Money::from_decimal(decimal, c, text)
        };
        proptest!(|(text in "-?[0-9]{0,18}(\\.[0-9]{0,6})?|[0-9]{1,3}\\.|[0-9 .e+-]{0,8}", code in prop::sample::select(vec!["JPY", "USD", "KWD", "CLF"]))| {
            let c = Currency::from_code(code).unwrap();
            let slow = general(&text, c);
            match plain_minor(&text, c) {
                Some(fast) => {
                    prop_assert_eq!(Ok(fast), slow.clone());
                    prop_assert_eq!(fast.amount.scale(), slow.unwrap().amount.scale());
                    prop_assert_eq!(serde_json::to_string(&fast).unwrap(), serde_json::to_string(&general(&text, c).unwrap()).unwrap());
                }
                None => {
                    // Only forms the fast path does not cover are left to the general path.
                    let plain = text.split('.').count() <= 2 && !text.ends_with('.') && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
                    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
                    let covered = plain && !int.is_empty() && int.len() <= 15 && frac.len() <= usize::from(c.exponent());
                    prop_assert!(!covered || slow.is_err(), "{} {}: left to the general path", text, code);
                }
            }
        });
    }

    use super::*;

    fn cur(c: &str) -> Currency {
        Currency::from_code(c).unwrap()
    }

    /// `parse_plain_decimal` builds the Decimal from its digits; it must give what parsing the canonical
    /// text with `Decimal::from_str` gave before (same value, same scale), leading zeros included.
    #[test]
    fn decimal_from_digits_matches_from_str() {
        use std::str::FromStr;
        for (text, code) in [
            ("0", "USD"),
            ("0.0", "USD"),
            ("00", "USD"),
            ("000000000000000000000000000000000001.5", "USD"),
            ("12.50", "USD"),
            ("29.9", "EUR"),
            ("9999999999999999.99", "USD"),
            ("1234567890123456.7891", "CLF"),
            ("0.001", "KWD"),
            ("10", "JPY"),
            ("-0", "USD"),
            ("-0.00", "USD"),
            ("007", "USD"),
        ] {
            let (int, frac) =
                text.trim_start_matches('-').split_once('.').unwrap_or((text.trim_start_matches('-'), "0"));
            let frac = frac.trim_end_matches('0');
            let canonical = if frac.is_empty() { int.to_string() } else { format!("{int}.{frac}") };
            let expected = Decimal::from_str(&canonical).unwrap();
            let got = parse_plain_decimal(text, cur(code)).unwrap();
            assert_eq!(
                (got, got.scale(), got.to_string()),
                (expected, expected.scale(), expected.to_string()),
                "{text}"
            );
        }
    }

    #[test]
    fn parses_exact_major_units() {
        let eur = cur("EUR");
        assert_eq!(Money::parse_major("29.90", eur).unwrap().minor_units(), 2990);
        assert_eq!(Money::parse_major("29.9", eur).unwrap().amount().to_string(), "29.90");
        assert_eq!(Money::parse_major("29.900", eur).unwrap().minor_units(), 2990);
        assert_eq!(Money::parse_major("10", eur).unwrap().amount().to_string(), "10.00");
        assert_eq!(Money::parse_major("0", eur).unwrap().amount().to_string(), "0.00");
        assert_eq!(Money::parse_major("1500", cur("JPY")).unwrap().amount().to_string(), "1500");
        assert_eq!(Money::parse_major("1.250", cur("KWD")).unwrap().minor_units(), 1250);
    }

    #[test]
    fn refuses_imprecise_or_malformed() {
        let eur = cur("EUR");
        assert!(matches!(Money::parse_major("29.901", eur), Err(MoneyError::TooPrecise { .. })));
        assert!(matches!(Money::parse_major("1.5", cur("JPY")), Err(MoneyError::TooPrecise { .. })));
        assert_eq!(Money::parse_major("-1.00", eur), Err(MoneyError::Negative));
        for bad in ["", ".5", "5.", "1e3", "+1", " 1", "NaN", "Infinity", "1_000", "1,00", "0x10", "--1"] {
            assert!(matches!(Money::parse_major(bad, eur), Err(MoneyError::Malformed(_))), "{bad}");
        }
        assert_eq!(Money::parse_major("99999999999999999999", eur), Err(MoneyError::OutOfRange));
        assert_eq!(Money::parse_major("90071992547409.92", eur), Err(MoneyError::OutOfRange));
        assert!(Money::parse_major("90071992547409.91", eur).is_ok());
    }

    #[test]
    fn minor_units_round_trip() {
        let zar = cur("ZAR");
        let m = Money::from_minor(10000, zar).unwrap();
        assert_eq!(m.amount().to_string(), "100.00");
        assert_eq!(Money::from_minor(-1, zar), Err(MoneyError::Negative));
        assert_eq!(Money::from_minor(i128::from(MAX_MINOR_UNITS) + 1, zar), Err(MoneyError::OutOfRange));
    }

    #[test]
    fn json_form_is_string_amount() {
        let m: Money = crate::json::from_str(r#"{"amount":"12.5","currency":"USD"}"#).unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"amount":"12.50","currency":"USD"}"#);
        assert!(crate::json::from_str::<Money>(r#"{"amount":12.5,"currency":"USD"}"#).is_err());
        assert!(crate::json::from_str::<Money>(r#"{"amount":"1","currency":"XXX"}"#).is_err());
    }

    #[test]
    fn multiplication_floors_to_minor_unit() {
        let usd = cur("USD");
        let m = Money::parse_major("0.05", usd).unwrap();
        let p = m.checked_mul_floor(Decimal::new(15, 1)).unwrap();
        assert_eq!(p.amount().to_string(), "0.07");
    }
}
