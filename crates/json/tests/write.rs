//! `mitgate_json::to_string` (feature `speed`) writes what `serde_json::to_string` writes, byte for byte.

#![cfg(feature = "speed")]
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a test crate of its own: its helpers fail the test loudly"
)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde::Serialize;

fn same<T: Serialize + ?Sized>(value: &T) -> Result<(), TestCaseError> {
    prop_assert_eq!(mitgate_json::to_string(value).unwrap(), serde_json::to_string(value).unwrap());
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    name: String,
    count: u64,
    delta: i64,
    small: u8,
    on: bool,
    missing: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<u32>,
    tags: Vec<String>,
    kind: Kind,
    nested: Vec<Tagged>,
    map: BTreeMap<String, i32>,
    unit: (),
    pair: (u16, String),
    empty: Empty,
    big: u128,
    negative: i128,
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Plain,
    Wrapped(String),
    Pair(u8, u8),
    Fields { a: u32 },
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Tagged {
    Success(Inner),
    Failure { errors: Vec<String> },
    Nothing,
}

#[derive(Serialize)]
struct Inner {
    value: String,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
#[serde(untagged)]
enum Untagged {
    Text(String),
    Record(Inner),
    None {},
}

proptest! {
    /// Any text, with quotes, backslashes, every control character and non-ASCII characters, escaped alike.
    #[test]
    fn strings(s in any::<String>(), controls in proptest::collection::vec(0u8..0x20, 0..4)) {
        same(&s)?;
        let mixed: String = controls.iter().map(|c| char::from(*c)).chain(s.chars()).chain("\"\\/\u{7f}é".chars()).collect();
        same(&mixed)?;
        same(&mixed.chars().next())?;
    }

    #[test]
    fn structures(name in ".{0,24}", count: u64, delta: i64, small: u8, on: bool, big: u128, negative: i128, tags in proptest::collection::vec(".{0,12}", 0..4), key in ".{0,8}") {
        let record = Record {
            name: name.clone(), count, delta, small, on, missing: None, skipped: count.checked_rem(2).filter(|r| *r == 0).map(|_| 7), tags,
            kind: match small % 4 { 0 => Kind::Plain, 1 => Kind::Wrapped(name.clone()), 2 => Kind::Pair(small, 1), _ => Kind::Fields { a: 3 } },
            nested: vec![Tagged::Success(Inner { value: name.clone() }), Tagged::Failure { errors: vec![name.clone()] }, Tagged::Nothing],
            map: BTreeMap::from([(key, -1), ("b".to_string(), 2)]), unit: (), pair: (9, name.clone()), empty: Empty {}, big, negative,
        };
        same(&record)?;
        same(&vec![Untagged::Text(name.clone()), Untagged::Record(Inner { value: name }), Untagged::None {}])?;
        same(&serde_json::json!({"a": [1, -2, null, true, {"b": "c"}], "d": {}, "e": []}))?;
        same(b"bytes".as_slice())?;
    }
}

/// Floats are left to serde_json (its shortest-form formatting), so output never differs.
#[test]
fn floats_are_refused() {
    assert_eq!(mitgate_json::to_string(&1.5f64), Err(mitgate_json::Unsupported));
    assert_eq!(mitgate_json::to_string(&BTreeMap::from([(1u8, 2u8)])), Err(mitgate_json::Unsupported));
}
