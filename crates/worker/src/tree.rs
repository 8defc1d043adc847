//! Helpers over `mitgate_core::json` trees for what the Worker reads without a typed reader: lookups in
//! request and processor bodies, duplicate keys, and values kept as given (`processorContext`, a processor's
//! answer quoted in ours, idempotency fingerprints).
//!
//! Lookups and conversions keep `serde_json::Value`'s semantics, which this code used before: of a key
//! given twice the last counts, objects come out with sorted keys, and numbers are `u64`, `i64` or `f64`
//! (a number out of the `f64` range makes the whole document unreadable).

use std::collections::BTreeSet;

use mitgate_core::json::{FromJson, Kind, Path, Value};
use mitgate_core::validate::{FieldError, MAX_INPUT_BYTES};

/// The value of `key` when `value` is an object (the last one when the key is given twice).
pub(crate) fn member<'v, 'a>(value: &'v Value<'a>, key: &str) -> Option<&'v Value<'a>> {
    match &value.kind {
        Kind::Object(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

/// The value at a chain of object keys (`["content", "reference_id"]`).
pub(crate) fn member_at<'v, 'a>(value: &'v Value<'a>, keys: &[&str]) -> Option<&'v Value<'a>> {
    keys.iter().try_fold(value, |v, k| member(v, k))
}

/// The text of a string value.
pub(crate) fn text<'v>(value: &'v Value<'_>) -> Option<&'v str> {
    match &value.kind {
        Kind::String(s) => Some(s),
        _ => None,
    }
}

/// The path of the first key given twice in one object (`amount.currency`, `items[2].id`), in document
/// order, depth first. JSON with duplicate keys is ambiguous (parsers keep the first or the last);
/// mitgate refuses it.
pub(crate) fn duplicate_path(value: &Value<'_>) -> Option<String> {
    duplicate_below(value, &Path::root(""))
}

/// INVARIANT: the path is a chain of borrowed segments, rendered only for the one key reported, so the
/// walk costs O(size of the document), never O(elements × path length) (issue 15, item 9).
fn duplicate_below(value: &Value<'_>, path: &Path<'_>) -> Option<String> {
    match &value.kind {
        Kind::Object(entries) => {
            let mut seen = BTreeSet::new();
            entries.iter().find_map(|(key, v)| {
                let here = path.key(key);
                if seen.insert(key.as_ref()) {
                    duplicate_below(v, &here)
                } else {
                    Some(rendered(&here))
                }
            })
        }
        Kind::Array(items) => items.iter().enumerate().find_map(|(i, v)| duplicate_below(v, &path.index(i))),
        _ => None,
    }
}

#[cfg(test)]
thread_local! {
    /// Paths rendered on this thread (tests check that a walk renders only what it reports).
    pub(crate) static RENDERED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A path's text, for an error or a finding: the only place a walk over a document renders one.
pub(crate) fn rendered(path: &Path<'_>) -> String {
    #[cfg(test)]
    RENDERED.with(|n| n.set(n.get() + 1));
    path.render()
}

/// A JSON number (text valid by the JSON grammar) as `serde_json` reads one, step for step (its
/// parser without `float_roundtrip`, which this workspace does not enable): `u64`, else `i64` (negative
/// zero is the float `-0.0`), else an `f64` made from at most 19 significant digits and a power of ten;
/// `None` when that overflows (serde_json's "number out of range"). Written out rather than parsed with
/// `str::parse::<f64>`, whose correctly rounded algorithm and tables cost the Worker about 10 KB gzip and
/// could differ from serde_json in the last digit.
pub(crate) fn number(text: &str) -> Option<serde_json::Number> {
    let (positive, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (false, rest),
        None => (true, text),
    };
    let (mantissa, exponent_part) = match unsigned.find(['e', 'E']) {
        Some(i) => (unsigned.get(..i)?, unsigned.get(i.saturating_add(1)..)),
        None => (unsigned, None),
    };
    let (integer, fraction) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let mut significand: u64 = 0;
    let mut exponent: i32 = 0;
    // Integer digits past u64 are dropped and counted in the exponent (a float then).
    let mut long = false;
    for d in digits(integer) {
        if !long && overflows(significand, d) {
            long = true;
        }
        if long {
            exponent = exponent.saturating_add(1);
        } else {
            significand = significand.saturating_mul(10).saturating_add(d);
        }
    }
    if fraction.is_none() && exponent_part.is_none() && !long {
        if positive {
            return Some(significand.into());
        }
        // serde_json: `(significand as i64).wrapping_neg()`, a float when that is not negative.
        return Some(match i64::try_from(significand).ok().and_then(i64::checked_neg).filter(|n| *n < 0) {
            Some(n) => n.into(),
            None if significand == 1 << 63 => i64::MIN.into(),
            None => serde_json::Number::from_f64(f64_from_parts(false, significand, 0)?)?,
        });
    }
    // Fraction digits past u64 are dropped.
    for d in digits(fraction.unwrap_or_default()) {
        if overflows(significand, d) {
            break;
        }
        significand = significand.saturating_mul(10).saturating_add(d);
        exponent = exponent.saturating_sub(1);
    }
    if let Some(e) = exponent_part {
        let (positive_exp, e) = match e.as_bytes().first() {
            Some(b'-') => (false, e.get(1..)?),
            Some(b'+') => (true, e.get(1..)?),
            _ => (true, e),
        };
        let mut exp: i32 = 0;
        for d in digits(e) {
            let d = i32::try_from(d).ok()?;
            if exp >= i32::MAX / 10 && (exp > i32::MAX / 10 || d > i32::MAX % 10) {
                // An exponent past i32: out of range, or zero.
                if significand != 0 && positive_exp {
                    return None;
                }
                return serde_json::Number::from_f64(f64_from_parts(positive, 0, 0)?);
            }
            exp = exp.saturating_mul(10).saturating_add(d);
        }
        exponent = if positive_exp { exponent.saturating_add(exp) } else { exponent.saturating_sub(exp) };
    }
    serde_json::Number::from_f64(f64_from_parts(positive, significand, exponent)?)
}

/// The digits of an ASCII digit run.
fn digits(run: &str) -> impl Iterator<Item = u64> + '_ {
    run.bytes().map(|b| u64::from(b.wrapping_sub(b'0')))
}

/// Whether `significand * 10 + digit` overflows `u64` (serde_json's `overflow!`).
fn overflows(significand: u64, digit: u64) -> bool {
    significand >= u64::MAX / 10 && (significand > u64::MAX / 10 || digit > u64::MAX % 10)
}

/// serde_json's `f64_from_parts`: the significand times a power of ten from its table, `None` on overflow.
#[expect(
    clippy::float_arithmetic,
    reason = "serde_json's own conversion, for JSON kept, quoted or fingerprinted as given; never money"
)]
fn f64_from_parts(positive: bool, significand: u64, mut exponent: i32) -> Option<f64> {
    let mut f = significand as f64;
    loop {
        match POW10.get(exponent.unsigned_abs() as usize) {
            Some(&pow) => {
                if exponent >= 0 {
                    f *= pow;
                    if f.is_infinite() {
                        return None;
                    }
                } else {
                    f /= pow;
                }
                break;
            }
            None => {
                if f == 0.0 {
                    break;
                }
                if exponent >= 0 {
                    return None;
                }
                f /= 1e308;
                exponent = exponent.saturating_add(308);
            }
        }
    }
    Some(if positive { f } else { -f })
}

/// serde_json's table of powers of ten.
#[rustfmt::skip]
static POW10: [f64; 309] = [
    1e000, 1e001, 1e002, 1e003, 1e004, 1e005, 1e006, 1e007, 1e008, 1e009, //
    1e010, 1e011, 1e012, 1e013, 1e014, 1e015, 1e016, 1e017, 1e018, 1e019, //
    1e020, 1e021, 1e022, 1e023, 1e024, 1e025, 1e026, 1e027, 1e028, 1e029, //
    1e030, 1e031, 1e032, 1e033, 1e034, 1e035, 1e036, 1e037, 1e038, 1e039, //
    1e040, 1e041, 1e042, 1e043, 1e044, 1e045, 1e046, 1e047, 1e048, 1e049, //
    1e050, 1e051, 1e052, 1e053, 1e054, 1e055, 1e056, 1e057, 1e058, 1e059, //
    1e060, 1e061, 1e062, 1e063, 1e064, 1e065, 1e066, 1e067, 1e068, 1e069, //
    1e070, 1e071, 1e072, 1e073, 1e074, 1e075, 1e076, 1e077, 1e078, 1e079, //
    1e080, 1e081, 1e082, 1e083, 1e084, 1e085, 1e086, 1e087, 1e088, 1e089, //
    1e090, 1e091, 1e092, 1e093, 1e094, 1e095, 1e096, 1e097, 1e098, 1e099, //
    1e100, 1e101, 1e102, 1e103, 1e104, 1e105, 1e106, 1e107, 1e108, 1e109, //
    1e110, 1e111, 1e112, 1e113, 1e114, 1e115, 1e116, 1e117, 1e118, 1e119, //
    1e120, 1e121, 1e122, 1e123, 1e124, 1e125, 1e126, 1e127, 1e128, 1e129, //
    1e130, 1e131, 1e132, 1e133, 1e134, 1e135, 1e136, 1e137, 1e138, 1e139, //
    1e140, 1e141, 1e142, 1e143, 1e144, 1e145, 1e146, 1e147, 1e148, 1e149, //
    1e150, 1e151, 1e152, 1e153, 1e154, 1e155, 1e156, 1e157, 1e158, 1e159, //
    1e160, 1e161, 1e162, 1e163, 1e164, 1e165, 1e166, 1e167, 1e168, 1e169, //
    1e170, 1e171, 1e172, 1e173, 1e174, 1e175, 1e176, 1e177, 1e178, 1e179, //
    1e180, 1e181, 1e182, 1e183, 1e184, 1e185, 1e186, 1e187, 1e188, 1e189, //
    1e190, 1e191, 1e192, 1e193, 1e194, 1e195, 1e196, 1e197, 1e198, 1e199, //
    1e200, 1e201, 1e202, 1e203, 1e204, 1e205, 1e206, 1e207, 1e208, 1e209, //
    1e210, 1e211, 1e212, 1e213, 1e214, 1e215, 1e216, 1e217, 1e218, 1e219, //
    1e220, 1e221, 1e222, 1e223, 1e224, 1e225, 1e226, 1e227, 1e228, 1e229, //
    1e230, 1e231, 1e232, 1e233, 1e234, 1e235, 1e236, 1e237, 1e238, 1e239, //
    1e240, 1e241, 1e242, 1e243, 1e244, 1e245, 1e246, 1e247, 1e248, 1e249, //
    1e250, 1e251, 1e252, 1e253, 1e254, 1e255, 1e256, 1e257, 1e258, 1e259, //
    1e260, 1e261, 1e262, 1e263, 1e264, 1e265, 1e266, 1e267, 1e268, 1e269, //
    1e270, 1e271, 1e272, 1e273, 1e274, 1e275, 1e276, 1e277, 1e278, 1e279, //
    1e280, 1e281, 1e282, 1e283, 1e284, 1e285, 1e286, 1e287, 1e288, 1e289, //
    1e290, 1e291, 1e292, 1e293, 1e294, 1e295, 1e296, 1e297, 1e298, 1e299, //
    1e300, 1e301, 1e302, 1e303, 1e304, 1e305, 1e306, 1e307, 1e308, //
];

/// The value as a `serde_json::Value` (for output and for values kept as given), or the path of a number
/// out of range.
pub(crate) fn to_serde(value: &Value<'_>, path: &Path<'_>) -> Result<serde_json::Value, FieldError> {
    Ok(match &value.kind {
        Kind::Null => serde_json::Value::Null,
        Kind::Bool(b) => serde_json::Value::Bool(*b),
        Kind::Number(n) => match number(n) {
            Some(n) => serde_json::Value::Number(n),
            None => return Err(path.error(value.at, "number out of range")),
        },
        Kind::String(s) => serde_json::Value::String(s.to_string()),
        Kind::Array(items) => serde_json::Value::Array(
            items.iter().enumerate().map(|(i, v)| to_serde(v, &path.index(i))).collect::<Result<_, _>>()?,
        ),
        Kind::Object(_) => serde_json::Value::Object(to_serde_map(value, path)?),
    })
}

/// An object's members as a `serde_json::Map` (a key given twice: the last counts).
pub(crate) fn to_serde_map(
    value: &Value<'_>,
    path: &Path<'_>,
) -> Result<serde_json::Map<String, serde_json::Value>, FieldError> {
    let Kind::Object(entries) = &value.kind else { return Err(path.invalid_type(value, "a map")) };
    let mut map = serde_json::Map::new();
    for (key, v) in entries {
        map.insert(key.to_string(), to_serde(v, &path.key(key))?);
    }
    Ok(map)
}

/// JSON text (a body) as a `serde_json::Value`, if it is JSON that `serde_json` would read.
pub(crate) fn serde_value(text: &str) -> Option<serde_json::Value> {
    let value = mitgate_core::json::parse(text).ok()?;
    to_serde(&value, &Path::root(text)).ok()
}

/// A request body read as `T`: parsed once, refused when a key is given twice (`is given more than once`,
/// at the key's path), then read. Errors are those of `mitgate_core::validate::parse_json`: the body's
/// size cap, the failing field's path, messages cut at 300 characters.
pub(crate) fn read_body<T: FromJson>(text: &str) -> Result<T, FieldError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(FieldError::new("", format!("input is larger than {MAX_INPUT_BYTES} bytes")));
    }
    let value = mitgate_core::json::parse(text).map_err(clip)?;
    if let Some(path) = duplicate_path(&value) {
        return Err(FieldError::new(path, "is given more than once"));
    }
    T::from_json(&value, &Path::root(text)).map_err(clip)
}

/// Never echo huge input back (as `parse_json` does): messages are cut at 300 characters.
pub(crate) fn clip(mut e: FieldError) -> FieldError {
    if e.message.chars().count() > 300 {
        let mut s: String = e.message.chars().take(300).collect();
        s.push('…');
        e.message = s;
    }
    e
}

/// `null`: what a Durable Object answers for an operation without a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Null;

impl FromJson for Null {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        match value.kind {
            Kind::Null => Ok(Null),
            _ => Err(path.invalid_type(value, "unit")),
        }
    }
}

/// A header as stored: `[name, value]`.
pub(crate) fn string_pair(value: &Value<'_>, path: &Path<'_>) -> Result<(String, String), FieldError> {
    let items = value.as_array(path, "a tuple of size 2")?;
    match items {
        [name, v] => Ok((String::from_json(name, &path.index(0))?, String::from_json(v, &path.index(1))?)),
        _ => {
            Err(path
                .error(value.at, format_args!("invalid length {}, expected a tuple of size 2", items.len())))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::cast_possible_truncation,
        reason = "the generated digits are below 10, so they fit a u8"
    )]
    use super::*;

    fn dup(text: &str) -> Option<String> {
        duplicate_path(&mitgate_core::json::parse(text).unwrap())
    }

    /// A wide, deep document is walked without rendering a path per element: only the one reported.
    #[test]
    fn walks_render_only_the_path_they_report() {
        let long_key = "k".repeat(2000);
        let items = vec![r#"{"a": {"b": [1, 2, {"c": true}]}}"#; 5000].join(",");
        let clean = format!(r#"{{"{long_key}": [{items}]}}"#);
        let dirty = format!(r#"{{"{long_key}": [{items}, {{"z": 1, "z": 2}}]}}"#);
        RENDERED.with(|n| n.set(0));
        assert_eq!(dup(&clean), None);
        assert_eq!(RENDERED.with(std::cell::Cell::get), 0, "nothing found, nothing rendered");
        let found = dup(&dirty).unwrap();
        assert!(found.ends_with("[5000].z"), "{}", &found[found.len().saturating_sub(20)..]);
        assert_eq!(RENDERED.with(std::cell::Cell::get), 1);
    }

    #[test]
    fn finds_duplicate_keys_by_path() {
        assert_eq!(dup(r#"{"a": 1, "b": {"c": 1, "c": 2}}"#).as_deref(), Some("b.c"));
        assert_eq!(dup(r#"{"a": 1, "a": 1}"#).as_deref(), Some("a"));
        assert_eq!(dup(r#"{"x": [{"k": 1}, {"k": 1, "k": 2}]}"#).as_deref(), Some("x[1].k"));
        assert_eq!(dup(r#"[{"k": 1, "\u006b": 2}]"#).as_deref(), Some("[0].k"));
        assert_eq!(dup(r#"{"a": 1, "b": {"a": 2}}"#), None);
    }

    /// The same `serde_json::Value` as `serde_json::from_str` gives (sorted keys, last duplicate wins,
    /// numbers as serde_json reads them).
    #[test]
    fn converts_as_serde_json_reads() {
        for text in [
            r#"{"b": [1, -2, 2.50, 1e2, -0, 18446744073709551616, -9223372036854775808, 0.1], "a": null}"#,
            r#"{"k": 1, "k": "last", "s": "\u00e9\n/", "t": true}"#,
            r#"[1.0E+2, -1.5e-7, 123456789012345678901234567890]"#,
            r#"[18446744073709551615, 18446744073709551616, 184467440737095516150, 184467440737095516159.5]"#,
            r#"[-9223372036854775807, -9223372036854775809, -18446744073709551615, -18446744073709551616]"#,
            r#"[0.30000000000000004, 29.90, 1e-400, -1e-400, 0e999999999999, -0.0, 1e308, 1.7976931348623157e308]"#,
            r#"[4.111111111111111e15, 1e22, 1e23, 123.456e-5, 1E-2147483648, 1e-2147483649, 5e-324, 2.5e-324]"#,
            r#"[1844674407370955161.5, 18446744073709551615.99, 0.000000000000000000000000000001]"#,
        ] {
            let ours = serde_value(text).unwrap();
            let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(ours.to_string(), theirs.to_string(), "{text}");
        }
        for out_of_range in ["1e400", "1e309", "1.8e308", "-1e400", "1e2147483648", "17976931348623159e292"] {
            let text = format!(r#"{{"a": {out_of_range}}}"#);
            assert_eq!(serde_value(&text), None, "{text}");
            assert!(serde_json::from_str::<serde_json::Value>(&text).is_err(), "{text}");
        }
        assert_eq!(serde_value("{not json"), None);
    }

    /// Numbers of every shape, against serde_json itself.
    #[test]
    fn numbers_read_as_serde_json_reads_them() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for _ in 0..20_000 {
            let mut t = String::new();
            if next(2) == 0 {
                t.push('-');
            }
            let int_len = 1 + next(25);
            for i in 0..int_len {
                let d = if i == 0 && int_len > 1 { 1 + next(9) } else { next(10) };
                t.push(char::from(b'0' + d as u8));
            }
            if next(2) == 0 {
                t.push('.');
                for _ in 0..1 + next(25) {
                    t.push(char::from(b'0' + next(10) as u8));
                }
            }
            if next(3) == 0 {
                t.push(if next(2) == 0 { 'e' } else { 'E' });
                match next(3) {
                    0 => t.push('-'),
                    1 => t.push('+'),
                    _ => {}
                }
                let range = if next(10) == 0 { 5000 } else { 400 };
                t.push_str(&next(range).to_string());
            }
            let theirs = serde_json::from_str::<serde_json::Value>(&t).ok().map(|v| v.to_string());
            let ours = number(&t).map(|n| n.to_string());
            assert_eq!(ours, theirs, "{t}");
        }
    }

    #[test]
    fn looks_up_like_serde_json() {
        let v =
            mitgate_core::json::parse(r#"{"content": {"reference_id": "a", "reference_id": "b"}}"#).unwrap();
        assert_eq!(member_at(&v, &["content", "reference_id"]).and_then(text), Some("b"));
        assert_eq!(member_at(&v, &["content", "nope"]), None);
    }

    #[test]
    fn reads_bodies_refusing_duplicates() {
        let e = read_body::<u32>(r#"{"a": 1, "a": 2}"#).unwrap_err();
        assert_eq!((e.path.as_str(), e.message.as_str()), ("a", "is given more than once"));
        assert!(read_body::<u32>("{").unwrap_err().message.starts_with("EOF"));
        assert_eq!(read_body::<u32>("7").unwrap(), 7);
    }
}
