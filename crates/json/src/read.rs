//! [`FromJson`]: reading typed values out of a parsed [`Value`], with the failing field's path.

use std::collections::BTreeMap;

use super::{integral_digits, Kind, Path, Value};
#[cfg(feature = "speed")]
use crate::stream::Reader;
use crate::FieldError;

/// A type that can be read from a JSON value. Implementations report errors at `path` (or below it).
pub trait FromJson: Sized {
    /// Reads `Self` from `value`, which sits at `path`.
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError>;

    /// Reads `Self` straight from the text at `r`, without the tree (feature `speed`): what `from_json`
    /// reads, or `None` wherever `from_json` would fail (the reason is found by reading again through
    /// the tree; see [`crate::Reader`]). By default, through the tree of this one value.
    #[cfg(feature = "speed")]
    fn read(r: &mut crate::Reader<'_>) -> Option<Self> {
        read_through_tree(r)
    }
}

/// An object being read field by field (see [`Value::object`]).
pub struct Object<'v> {
    value: &'v Value<'v>,
    entries: &'v [(std::borrow::Cow<'v, str>, Value<'v>)],
    path: &'v Path<'v>,
}

impl<'v> Object<'v> {
    pub(super) fn new(
        value: &'v Value<'v>,
        path: &'v Path<'v>,
        fields: &'static [&'static str],
        deny_unknown: bool,
    ) -> Result<Self, FieldError> {
        let Kind::Object(entries) = &value.kind else { return Err(path.invalid_type(value, "an object")) };
        // INVARIANT: no input type has more than 128 fields, so each known key has a bit.
        let mut seen: u128 = 0;
        for (key, v) in entries {
            match fields.iter().position(|f| *f == key.as_ref()) {
                Some(i) => {
                    let bit = 1u128.checked_shl(u32::try_from(i).unwrap_or(u32::MAX)).unwrap_or(0);
                    if seen & bit != 0 {
                        return Err(path.key(key).error(v.at, format_args!("duplicate field `{key}`")));
                    }
                    seen |= bit;
                }
                None if deny_unknown => {
                    let msg = format!(
                        "unknown field `{}`, {}",
                        crate::truncate_for_message(key),
                        one_of(fields, "fields")
                    );
                    return Err(path.key(key).error(v.at, msg));
                }
                None => {}
            }
        }
        Ok(Object { value, entries, path })
    }

    /// The value of `key`, if present (including `null`).
    pub fn get(&self, key: &str) -> Option<&'v Value<'v>> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The path of this object.
    pub fn path(&self) -> &'v Path<'v> {
        self.path
    }

    /// The object value itself (for its position).
    pub fn value(&self) -> &'v Value<'v> {
        self.value
    }

    /// A required field: missing is an error at the object's path (`missing field `id``).
    pub fn req<T: FromJson>(&self, key: &str) -> Result<T, FieldError> {
        match self.get(key) {
            Some(v) => T::from_json(v, &self.path.key(key)),
            None => Err(self.missing(key)),
        }
    }

    /// An optional field: missing or `null` is `None`.
    pub fn opt<T: FromJson>(&self, key: &str) -> Result<Option<T>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.is_null() => Ok(None),
            Some(v) => T::from_json(v, &self.path.key(key)).map(Some),
        }
    }

    /// A field with a default when it is missing (`null` is read as a value, so it is an error for
    /// anything but an `Option`).
    pub fn or_else<T: FromJson>(&self, key: &str, default: impl FnOnce() -> T) -> Result<T, FieldError> {
        match self.get(key) {
            None => Ok(default()),
            Some(v) => T::from_json(v, &self.path.key(key)),
        }
    }

    /// [`Object::or_else`] with `T::default()`.
    pub fn or_default<T: FromJson + Default>(&self, key: &str) -> Result<T, FieldError> {
        self.or_else(key, T::default)
    }

    /// The error for a missing required field.
    pub fn missing(&self, key: &str) -> FieldError {
        self.path.error(self.value.at, format_args!("missing field `{key}`"))
    }
}

/// serde's list of what was expected: `expected `a``, `expected `a` or `b``, `expected one of `a`, `b`, `c``.
fn one_of(names: &[&str], what: &str) -> String {
    match names {
        [] => format!("there are no {what}"),
        [a] => format!("expected `{a}`"),
        [a, b] => format!("expected `{a}` or `{b}`"),
        _ => {
            let mut out = String::from("expected one of ");
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push('`');
                out.push_str(n);
                out.push('`');
            }
            out
        }
    }
}

impl Path<'_> {
    /// The error for a string outside an enumeration: ``unknown variant `x`, expected one of `a`, `b` ``.
    pub fn unknown_variant(&self, value: &Value<'_>, text: &str, names: &[&str]) -> FieldError {
        let msg =
            format!("unknown variant `{}`, {}", crate::truncate_for_message(text), one_of(names, "variants"));
        self.error(value.at, msg)
    }
}

impl FromJson for bool {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        match value.kind {
            Kind::Bool(b) => Ok(b),
            _ => Err(path.invalid_type(value, "a boolean")),
        }
    }

    #[cfg(feature = "speed")]
    fn read(r: &mut crate::Reader<'_>) -> Option<Self> {
        r.bool()
    }
}

impl FromJson for String {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        value.as_str(path, "a string").map(str::to_string)
    }

    #[cfg(feature = "speed")]
    fn read(r: &mut crate::Reader<'_>) -> Option<Self> {
        r.string().map(std::borrow::Cow::into_owned)
    }
}

/// An integer from a JSON number's text: a whole value may be written with a zero fraction (`3488.0`);
/// other fractions and exponents are floats (invalid type), negative or too large values are invalid
/// values, as serde reports them.
fn integer<T: std::str::FromStr>(value: &Value<'_>, path: &Path<'_>, name: &str) -> Result<T, FieldError> {
    let written = value.as_number(path, name)?;
    let Some(text) = integral_digits(written) else {
        return Err(path.invalid_type(value, name));
    };
    text.parse().map_err(|_| {
        path.error(
            value.at,
            format_args!("invalid value: integer `{}`, expected {name}", crate::truncate_for_message(text)),
        )
    })
}

macro_rules! integers {
    ($($t:ty),+) => {$(
        impl FromJson for $t {
            fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
                integer(value, path, stringify!($t))
            }

            #[cfg(feature = "speed")]
            fn read(r: &mut crate::Reader<'_>) -> Option<Self> {
                integral_digits(r.number()?)?.parse().ok()
            }
        }
    )+};
}
integers!(u8, u16, u32, u64, i32, i64);

impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        if value.is_null() {
            Ok(None)
        } else {
            T::from_json(value, path).map(Some)
        }
    }

    #[cfg(feature = "speed")]
    fn read(r: &mut crate::Reader<'_>) -> Option<Self> {
        if r.null()? {
            Some(None)
        } else {
            T::read(r).map(Some)
        }
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let items = value.as_array(path, "a sequence")?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            out.push(T::from_json(item, &path.index(i))?);
        }
        Ok(out)
    }

    #[cfg(feature = "speed")]
    fn read(r: &mut crate::Reader<'_>) -> Option<Self> {
        let mut out = Vec::new();
        r.array(|r| {
            out.push(T::read(r)?);
            Some(())
        })?;
        Some(out)
    }
}

/// A JSON object with free keys (`{"<api key>": "<merchant>"}`); a key given twice is an error.
impl<T: FromJson> FromJson for BTreeMap<String, T> {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        let Kind::Object(entries) = &value.kind else { return Err(path.invalid_type(value, "a map")) };
        let mut out = BTreeMap::new();
        for (key, v) in entries {
            let item = T::from_json(v, &path.key(key))?;
            if out.insert(key.to_string(), item).is_some() {
                return Err(path.key(key).error(v.at, "duplicate key"));
            }
        }
        Ok(out)
    }

    #[cfg(feature = "speed")]
    fn read(r: &mut crate::Reader<'_>) -> Option<Self> {
        let mut out = BTreeMap::new();
        r.object(|r, key| {
            let item = T::read(r)?;
            out.insert(key.into_owned(), item).is_none().then_some(())
        })?;
        Some(out)
    }
}

#[cfg(feature = "speed")]
/// What [`FromJson::read`] does for a type without a reader of its own: the value as a tree, read by
/// [`FromJson::from_json`] (its error, if any, is dropped: the caller reads the whole text again).
pub fn read_through_tree<T: FromJson>(r: &mut Reader<'_>) -> Option<T> {
    let value = r.value()?;
    T::from_json(&value, &Path::root(r.document())).ok()
}

#[cfg(feature = "speed")]
/// A whole document read as `T` straight from the text, or `None` where the text is not a `T` (see
/// [`Reader`]; [`crate::from_str`] tries this first).
pub fn read_straight<T: FromJson>(text: &str) -> Option<T> {
    let mut r = Reader::new(text);
    let value = T::read(&mut r)?;
    r.at_end().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::from_str;

    #[derive(Debug, PartialEq)]
    struct Point {
        x: u32,
        label: Option<String>,
        tags: Vec<String>,
        on: bool,
    }

    impl FromJson for Point {
        fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
            let o = value.object(path, &["x", "label", "tags", "on"], true)?;
            Ok(Point {
                x: o.req("x")?,
                label: o.opt("label")?,
                tags: o.or_default("tags")?,
                on: o.or_else("on", || true)?,
            })
        }
    }

    fn error<T: FromJson + std::fmt::Debug>(text: &str) -> String {
        from_str::<T>(text).unwrap_err().to_string()
    }

    #[test]
    fn reads_fields_with_defaults() {
        let p: Point = from_str(r#"{"x": 3, "label": null}"#).unwrap();
        assert_eq!(p, Point { x: 3, label: None, tags: vec![], on: true });
        let p: Point = from_str(r#"{"tags": ["a", "b"], "x": 0, "on": false, "label": "l"}"#).unwrap();
        assert_eq!(p, Point { x: 0, label: Some("l".into()), tags: vec!["a".into(), "b".into()], on: false });
    }

    /// A whole number written with a zero fraction is that integer (JSON Schema's `integer` admits it, so
    /// the API's fuzzer sends it); other fractions and exponents stay floats.
    #[test]
    fn whole_numbers_with_a_zero_fraction_are_integers() {
        let p: Point = from_str(r#"{"x": 3488.0}"#).unwrap();
        assert_eq!(p.x, 3488);
        let p: Point = from_str(r#"{"x": 7.000}"#).unwrap();
        assert_eq!(p.x, 7);
        assert_eq!(
            error::<Point>(r#"{"x": 1.50}"#),
            "x: invalid type: floating point `1.50`, expected u32 at line 1 column 7"
        );
        assert_eq!(
            error::<Point>(r#"{"x": 1e3}"#),
            "x: invalid type: floating point `1e3`, expected u32 at line 1 column 7"
        );
        assert_eq!(
            error::<Point>(r#"{"x": -1.0}"#),
            "x: invalid value: integer `-1`, expected u32 at line 1 column 7"
        );
    }

    #[test]
    fn names_the_failing_field() {
        for (text, expected) in [
            (r#"{"label": "a"}"#, "missing field `x` at line 1 column 1"),
            (
                r#"{"x": 1, "y": 2}"#,
                "y: unknown field `y`, expected one of `x`, `label`, `tags`, `on` at line 1 column 15",
            ),
            (r#"{"x": 1, "x": 2}"#, "x: duplicate field `x` at line 1 column 15"),
            (r#"{"x": 1.5}"#, "x: invalid type: floating point `1.5`, expected u32 at line 1 column 7"),
            (r#"{"x": -1}"#, "x: invalid value: integer `-1`, expected u32 at line 1 column 7"),
            (
                r#"{"x": 4294967296}"#,
                "x: invalid value: integer `4294967296`, expected u32 at line 1 column 7",
            ),
            (r#"{"x": "1"}"#, "x: invalid type: string \"1\", expected u32 at line 1 column 7"),
            (
                r#"{"x": 1, "tags": ["a", 2]}"#,
                "tags[1]: invalid type: integer `2`, expected a string at line 1 column 24",
            ),
            (r#"{"x": 1, "on": null}"#, "on: invalid type: null, expected a boolean at line 1 column 16"),
            (r#"[1]"#, "invalid type: a sequence, expected an object at line 1 column 1"),
        ] {
            assert_eq!(error::<Point>(text), expected, "{text}");
        }
    }

    #[derive(Debug, PartialEq, crate::FromJson)]
    #[serde(rename_all = "snake_case")]
    enum Color {
        Red,
        DarkBlue,
    }

    #[test]
    fn reads_string_enums_and_maps() {
        assert_eq!(from_str::<Color>("\"dark_blue\"").unwrap(), Color::DarkBlue);
        assert_eq!(from_str::<Color>("\"red\"").unwrap(), Color::Red);
        assert_eq!(
            error::<Color>("\"blue\""),
            "unknown variant `blue`, expected `red` or `dark_blue` at line 1 column 1"
        );
        let m: BTreeMap<String, u8> = from_str(r#"{"b": 2, "a": 1}"#).unwrap();
        assert_eq!(m.into_iter().collect::<Vec<_>>(), vec![("a".to_string(), 1), ("b".to_string(), 2)]);
        assert_eq!(
            error::<BTreeMap<String, u8>>(r#"{"a": 1, "a": 1}"#),
            "a: duplicate key at line 1 column 15"
        );
    }
}
