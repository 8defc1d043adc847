//! Differential property test of the straight reader (feature `speed`: `read_straight`, what `from_str`
//! tries first) against the tree path (`parse`, then `from_json`), on documents shaped like a derived
//! type's input with every kind of trouble mixed in: wrong types, `null`s, unknown keys (refused where
//! the type denies them, skipped where not), known keys given twice, escaped keys, keys of maps given
//! twice, nesting up to and past the depth limit, and byte edits that break the syntax. Wherever the
//! straight reader reads a value, the tree path reads the same one; wherever the tree path reads one,
//! the straight reader reads it too; and `from_str` answers what the tree path answers, errors included.

#![cfg(feature = "speed")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a test crate of its own (clippy.toml covers #[test] functions only): its helpers fail the test loudly"
)]

use std::collections::BTreeMap;

use mitgate_json::{from_str, parse, read_straight, FieldError, FromJson, Path, Value, MAX_DEPTH};
use proptest::prelude::*;

fn yes() -> bool {
    true
}

#[derive(Debug, PartialEq, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Outer {
    id: String,
    count: Option<u32>,
    #[serde(default)]
    items: Vec<Inner>,
    #[serde(default = "yes")]
    on: bool,
    #[serde(default)]
    map: BTreeMap<String, i64>,
    color: Option<Color>,
    #[serde(skip_deserializing)]
    skipped: u8,
    raw: Option<Raw>,
    loose: Option<Loose>,
}

#[derive(Debug, PartialEq, FromJson)]
#[serde(deny_unknown_fields)]
struct Inner {
    n: i64,
    s: Option<String>,
}

/// Unknown keys are skipped (their values must still be valid JSON).
#[derive(Debug, PartialEq, FromJson)]
struct Loose {
    a: Option<u8>,
}

#[derive(Debug, PartialEq, FromJson)]
#[serde(rename_all = "snake_case")]
enum Color {
    Red,
    DarkBlue,
}

/// A hand-written reader without a straight one: read through the tree of its value (the default).
#[derive(Debug, PartialEq)]
struct Raw(String);

impl FromJson for Raw {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        if value.is_null() {
            return Err(path.invalid_type(value, "anything but null"));
        }
        Ok(Raw(value.raw(path.document()).to_string()))
    }
}

fn through_tree<T: FromJson>(text: &str) -> Result<T, FieldError> {
    let value = parse(text)?;
    T::from_json(&value, &Path::root(text))
}

fn agrees<T: FromJson + PartialEq + std::fmt::Debug>(text: &str) -> Result<bool, TestCaseError> {
    let straight = read_straight::<T>(text);
    let tree = through_tree::<T>(text);
    match (&straight, &tree) {
        (Some(a), Ok(b)) => prop_assert_eq!(a, b, "{}", text),
        (None, Err(_)) => {}
        (Some(a), Err(e)) => {
            prop_assert!(false, "only the straight reader reads {text:?}: {a:?} (tree: {e})")
        }
        (None, Ok(b)) => prop_assert!(false, "only the tree path reads {text:?}: {b:?}"),
    }
    prop_assert_eq!(from_str::<T>(text), tree);
    Ok(straight.is_some())
}

/// Arbitrary JSON text (strings with escapes, numbers of every form, nesting).
fn any_json() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        prop::sample::select(vec!["0", "-0", "7", "3.0", "-1", "1.5", "1e3", "4294967296", "255", "256"])
            .prop_map(str::to_string),
        "[a-z\"\\\\/\u{0}-\u{1f}é😀 ]{0,8}".prop_map(|s| serde_json::Value::String(s).to_string()),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec((key(), inner), 0..4).prop_map(|members| object(&members)),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "id", "count", "items", "on", "map", "color", "skipped", "raw", "loose", "a", "n", "s", "x",
        "i\\u0064", "\\u006e", "",
    ])
    .prop_map(str::to_string)
}

fn object(members: &[(String, String)]) -> String {
    let inner: Vec<String> = members.iter().map(|(k, v)| format!("\"{k}\" : {v}")).collect();
    format!("{{ {} }}", inner.join(" ,\n"))
}

fn inner_value() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            (
                Just("n".to_string()),
                prop::sample::select(vec!["1", "-5", "2.0", "\"1\"", "null"]).prop_map(str::to_string)
            ),
            (Just("s".to_string()), prop_oneof![Just("null".to_string()), any_json()]),
            (key(), any_json()),
        ],
        0..4,
    )
    .prop_map(|m| object(&m))
}

/// A value for each of `Outer`'s keys: mostly what fits, sometimes anything.
fn member() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        4 => "[a-z0-9_]{0,6}".prop_map(|s| ("id".to_string(), format!("\"{s}\""))),
        2 => prop::sample::select(vec!["0", "7", "3.0", "-1", "1e3", "\"5\"", "null", "4294967296"])
            .prop_map(|v| ("count".to_string(), v.to_string())),
        2 => prop::collection::vec(inner_value(), 0..3).prop_map(|items| ("items".to_string(), format!("[{}]", items.join(",")))),
        1 => prop::sample::select(vec!["true", "false", "null", "1"]).prop_map(|v| ("on".to_string(), v.to_string())),
        2 => prop::collection::vec(("[ab]", prop::sample::select(vec!["1", "-2", "null", "1.5"])), 0..3)
            .prop_map(|m| ("map".to_string(), object(&m.into_iter().map(|(k, v)| (k, v.to_string())).collect::<Vec<_>>()))),
        2 => prop::sample::select(vec!["\"red\"", "\"dark_blue\"", "\"blue\"", "null", "1", "\"r\\u0065d\""])
            .prop_map(|v| ("color".to_string(), v.to_string())),
        2 => any_json().prop_map(|v| ("raw".to_string(), v)),
        2 => prop::collection::vec(prop_oneof![
                prop::sample::select(vec!["1", "300", "null", "\"1\""]).prop_map(|v| ("a".to_string(), v.to_string())),
                (key(), any_json()),
            ], 0..4)
            .prop_map(|m| ("loose".to_string(), object(&m))),
        1 => (key(), any_json()),
    ]
}

/// Byte edits that break (or happen to keep) the syntax.
fn mutate(text: &str, edits: &[(usize, u8)]) -> String {
    let mut s = text.to_string();
    for &(i, b) in edits {
        let boundaries: Vec<usize> = (0..=s.len()).filter(|j| s.is_char_boundary(*j)).collect();
        let at = boundaries[i % boundaries.len()];
        if b == 0 && at < s.len() {
            s.remove(at);
        } else if b != 0 {
            s.insert(at, char::from(b));
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn both_paths_read_the_same(members in prop::collection::vec(member(), 0..8)) {
        agrees::<Outer>(&object(&members))?;
    }

    #[test]
    fn both_paths_refuse_alike(
        members in prop::collection::vec(member(), 1..6),
        edits in prop::collection::vec((any::<usize>(), prop::sample::select(b"\0{}[]\":,\\ -1enul".to_vec())), 1..3),
    ) {
        agrees::<Outer>(&mutate(&object(&members), &edits))?;
    }

    #[test]
    fn any_json_reads_alike(text in any_json()) {
        agrees::<Outer>(&text)?;
        agrees::<Option<Vec<Inner>>>(&text)?;
        agrees::<BTreeMap<String, Option<Color>>>(&text)?;
        agrees::<Loose>(&text)?;
    }
}

#[test]
fn typical_documents_are_read_straight() {
    for text in [
        r#"{"id": "a"}"#,
        r#" {"id":"a\n\u00e9","count":3.0,"items":[{"n":1,"s":null},{"n":-2,"s":"x"}],"on":false,
            "map":{"b":1,"a":-2},"color":"dark_blue","raw":{"k":[1,2.50,"x"]},"loose":{"q":[{}],"a":null}} "#,
        r#"{"i\u0064": "escaped key", "color": null, "count": null, "raw": [1e3]}"#,
    ] {
        assert!(agrees::<Outer>(text).unwrap(), "not read straight: {text}");
    }
    for text in [
        r#"{"id": "a", "id": "b"}"#,
        r#"{"id": "a", "i\u0064": "b"}"#,
        r#"{"id": "a", "x": 1}"#,
        r#"{"count": 1}"#,
        r#"{"id": "a", "map": {"a": 1, "a": 1}}"#,
        r#"{"id": "a", "loose": {"z": [1,]}}"#,
        r#"{"id": "a"} x"#,
        r#"{"id": "a", "loose": {"a": 256}}"#,
    ] {
        assert!(!agrees::<Outer>(text).unwrap(), "read straight: {text}");
    }
}

/// The depth limit holds on the straight path too: in a skipped member, in a value read through the
/// tree, and in typed arrays.
#[test]
fn the_depth_limit_holds() {
    for depth in MAX_DEPTH - 3..=MAX_DEPTH + 2 {
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        for text in [
            format!(r#"{{"id": "a", "loose": {{"z": {nested}}}}}"#),
            format!(r#"{{"id": "a", "raw": {nested}}}"#),
            nested.clone(),
        ] {
            let read = agrees::<Outer>(&text).unwrap() | agrees::<Raw>(&text).unwrap();
            assert_eq!(read, parse(&text).is_ok(), "{depth}: {text}");
        }
    }
}
