//! Helpers over `mitgate_core::json` trees for what the Worker reads without a typed reader: duplicate
//! keys, card numbers in free-form values, request bodies read once. Lookups are `Value::get`/`get_path`
//! (of a key given twice the first counts, as in every typed reader); values kept as given are
//! `mitgate_json::RawJson` (their exact text), and fingerprints are `Value::normalized` (numbers as
//! written): no number is read through a float.

use std::collections::BTreeSet;

use mitgate_core::json::{whole_digits, FromJson, Kind, Path, Value};
use mitgate_core::pan::looks_like_card_number;
use mitgate_core::validate::{FieldError, MAX_INPUT_BYTES};

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

/// Whether a JSON number looks like a card number: as written, or as the whole number its exponent
/// makes (`4.111111111111111e15` is `4111111111111111`), computed from its text without a float.
pub(crate) fn number_looks_like_card(number: &str) -> bool {
    looks_like_card_number(number) || whole_digits(number, 19).is_some_and(|d| looks_like_card_number(&d))
}

/// Whether a free-form value holds what looks like a card number: in a key, in a string (escapes
/// decoded), or in a number ([`number_looks_like_card`]).
pub(crate) fn holds_card_number(value: &Value<'_>) -> bool {
    match &value.kind {
        Kind::String(s) => looks_like_card_number(s),
        Kind::Number(n) => number_looks_like_card(n),
        Kind::Array(items) => items.iter().any(holds_card_number),
        Kind::Object(entries) => {
            entries.iter().any(|(k, v)| looks_like_card_number(k) || holds_card_number(v))
        }
        Kind::Null | Kind::Bool(_) => false,
    }
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

    #[test]
    fn card_numbers_in_free_form_values() {
        let holds = |text: &str| holds_card_number(&mitgate_core::json::parse(text).unwrap());
        assert!(holds("4111111111111111"));
        assert!(holds("4.111111111111111e15"), "the exponent applied, without a float");
        assert!(holds("4111111111111111.000"));
        assert!(holds(r#""4111 1111 1111 1111""#));
        assert!(holds(r#""\u0034111111111111111""#), "escapes decoded");
        assert!(holds(r#"{"a": [1, {"b": "4111111111111111"}]}"#));
        assert!(holds(r#"{"4111111111111111": 1}"#));
        for clean in
            ["11111", r#""GESPAY00001""#, "4111111111111112", "4.1111111111111111e15", "[1e400]", "null"]
        {
            assert!(!holds(clean), "{clean}");
        }
    }

    /// One duplicate-key rule: the Worker's lookups (`Value::get`, `get_path`) and the typed readers'
    /// (`Object::get`, behind every `FromJson`) see the same member of a key given twice, the first; the
    /// Worker's request bodies holding one are refused before either looks.
    #[test]
    fn lookups_and_typed_readers_agree_on_a_key_given_twice() {
        #[derive(Debug, mitgate_json::FromJson)]
        struct Loose {
            #[serde(default)]
            other: Option<u8>,
        }
        for (text, first) in [
            (r#"{"k": "first", "k": "second"}"#, r#""first""#),
            (r#"{"k": {"x": 1.50}, "a": null, "k": 2}"#, r#"{"x": 1.50}"#),
            (r#"{"k": 1e400, "k": [1]}"#, "1e400"),
        ] {
            let value = mitgate_core::json::parse(text).unwrap();
            let root = Path::root(text);
            // A typed reader that does not know `k` looks it up as any member; one that knows it refuses
            // it given twice.
            let typed = value.object(&root, &["other"], false).unwrap().get("k");
            assert_eq!(value.get("k"), typed, "{text}");
            assert_eq!(value.get_path(&["k"]).map(|v| v.raw(text)), Some(first), "{text}");
            assert!(
                Loose::from_json(&value, &root).is_ok_and(|l| l.other.is_none()),
                "unknown keys are ignored"
            );
            let refused = value.object(&root, &["k"], false).err().map(|e| e.message);
            assert!(refused.is_some_and(|m| m.starts_with("duplicate field `k`")), "{text}");
            assert_eq!(read_body::<Loose>(text).unwrap_err().message, "is given more than once");
        }
    }

    #[test]
    fn reads_bodies_refusing_duplicates() {
        let e = read_body::<u32>(r#"{"a": 1, "a": 2}"#).unwrap_err();
        assert_eq!((e.path.as_str(), e.message.as_str()), ("a", "is given more than once"));
        assert!(read_body::<u32>("{").unwrap_err().message.starts_with("EOF"));
        assert_eq!(read_body::<u32>("7").unwrap(), 7);
    }
}
