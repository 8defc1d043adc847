//! Differential property test of `mitgate_json::parse` against serde_json, the parser it replaced:
//! for any text (valid JSON documents, and the same documents with bytes inserted, deleted or replaced),
//! both accept or both refuse, and what they accept is the same value.
//!
//! The one intended difference: serde_json refuses numbers beyond f64's range (`1e400`), while mitgate keeps
//! every number's text and lets the reader decide (amounts and decimals never go through a float).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a test crate of its own (clippy.toml covers #[test] functions only): its helpers fail the test loudly"
)]

use mitgate_json::{parse, Kind, Value};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

/// A strategy for JSON values with awkward strings (escapes, non-ASCII, astral plane) and numbers.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        (-1.0e12f64..1.0e12).prop_map(serde_json::Value::from),
        "[a-z\"\\\\/\u{0}-\u{1f}é😀 ]{0,8}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::vec(("[a-zA-Z\"\\\\é]{0,6}", inner), 0..6)
                .prop_map(|entries| serde_json::Value::Object(entries.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, u8),
    Delete(usize),
    Replace(usize, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    let byte = prop::sample::select(b"{}[]\":,\\-+.eE0123456789 \ntrfnul\x01".to_vec());
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), byte).prop_map(|(i, b)| Edit::Replace(i, b)),
    ]
}

/// Applies byte edits at char boundaries, so the text stays valid UTF-8 (both parsers take `&str`).
fn mutate(text: &str, edits: &[Edit]) -> String {
    let mut s = text.to_string();
    for e in edits {
        let boundaries: Vec<usize> = (0..=s.len()).filter(|i| s.is_char_boundary(*i)).collect();
        let at = |i: usize| boundaries[i % boundaries.len()];
        match *e {
            Edit::Insert(i, b) => s.insert(at(i), char::from(b)),
            Edit::Delete(i) | Edit::Replace(i, _) if s.is_empty() => {
                let _ = i;
            }
            Edit::Delete(i) => {
                let start = at(i).min(s.len() - 1);
                let start = (0..=start).rev().find(|j| s.is_char_boundary(*j)).unwrap();
                s.remove(start);
            }
            Edit::Replace(i, b) => {
                let start = at(i).min(s.len() - 1);
                let start = (0..=start).rev().find(|j| s.is_char_boundary(*j)).unwrap();
                s.remove(start);
                s.insert(start, char::from(b));
            }
        }
    }
    s
}

/// mitgate's tree as a serde_json value (numbers through serde_json's own number parser; later
/// duplicates win, as in serde_json's map).
fn to_serde(v: &Value<'_>) -> serde_json::Value {
    match &v.kind {
        Kind::Null => serde_json::Value::Null,
        Kind::Bool(b) => serde_json::Value::Bool(*b),
        Kind::Number(n) => serde_json::from_str(n).unwrap(),
        Kind::String(s) => serde_json::Value::String(s.to_string()),
        Kind::Array(items) => serde_json::Value::Array(items.iter().map(to_serde).collect()),
        Kind::Object(entries) => {
            serde_json::Value::Object(entries.iter().map(|(k, v)| (k.to_string(), to_serde(v))).collect())
        }
    }
}

fn agrees(text: &str) -> Result<(), TestCaseError> {
    let ours = parse(text);
    let theirs = serde_json::from_str::<serde_json::Value>(text);
    match (ours, theirs) {
        (Ok(a), Ok(b)) => prop_assert_eq!(to_serde(&a), b, "{:?}", text),
        (Err(_), Err(_)) => {}
        (Ok(_), Err(e)) => {
            prop_assert!(e.to_string().contains("number out of range"), "only mitgate accepts {text:?}: {e}")
        }
        (Err(e), Ok(_)) => prop_assert!(false, "only serde_json accepts {text:?}: {e}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/json_parser.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn valid_documents_read_the_same(v in json_value(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&v).unwrap() } else { v.to_string() };
        agrees(&text)?;
    }

    #[test]
    fn broken_documents_are_refused_alike(v in json_value(), edits in prop::collection::vec(edit(), 1..4)) {
        agrees(&mutate(&v.to_string(), &edits))?;
    }
}

#[test]
fn edge_cases_agree() {
    for text in [
        "0",
        "-0",
        "1e400",
        "-1e-400",
        "1E+2",
        "[]",
        "{}",
        " \n\t\r1 ",
        "\"\\u0000\"",
        "\"\\ud83d\\ude00\"",
        "\"\\ud83d\"",
        "\"\\ude00\"",
        "\"\\ud83dx\"",
        "[1,]",
        "{\"a\":1,}",
        "01",
        "-",
        "1.",
        ".5",
        "+1",
        "tru",
        "nul",
        "{\"a\" 1}",
        "[1 2]",
        "\"a",
        "\"\u{7f}\"",
        "{\"a\":{\"a\":1},\"a\":2}",
    ] {
        agrees(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    }
    for depth in [126, 127, 128, 129, 200] {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let deep = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            agrees(&deep).unwrap_or_else(|e| panic!("depth {depth} {open}: {e}"));
        }
    }
}
