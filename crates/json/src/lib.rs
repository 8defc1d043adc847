//! # mitgate-json
//!
//! JSON input without serde's deserializers: a strict parser to a borrowed tree, and [`FromJson`]
//! readers that name the failing field (`history.attempts[2].at`).
//!
//! Why not `#[derive(Deserialize)]`: every derived visitor is compiled once per deserializer and again for
//! the path tracker, and that generated code was over half of the WebAssembly module (PERFORMANCE.md,
//! "Size"). Here each input type has one small reader written against one tree type; serde stays for
//! output (`Serialize`), and `#[derive(FromJson)]` generates the reader from the same `#[serde(...)]`
//! attributes (names, renames, defaults, `deny_unknown_fields`), so each JSON name is written once.
//!
//! ```
//! use mitgate_json::FromJson;
//!
//! #[derive(Debug, FromJson)]
//! #[serde(rename_all = "camelCase", deny_unknown_fields)]
//! struct Schedule {
//!     initial_date: String,       // required
//!     final_date: Option<String>, // missing or null: None
//!     #[serde(default)]
//!     count: u32,                 // missing: 0
//! }
//! let s: Schedule = mitgate_json::from_str(r#"{"initialDate": "a", "count": 2}"#).unwrap();
//! assert_eq!((s.initial_date.as_str(), s.final_date, s.count), ("a", None, 2));
//! let e = mitgate_json::from_str::<Schedule>(r#"{"initialDate": "a", "x": 1}"#).unwrap_err();
//! assert_eq!(e.to_string(), "x: unknown field `x`, expected one of `initialDate`, `finalDate`, `count` at line 1 column 27");
//! ```
//!
//! The messages follow serde's wording (`missing field `id``, `unknown field `x`, expected one of …`,
//! `invalid type: string "x", expected a boolean`) and end with the value's position,
//! ` at line L column C`.

mod error;
mod parse;
#[cfg(feature = "raw")]
mod raw;
mod read;
#[cfg(feature = "speed")]
mod stream;
#[cfg(feature = "speed")]
mod write;

use std::borrow::Cow;

pub use error::{truncate_for_message, FieldError};
/// Derives [`FromJson`] from the serde attributes a type already carries (see the `mitgate-json-derive`
/// crate for what it reads).
pub use mitgate_json_derive::FromJson;
pub use parse::{parse, MAX_DEPTH};
#[cfg(feature = "raw")]
pub use raw::RawJson;
#[cfg(feature = "speed")]
pub use read::{read_straight, read_through_tree};
pub use read::{FromJson, Object};
#[cfg(feature = "speed")]
pub use stream::Reader;
#[cfg(feature = "speed")]
pub use write::{to_string, Unsupported};

/// What `#[derive(FromJson)]` wraps its [`FromJson::read`] in: kept with the feature `speed`, dropped
/// without it (so the browser file carries no second reader).
#[cfg(feature = "speed")]
#[doc(hidden)]
#[macro_export]
macro_rules! __with_speed {
    ($($item:tt)*) => { $($item)* };
}

/// What `#[derive(FromJson)]` wraps its [`FromJson::read`] in: kept with the feature `speed`, dropped
/// without it (so the browser file carries no second reader).
#[cfg(not(feature = "speed"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __with_speed {
    ($($item:tt)*) => {};
}

// The derive names this crate `::mitgate_json`, also in this crate's own tests.
extern crate self as mitgate_json;

/// A parsed JSON value and where it starts in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Value<'a> {
    /// What the value is.
    pub kind: Kind<'a>,
    /// Byte offset of the value's first character in the document.
    pub at: usize,
}

/// The kinds of JSON value. Numbers keep their exact text: money and decimals are read from it, never
/// through a float.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number's text as written (`2500`, `25.50`, `1e3`), valid by the JSON grammar.
    Number(&'a str),
    /// A string, borrowed from the document unless it had escapes.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Value<'a>>),
    /// An object's entries in document order (duplicates are kept; readers refuse them).
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

/// Where a value sits in the document: a chain of keys and indexes up to the root, rendered only when an
/// error is reported. It also carries the document text, for the error's line and column.
#[derive(Debug, Clone, Copy)]
pub struct Path<'p> {
    parent: Option<&'p Path<'p>>,
    segment: Segment<'p>,
    text: &'p str,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Segment<'p> {
    Root,
    Key(&'p str),
    Index(usize),
}

impl<'p> Path<'p> {
    /// The document root (`""`) of `text`.
    pub fn root(text: &'p str) -> Self {
        Path { parent: None, segment: Segment::Root, text }
    }

    /// The path of a member (`parent.key`).
    pub fn key(&'p self, key: &'p str) -> Path<'p> {
        Path { parent: Some(self), segment: Segment::Key(key), text: self.text }
    }

    /// The path of an array item (`parent[index]`).
    pub fn index(&'p self, index: usize) -> Path<'p> {
        Path { parent: Some(self), segment: Segment::Index(index), text: self.text }
    }

    /// The whole document this path is in.
    pub fn document(&self) -> &'p str {
        self.text
    }

    /// The dotted rendering: `request.amount`, `history.attempts[2].at`, `""` for the root.
    pub fn render(&self) -> String {
        let mut segments = Vec::new();
        let mut at = Some(self);
        while let Some(p) = at {
            segments.push(p.segment);
            at = p.parent;
        }
        segments.reverse();
        render_segments(&segments)
    }

    /// An error at this path about the value at byte offset `at`: `message` then the position.
    pub fn error(&self, at: usize, message: impl std::fmt::Display) -> FieldError {
        FieldError::positioned(self.render(), message, &position(self.text, at))
    }

    /// serde's wording for a value of the wrong kind: `invalid type: string "x", expected a boolean`.
    pub fn invalid_type(&self, value: &Value<'_>, expected: &str) -> FieldError {
        self.error(value.at, format!("invalid type: {}, expected {expected}", value.describe()))
    }
}

impl<'a> Value<'a> {
    /// How serde names an unexpected value: ``string "x"``, ``integer `5` ``, ``floating point `2.5` ``,
    /// ``boolean `true` ``, `null`, `a sequence`, `a map`.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Null => "null".to_string(),
            Kind::Bool(b) => format!("boolean `{b}`"),
            Kind::Number(n) if is_integer(n) => {
                format!("integer `{}`", crate::truncate_for_message(n))
            }
            Kind::Number(n) => format!("floating point `{}`", crate::truncate_for_message(n)),
            Kind::String(s) => format!("string {:?}", crate::truncate_for_message(s)),
            Kind::Array(_) => "a sequence".to_string(),
            Kind::Object(_) => "a map".to_string(),
        }
    }

    /// The string's text, or an invalid-type error at `path`.
    pub fn as_str(&self, path: &Path<'_>, expected: &str) -> Result<&str, FieldError> {
        match &self.kind {
            Kind::String(s) => Ok(s),
            _ => Err(path.invalid_type(self, expected)),
        }
    }

    /// The number's exact text, or an invalid-type error at `path`.
    pub fn as_number(&self, path: &Path<'_>, expected: &str) -> Result<&str, FieldError> {
        match &self.kind {
            Kind::Number(n) => Ok(n),
            _ => Err(path.invalid_type(self, expected)),
        }
    }

    /// The array's items, or an invalid-type error at `path`.
    pub fn as_array(&self, path: &Path<'_>, expected: &str) -> Result<&[Value<'_>], FieldError> {
        match &self.kind {
            Kind::Array(items) => Ok(items),
            _ => Err(path.invalid_type(self, expected)),
        }
    }

    /// Reads an object with these `fields`: unknown keys are an error when `deny_unknown`, ignored
    /// otherwise; a known key given twice is always an error. Checked in document order.
    pub fn object<'v>(
        &'v self,
        path: &'v Path<'v>,
        fields: &'static [&'static str],
        deny_unknown: bool,
    ) -> Result<Object<'v>, FieldError> {
        Object::new(self, path, fields, deny_unknown)
    }

    /// The value's JSON text exactly as written in `document`, the text it was parsed from.
    pub fn raw<'t>(&self, document: &'t str) -> &'t str {
        parse::value_end(document, self.at).and_then(|end| document.get(self.at..end)).unwrap_or_default()
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    /// The member `key` when this is an object. INVARIANT: of a key given twice the first counts, here and
    /// in [`Object::get`] (the one duplicate-key rule: typed readers refuse a known key given twice, and
    /// the Worker refuses request bodies holding any; a lookup in any other body sees the first).
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        match &self.kind {
            Kind::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value at a chain of object keys (`["error", "code"]`), each looked up with [`Value::get`].
    pub fn get_path(&self, keys: &[&str]) -> Option<&Value<'a>> {
        keys.iter().try_fold(self, |v, k| v.get(k))
    }

    /// The text of a string value.
    pub fn text(&self) -> Option<&str> {
        match &self.kind {
            Kind::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as compact JSON text with each object's members sorted by key (members sharing a key
    /// keep their document order), numbers exactly as written (`1.0` stays `1.0`, `1e2` stays `1e2`),
    /// and strings escaped as serde_json escapes them: equal for texts that differ only in spacing, key
    /// order or string escapes. No float is involved, so no number is rounded or out of range.
    pub fn normalized(&self) -> String {
        let mut out = String::new();
        normalize(self, &mut out);
        out
    }
}

fn normalize(value: &Value<'_>, out: &mut String) {
    match &value.kind {
        Kind::Null => out.push_str("null"),
        Kind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Kind::Number(n) => out.push_str(n),
        Kind::String(s) => quote(s, out),
        Kind::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                normalize(item, out);
            }
            out.push(']');
        }
        Kind::Object(entries) => {
            let mut sorted: Vec<&(Cow<'_, str>, Value<'_>)> = entries.iter().collect();
            // A stable sort: members sharing a key keep their order.
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (key, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                quote(key, out);
                out.push(':');
                normalize(v, out);
            }
            out.push('}');
        }
    }
}

/// `text` as a JSON string, escaped as serde_json escapes: `"` and `\\`, the short escapes `\b \f \n \r
/// \t`, other control characters as `\u00XX` (lowercase hex), everything else as is. The one escaping
/// routine: [`Value::normalized`], `RawJson::string` and the writer `to_string` (feature `speed`) all use it.
fn quote(text: &str, out: &mut String) {
    out.push('"');
    // Character by character: the smallest code, for the browser file's size budget.
    #[cfg(not(feature = "speed"))]
    for c in text.chars() {
        match u8::try_from(c) {
            Ok(b) if needs_escape(b) => escape(b, out),
            _ => out.push(c),
        }
    }
    // The answers' strings (the Node build): the runs without a byte to escape found a word at a time and
    // copied whole.
    #[cfg(feature = "speed")]
    {
        out.reserve(text.len().saturating_add(1));
        let mut rest = text;
        loop {
            let i = plain_prefix(rest.as_bytes());
            let Some(&b) = rest.as_bytes().get(i) else { break };
            // INVARIANT: the byte at `i` is ASCII, so `i` and `i + 1` are char boundaries.
            out.push_str(rest.get(..i).unwrap_or_default());
            escape(b, out);
            rest = rest.get(i + 1..).unwrap_or_default();
        }
        out.push_str(rest);
    }
    out.push('"');
}

/// The escape of a byte that [`needs_escape`], as serde_json writes it.
fn escape(b: u8, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => out.push_str("\\\""),
        b'\\' => out.push_str("\\\\"),
        b'\n' => out.push_str("\\n"),
        b'\r' => out.push_str("\\r"),
        b'\t' => out.push_str("\\t"),
        0x08 => out.push_str("\\b"),
        0x0c => out.push_str("\\f"),
        _ => {
            out.push_str("\\u00");
            for nibble in [b >> 4, b & 0xf] {
                out.push(char::from(HEX.get(usize::from(nibble)).copied().unwrap_or(b'0')));
            }
        }
    }
}

/// Whether a byte must be escaped in a JSON string (as serde_json escapes: `"`, `\` and controls).
#[cfg_attr(
    feature = "speed",
    allow(dead_code, reason = "the speed build scans with plain_prefix; its tests use this")
)]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The length of the longest prefix of `s` without a byte to escape: eight bytes per step (a word's
/// bytes tested at once for `< 0x20`, `"` and `\`), the first such byte of a word found from the lowest
/// flag; the last few bytes as one more word, padded with `a`s. With the feature `speed` only (the Node
/// build), for the answers' strings and the parser's.
#[cfg(feature = "speed")]
fn plain_prefix(s: &[u8]) -> usize {
    let mut done = 0;
    let mut chunks = s.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if let Some(i) = first_to_escape(word) {
            return done + i;
        }
        done += 8;
    }
    let rest = chunks.remainder();
    let mut word = [b'a'; 8];
    for (w, b) in word.iter_mut().zip(rest) {
        *w = *b;
    }
    // The padding never needs escaping, so a flagged byte is one of `rest`'s.
    done + first_to_escape(word).unwrap_or(rest.len())
}

/// The index of the first byte of `word` below 0x20, or equal to `"` (0x22) or `\` (0x5c).
#[cfg(feature = "speed")]
fn first_to_escape(word: [u8; 8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let x = u64::from_le_bytes(word);
    // Each test can also flag a byte after a flagged one (a borrow runs on), never one before it: the
    // lowest flag is the first such byte (little-endian: the lowest byte is the first).
    let below = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
    let flags = below | has_zero(x ^ (ONES * 0x22)) | has_zero(x ^ (ONES * 0x5c));
    (flags != 0).then(|| usize::try_from(flags.trailing_zeros() / 8).unwrap_or(0))
}

/// Renders a path from the root down: keys joined by `.` (each cut at 40 characters), items as `[i]`.
pub(crate) fn render_segments(segments: &[Segment<'_>]) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Root => {}
            Segment::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&crate::truncate_for_message(k));
            }
        }
    }
    out
}

/// Whether a JSON number's text is an integer (no fraction, no exponent).
pub fn is_integer(number: &str) -> bool {
    !number.bytes().any(|b| matches!(b, b'.' | b'e' | b'E'))
}

/// The integer a JSON number's text denotes when its value is whole and it has no exponent: `3488`
/// and `3488.0` both give `3488` (JSON, like JSON Schema's `integer`, does not tell them apart by value).
/// `None` for a fraction (`1.5`) or an exponent (`1e3`), which stay errors for integer fields.
pub fn integral_digits(number: &str) -> Option<&str> {
    if number.bytes().any(|b| matches!(b, b'e' | b'E')) {
        return None;
    }
    match number.split_once('.') {
        None => Some(number),
        Some((int, frac)) if !frac.is_empty() && frac.bytes().all(|b| b == b'0') => Some(int),
        Some(_) => None,
    }
}

/// The digits of a JSON number's exact value when that value is a whole number, its exponent applied
/// without a float: `4.111111111111111e15` gives `4111111111111111`, `120e-1` gives `12`, `-7` gives `7`
/// (the sign is dropped). `None` for a value with a fraction, or one of more than `max_digits` digits.
pub fn whole_digits(number: &str, max_digits: usize) -> Option<String> {
    let unsigned = number.strip_prefix('-').unwrap_or(number);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (unsigned.get(..i)?, unsigned.get(i + 1..)?.parse::<i64>().ok()?),
        None => (unsigned, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let frac = frac.trim_end_matches('0');
    // The value is `digits` times ten to the power `scale`.
    let digits = format!("{int}{frac}");
    let scale = exponent.checked_sub(i64::try_from(frac.len()).ok()?)?;
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        return Some("0".to_string());
    }
    if scale >= 0 {
        let zeros = usize::try_from(scale).ok()?;
        if digits.len().checked_add(zeros)? > max_digits {
            return None;
        }
        Some(format!("{digits}{}", "0".repeat(zeros)))
    } else {
        let cut = usize::try_from(scale.unsigned_abs()).ok()?;
        let keep = digits.len().checked_sub(cut)?;
        let (whole, rest) = digits.split_at(keep);
        (rest.bytes().all(|b| b == b'0') && !whole.is_empty() && whole.len() <= max_digits)
            .then(|| whole.to_string())
    }
}

/// ` at line L column C` for byte offset `at` of `text` (both 1-based; the column counts bytes).
fn position(text: &str, at: usize) -> String {
    let before = text.as_bytes().get(..at).unwrap_or(text.as_bytes());
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
    format!(" at line {line} column {column}")
}

/// Parses `text` and reads a `T` from it. Syntax errors are reported at the root path.
///
/// With the feature `speed`, the text is first read straight into `T` ([`Reader`]); only text that
/// fails there is parsed to a tree and read again, which names the error.
pub fn from_str<T: FromJson>(text: &str) -> Result<T, FieldError> {
    #[cfg(feature = "speed")]
    if let Some(value) = read::read_straight(text) {
        return Ok(value);
    }
    let value = parse(text)?;
    T::from_json(&value, &Path::root(text))
}

#[cfg(all(test, feature = "speed"))]
mod tests {
    use proptest::prelude::*;

    /// Bytes near the ones to escape (and their borrow neighbours), so that words hold several.
    fn tricky() -> impl Strategy<Value = u8> {
        prop_oneof![
            any::<u8>(),
            prop::sample::select(vec![
                0x00, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x5b, 0x5c, 0x5d, b'a', 0x7f, 0x80, 0xff
            ])
        ]
    }

    proptest! {
        /// The word-at-a-time scan stops where a byte-by-byte scan stops, wherever in a word that is.
        #[test]
        fn plain_prefix_stops_at_the_first_byte_to_escape(bytes in prop::collection::vec(tricky(), 0..80)) {
            let expected = bytes.iter().position(|&b| super::needs_escape(b)).unwrap_or(bytes.len());
            prop_assert_eq!(super::plain_prefix(&bytes), expected);
        }
    }
}
