//! Lookups, the normalized text and whole-number digits: what the Worker reads from bodies without a typed
//! reader, all from the parsed tree and numbers' exact text.

#![allow(
    clippy::unwrap_used,
    reason = "a test crate of its own (clippy.toml covers #[test] functions only): its helpers fail the test loudly"
)]

use mitgate_json::{parse, whole_digits};

proptest::proptest! {
    /// Strings (any text, plus every control character, quotes and backslashes) are written back escaped as
    /// serde_json escapes them: the one escaping routine, in whichever build (with the feature `speed` its scan
    /// goes a word at a time).
    #[test]
    fn normalized_strings_are_escaped_as_serde_json_escapes(s in proptest::prelude::any::<String>(), c in 0u8..0x20) {
        let text = format!("{s}\"\\{}\u{7f}é{s}", char::from(c));
        let json = serde_json::to_string(&text).unwrap();
        proptest::prop_assert_eq!(parse(&json).unwrap().normalized(), json);
    }
}

#[test]
fn lookups_see_the_first_of_a_key_given_twice() {
    let text = r#"{"content": {"reference_id": "a", "reference_id": "b"}, "n": 1}"#;
    let v = parse(text).unwrap();
    assert_eq!(v.get_path(&["content", "reference_id"]).and_then(|v| v.text()), Some("a"));
    assert_eq!(v.get_path(&["content", "nope"]), None);
    assert_eq!(v.get("n").and_then(|v| v.text()), None, "not a string");
    assert_eq!(v.get("n").map(|n| n.raw(text)), Some("1"));
    assert_eq!(parse("[1]").unwrap().get("a"), None);
}

/// Spacing, key order and escapes do not change the normalized text; numbers are kept as written.
#[test]
fn normalized_text_ignores_spacing_order_and_escapes() {
    let a = parse("{ \"b\" : [1, 2.50, 1e2, -0] ,\n \"a\": {\"y\": null, \"x\": \"\\u00e9\\/\\u0001\\n\"} }")
        .unwrap();
    let b = parse(r#"{"a":{"x":"é/\u0001\n","y":null},"b":[1,2.50,1e2,-0]}"#).unwrap();
    assert_eq!(a.normalized(), b.normalized());
    assert_eq!(a.normalized(), r#"{"a":{"x":"é/\u0001\n","y":null},"b":[1,2.50,1e2,-0]}"#);
    // Numbers as written: the same value written differently is another text (a fingerprint tells them apart).
    assert_ne!(parse("[2.5]").unwrap().normalized(), parse("[2.50]").unwrap().normalized());
    // Out of f64's range is no problem: nothing goes through a float.
    assert_eq!(parse("[1e400]").unwrap().normalized(), "[1e400]");
    // Members sharing a key keep their document order, so either order is another text.
    assert_eq!(parse(r#"{"k": 2, "a": 0, "k": 1}"#).unwrap().normalized(), r#"{"a":0,"k":2,"k":1}"#);
    assert_ne!(
        parse(r#"{"k": 1, "k": 2}"#).unwrap().normalized(),
        parse(r#"{"k": 2, "k": 1}"#).unwrap().normalized()
    );
}

/// Strings are escaped as serde_json escapes them, so a document without numbers normalizes to the text
/// serde_json writes for it.
#[test]
fn strings_escape_as_serde_json_does() {
    let text =
        "{\"s\": \"\\\"q\\\" \\\\ \\b\\f\\n\\r\\t \\u001f \\u007f é 😀 </\", \"t\": [true, false, null]}";
    let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(parse(text).unwrap().normalized(), theirs.to_string());
}

#[test]
fn whole_digits_apply_the_exponent_exactly() {
    for (number, expected) in [
        ("4.111111111111111e15", Some("4111111111111111")),
        ("4111111111111111", Some("4111111111111111")),
        ("4111111111111111.000", Some("4111111111111111")),
        ("-42", Some("42")),
        ("120e-1", Some("12")),
        ("1.5E+1", Some("15")),
        ("0.0", Some("0")),
        ("0e99999999999", Some("0")),
        ("1.5", None),
        ("12e-1", None),
        ("1e40", None),
        ("1e99999999999999999999", None),
        ("1e-99999999999999999999", None),
    ] {
        assert_eq!(whole_digits(number, 30).as_deref(), expected, "{number}");
    }
    assert_eq!(whole_digits("1e29", 30).map(|d| d.len()), Some(30));
}

/// A processor's answer quoted in ours: its text as written, numbers and all, never through a float.
#[cfg(feature = "raw")]
#[test]
fn raw_values_serialize_as_written() {
    use mitgate_json::RawJson;
    #[derive(serde::Serialize)]
    struct Quote {
        status: u16,
        body: RawJson,
    }
    let text = " {\"b\": 1e400, \"a\": [0.1, 2.50, 18446744073709551616]} ";
    let body = RawJson::parse(text).unwrap();
    assert_eq!(body.as_str(), "{\"b\": 1e400, \"a\": [0.1, 2.50, 18446744073709551616]}");
    let quoted = serde_json::to_string(&Quote { status: 200, body }).unwrap();
    assert_eq!(quoted, r#"{"status":200,"body":{"b": 1e400, "a": [0.1, 2.50, 18446744073709551616]}}"#);
    assert_eq!(RawJson::parse("{not json"), None);
    let inner: RawJson = mitgate_json::from_str(r#"{"x": {"y": 1.0}}"#).unwrap();
    assert_eq!(inner.as_str(), r#"{"x": {"y": 1.0}}"#);
    // A string written as JSON, and read back with its escapes decoded.
    let s = RawJson::string("GESPAY \"1\"\n");
    assert_eq!(s.as_str(), r#""GESPAY \"1\"\n""#);
    assert_eq!(s.text().as_deref(), Some("GESPAY \"1\"\n"));
    assert_eq!(RawJson::parse(r#""\u0041""#).unwrap().text().as_deref(), Some("A"));
    assert_eq!(RawJson::parse("2.50").unwrap().text(), None, "not a string");
    assert_eq!(serde_json::to_string(&s).unwrap(), s.as_str());
}
