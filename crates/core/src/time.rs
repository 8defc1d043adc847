//! Instants and calendar values. The engine never reads a clock: `now` is always an input.

use std::fmt;

use chrono::{DateTime, Datelike, Months, NaiveDate, SecondsFormat, TimeDelta, Utc};
use serde::{Serialize, Serializer};

use crate::json::{FromJson, Path, Value};
use crate::validate::FieldError;

/// The longest duration mitgate accepts in a policy or term: 100 years of seconds. Bounding durations
/// keeps every `instant + duration` inside the calendar, so no arithmetic can overflow.
pub const MAX_DURATION_SECONDS: u64 = 3_155_760_000;

/// An instant in UTC, written and read as RFC 3339 (`2026-04-16T10:15:30.000Z`; offsets are converted).
// INVARIANT: the year is within 1..=9999 (RFC 3339 cannot express others).
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(type = "string"))]
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Parses strict RFC 3339 (`T` separator, explicit offset or `Z`).
    pub fn parse(text: &str) -> Result<Self, String> {
        #[cfg(feature = "speed")]
        if let Some(t) = parse_utc_seconds(text) {
            return Ok(t);
        }
        DateTime::parse_from_rfc3339(text).map(|d| Timestamp(d.with_timezone(&Utc))).map_err(|e| {
            format!(
                "`{}` is not an RFC 3339 instant like \"2026-04-16T10:15:30Z\": {e}",
                crate::money::truncate_for_message(text)
            )
        })
    }

    /// Builds from a chrono value.
    pub fn from_datetime(d: DateTime<Utc>) -> Self {
        Timestamp(d)
    }

    /// The chrono value.
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(&self) -> i64 {
        self.0.timestamp_millis()
    }

    /// `self + seconds`, saturating at the end of the representable calendar.
    pub fn plus_seconds(&self, seconds: u64) -> Timestamp {
        i64::try_from(seconds)
            .ok()
            .and_then(TimeDelta::try_seconds)
            .and_then(|d| self.0.checked_add_signed(d))
            .map_or(Timestamp(DateTime::<Utc>::MAX_UTC), Timestamp)
    }

    /// `self - seconds`, saturating at the start of the representable calendar.
    pub fn minus_seconds(&self, seconds: u64) -> Timestamp {
        i64::try_from(seconds)
            .ok()
            .and_then(TimeDelta::try_seconds)
            .and_then(|d| self.0.checked_sub_signed(d))
            .map_or(Timestamp(DateTime::<Utc>::MIN_UTC), Timestamp)
    }

    /// `self + months` on the calendar (day clamped to the month's end), saturating.
    pub fn plus_months(&self, months: u32) -> Timestamp {
        self.0.checked_add_months(Months::new(months)).map_or(Timestamp(DateTime::<Utc>::MAX_UTC), Timestamp)
    }

    /// Whole seconds from `self` until `later`, rounded up; 0 when `later` is not after `self`.
    pub fn seconds_until_ceil(&self, later: Timestamp) -> u64 {
        let delta = later.0.signed_duration_since(self.0);
        let secs = delta.num_seconds();
        let rem_nanos = delta.subsec_nanos();
        let secs = if rem_nanos > 0 { secs.saturating_add(1) } else { secs };
        u64::try_from(secs).unwrap_or(0)
    }

    /// RFC 3339 text, UTC, `Z` suffix, sub-second digits only when present.
    pub fn to_rfc3339(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[cfg(feature = "speed")]
        if let Some(text) = self.utc_seconds() {
            return s.serialize_str(std::str::from_utf8(&text).unwrap_or_default());
        }
        s.serialize_str(&self.to_rfc3339())
    }
}

#[cfg(feature = "speed")]
impl Timestamp {
    /// [`Timestamp::to_rfc3339`]'s text for whole seconds in years 0 to 9999 (`2026-04-16T10:15:30Z`),
    /// written without chrono's formatter or an allocation; `None` for other instants.
    fn utc_seconds(&self) -> Option<[u8; 20]> {
        use chrono::Timelike;
        // The naive date and time once: each accessor of a `DateTime` converts to them again.
        let (d, t) = (self.0.date_naive(), self.0.time());
        if t.nanosecond() != 0 {
            return None;
        }
        let mut out = *b"0000-00-00T00:00:00Z";
        put_digits(&mut out, &[(11, t.hour(), 2), (14, t.minute(), 2), (17, t.second(), 2)])?;
        let date = date_text(d)?;
        out.get_mut(..10)?.copy_from_slice(&date);
        Some(out)
    }
}

/// `YYYY-MM-DD` for years 0 to 9999 (what `{:04}-{:02}-{:02}` writes), without `core::fmt`.
#[cfg(feature = "speed")]
fn date_text(d: NaiveDate) -> Option<[u8; 10]> {
    let year = u32::try_from(d.year()).ok().filter(|y| *y <= 9999)?;
    let mut out = *b"0000-00-00";
    put_digits(&mut out, &[(0, year, 4), (5, d.month(), 2), (8, d.day(), 2)])?;
    Some(out)
}

/// Writes each `(at, value, width)` as `width` decimal digits from `out[at]` (the value must fit).
#[cfg(feature = "speed")]
fn put_digits(out: &mut [u8], fields: &[(usize, u32, usize)]) -> Option<()> {
    for &(at, value, width) in fields {
        let mut v = value;
        for i in (at..at + width).rev() {
            *out.get_mut(i)? = b'0' + u8::try_from(v % 10).ok()?;
            v /= 10;
        }
        if v != 0 {
            return None;
        }
    }
    Some(())
}

impl FromJson for Timestamp {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let text = value.as_str(path, "an RFC 3339 instant")?;
        Timestamp::parse(text).map_err(|e| path.error(value.at, e))
    }

    #[cfg(feature = "speed")]
    fn read(r: &mut crate::json::Reader<'_>) -> Option<Self> {
        Timestamp::parse(&r.string()?).ok()
    }
}

#[cfg(feature = "speed")]
/// The common form `YYYY-MM-DDTHH:MM:SSZ` read without chrono's general RFC 3339 parser (a tenth of the
/// instructions): the date by [`parse_date`], then `THH:MM:SSZ`. `None` for anything else, including an
/// invalid date or a leap second: the caller then asks chrono, which accepts the same instants and words
/// the errors.
fn parse_utc_seconds(text: &str) -> Option<Timestamp> {
    let (date, time) = (text.get(..10)?, text.get(10..)?.as_bytes());
    if time.len() != 10 || time.first() != Some(&b'T') || time.get(3) != Some(&b':') {
        return None;
    }
    if time.get(6) != Some(&b':') || time.get(9) != Some(&b'Z') {
        return None;
    }
    let (hour, minute, second) =
        (digits(time.get(1..3)?)?, digits(time.get(4..6)?)?, digits(time.get(7..9)?)?);
    // chrono reads second 60 as a leap second; it stays on chrono's path.
    if second > 59 {
        return None;
    }
    Some(Timestamp(parse_date(date, true)?.and_hms_opt(hour, minute, second)?.and_utc()))
}

/// An inclusive end of validity: either an instant (`"2027-04-16T23:59:59.000Z"`, SPG's `validityDate`)
/// or a whole UTC day (`"2030-12-25"`, Axerve's `expiry` 20301225): valid through the end of that day.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(type = "string"))]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidUntil {
    /// Valid up to and including this instant.
    Instant(Timestamp),
    /// Valid through the last instant of this UTC day.
    Date(NaiveDate),
}

impl ValidUntil {
    /// The first instant at which the validity has ended (exclusive end).
    pub fn ends_at(&self) -> Timestamp {
        match self {
            ValidUntil::Instant(t) => Timestamp(
                t.0.checked_add_signed(TimeDelta::nanoseconds(1)).unwrap_or(DateTime::<Utc>::MAX_UTC),
            ),
            ValidUntil::Date(d) => d
                .succ_opt()
                .and_then(|next| next.and_hms_opt(0, 0, 0))
                .map_or(Timestamp(DateTime::<Utc>::MAX_UTC), |n| Timestamp(n.and_utc())),
        }
    }

    /// Whether `now` is still within the validity.
    pub fn covers(&self, now: Timestamp) -> bool {
        now < self.ends_at()
    }
}

impl fmt::Debug for ValidUntil {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValidUntil::Instant(t) => write!(f, "{t}"),
            ValidUntil::Date(d) => write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        }
    }
}

impl Serialize for ValidUntil {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The same text without `core::fmt` and an allocation (the Node build).
        #[cfg(feature = "speed")]
        match self {
            ValidUntil::Instant(t) => return t.serialize(s),
            ValidUntil::Date(d) => {
                if let Some(text) = date_text(*d) {
                    return s.serialize_str(std::str::from_utf8(&text).unwrap_or_default());
                }
            }
        }
        s.serialize_str(&format!("{self:?}"))
    }
}

impl FromJson for ValidUntil {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let text = value.as_str(path, "a date or an RFC 3339 instant")?;
        if text.len() == 10 {
            return parse_date(text, true).map(ValidUntil::Date).ok_or_else(|| {
                path.error(
                    value.at,
                    format_args!("`{text}` is not a date like \"2030-12-25\" or an RFC 3339 instant"),
                )
            });
        }
        Timestamp::parse(text).map(ValidUntil::Instant).map_err(|e| path.error(value.at, e))
    }
}

/// Parses a calendar date, `YYYY-MM-DD` (`dashed`) or `YYYYMMDD`, without chrono's format machinery
/// (which would add tens of kilobytes to the WebAssembly module).
pub fn parse_date(text: &str, dashed: bool) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let at = |range: std::ops::Range<usize>| b.get(range).and_then(digits);
    let (year, month, day) = if dashed {
        if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        (at(0..4)?, at(5..7)?, at(8..10)?)
    } else {
        if b.len() != 8 {
            return None;
        }
        (at(0..4)?, at(4..6)?, at(6..8)?)
    };
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// The number a few ASCII digits spell (at most four here); `None` when a byte is not a digit.
fn digits(part: &[u8]) -> Option<u32> {
    part.iter().try_fold(0u32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
}

/// A card expiry month, `YYYY-MM` (`"2025-12"`): the card is valid through the last day of that month.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(type = "string"))]
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i32,
    month: u32,
}

impl YearMonth {
    /// Builds from a year (1..=9999) and month (1..=12).
    pub fn new(year: i32, month: u32) -> Option<Self> {
        ((1..=9999).contains(&year) && (1..=12).contains(&month)).then_some(YearMonth { year, month })
    }

    /// Parses `YYYY-MM`.
    pub fn parse(text: &str) -> Option<Self> {
        let (y, m) = text.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        YearMonth::new(y.parse().ok()?, m.parse().ok()?)
    }

    /// The first instant of the following month, when the card no longer works.
    pub fn ends_at(&self) -> Timestamp {
        let (y, m) = if self.month == 12 { (self.year + 1, 1) } else { (self.year, self.month + 1) };
        NaiveDate::from_ymd_opt(y, m, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map_or(Timestamp(DateTime::<Utc>::MAX_UTC), |n| Timestamp(n.and_utc()))
    }

    /// The year.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// The month, 1..=12.
    pub fn month(&self) -> u32 {
        self.month
    }
}

impl fmt::Debug for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The same text without `core::fmt` and an allocation (the Node build).
        #[cfg(feature = "speed")]
        {
            let mut out = *b"0000-00";
            let year = u32::try_from(self.year).unwrap_or(u32::MAX);
            if put_digits(&mut out, &[(0, year, 4), (5, self.month, 2)]).is_some() {
                return s.serialize_str(std::str::from_utf8(&out).unwrap_or_default());
            }
        }
        s.serialize_str(&format!("{self:?}"))
    }
}

impl FromJson for YearMonth {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let text = value.as_str(path, "a card expiry like \"2025-12\"")?;
        YearMonth::parse(text).ok_or_else(|| {
            path.error(
                value.at,
                format_args!(
                    "`{}` is not a card expiry like \"2025-12\"",
                    crate::money::truncate_for_message(text)
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    #[cfg(feature = "speed")]
    #[test]
    fn fast_paths_agree_with_chrono() {
        use proptest::prelude::*;
        // Every instant of whole seconds written the fast way reads and writes as chrono does.
        proptest!(|(secs in -70_000_000_000i64..260_000_000_000i64, nanos in prop_oneof![Just(0u32), 0u32..2_000_000_000])| {
            let Some(d) = DateTime::from_timestamp(secs, nanos) else { return Ok(()) };
            let t = Timestamp(d);
            let fast = serde_json::to_string(&t).unwrap();
            prop_assert_eq!(&fast, &format!("\"{}\"", t.to_rfc3339()));
            let text = t.to_rfc3339();
            let chrono = DateTime::parse_from_rfc3339(&text).map(|d| d.with_timezone(&Utc)).ok();
            prop_assert_eq!(Timestamp::parse(&text).ok().map(|t| t.0), chrono);
        });
        // Texts of the fast form's shape, valid or not: the same instant as chrono, or an error from both.
        proptest!(|(y in 0u32..10_000, mo in 0u32..14, d in 0u32..33, h in 0u32..26, mi in 0u32..62, s in 0u32..62)| {
            let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z");
            let chrono = DateTime::parse_from_rfc3339(&text).map(|d| d.with_timezone(&Utc)).ok();
            prop_assert_eq!(parse_utc_seconds(&text).map(|t| t.0).or(chrono), chrono);
            prop_assert_eq!(Timestamp::parse(&text).ok().map(|t| t.0), chrono);
        });
        // Validity ends and card expiries written the fast way: what their `Debug` (the other build's
        // writer) writes, for every date chrono has and every instant.
        proptest!(|(days in -5_000_000i32..5_000_000, secs in -70_000_000_000i64..260_000_000_000i64, y in -100i32..10_100, m in 0u32..14)| {
            if let Some(d) = NaiveDate::from_num_days_from_ce_opt(days) {
                let v = ValidUntil::Date(d);
                prop_assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{v:?}\""));
            }
            if let Some(t) = DateTime::from_timestamp(secs, 0) {
                let v = ValidUntil::Instant(Timestamp(t));
                prop_assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{v:?}\""));
            }
            if let Some(ym) = YearMonth::new(y, m) {
                prop_assert_eq!(serde_json::to_string(&ym).unwrap(), format!("\"{ym:?}\""));
            }
        });
    }

    use super::*;

    #[test]
    fn parses_and_prints_rfc3339() {
        let t = Timestamp::parse("2026-04-16T10:15:30.000Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-04-16T10:15:30Z");
        let o = Timestamp::parse("2026-04-16T12:15:30+02:00").unwrap();
        assert_eq!(t, o);
        assert!(Timestamp::parse("2026-04-16T10:15:30").is_err());
        assert!(Timestamp::parse("2026-04-16").is_err());
    }

    #[test]
    fn card_expiry_ends_next_month() {
        assert_eq!(YearMonth::parse("2025-12").unwrap().ends_at().to_rfc3339(), "2026-01-01T00:00:00Z");
        assert!(YearMonth::parse("2025-13").is_none());
        assert!(YearMonth::parse("25-12").is_none());
    }

    #[test]
    fn parses_dates_without_format_strings() {
        assert_eq!(parse_date("2030-12-25", true), NaiveDate::from_ymd_opt(2030, 12, 25));
        assert_eq!(parse_date("20301225", false), NaiveDate::from_ymd_opt(2030, 12, 25));
        for bad in ["2030-02-30", "2030-13-01", "2030/12/25", "2030-1-255", "+030-12-25", ""] {
            assert_eq!(parse_date(bad, true), None, "{bad}");
        }
        assert_eq!(parse_date("20300230", false), None);
        assert_eq!(parse_date("2030122", false), None);
    }

    #[test]
    fn valid_until_date_covers_whole_day() {
        let v: ValidUntil = crate::json::from_str("\"2030-12-25\"").unwrap();
        assert!(v.covers(Timestamp::parse("2030-12-25T23:59:59.999Z").unwrap()));
        assert!(!v.covers(Timestamp::parse("2030-12-26T00:00:00Z").unwrap()));
    }
}
