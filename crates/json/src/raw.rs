//! [`RawJson`]: a value kept as the exact text it was written in, to quote it in an answer (a processor's
//! answer inside ours) or keep it in a record (`processorContext`) without reading its numbers through a
//! float.

use crate::{FieldError, FromJson, Path, Value};

/// A JSON value's exact text (spacing, key order and numbers as written), serialized as that JSON rather
/// than as a string.
///
/// INVARIANT: the text is one well-formed JSON value without whitespace around it: it is only ever made
/// from a value [`crate::parse`] read ([`RawJson::of`], [`RawJson::parse`], [`FromJson`]) or written by
/// [`RawJson::string`]. That is what lets [`Serialize`](serde::Serialize) write it without validating it
/// a second time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawJson(String);

impl RawJson {
    /// The text of `value`, a value parsed from `document`.
    pub fn of(value: &Value<'_>, document: &str) -> Self {
        RawJson(value.raw(document).to_string())
    }

    /// The whole of `text` when it is one JSON value (whitespace around it is dropped); `None` otherwise.
    pub fn parse(text: &str) -> Option<Self> {
        crate::parse(text).ok().map(|value| RawJson::of(&value, text))
    }

    /// `text` as a JSON string (escaped as serde_json escapes).
    pub fn string(text: &str) -> Self {
        let mut out = String::with_capacity(text.len().saturating_add(2));
        crate::quote(text, &mut out);
        RawJson(out)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The string this text is, when it is a JSON string (its escapes decoded); `None` for any other value.
    pub fn text(&self) -> Option<String> {
        crate::parse(&self.0).ok()?.text().map(str::to_string)
    }
}

/// Any value, kept as written.
impl FromJson for RawJson {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        Ok(RawJson::of(value, path.document()))
    }
}

/// serde_json's name for a raw value in the serde data model (`serde_json::value::RawValue`'s own
/// `Serialize` writes this struct; serde_json's serializer, with its `raw_value` feature, writes the one
/// field's text verbatim).
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// Writes the text as JSON, verbatim, the way `serde_json::value::RawValue` serializes itself: with
/// `serde_json::to_vec`/`to_string` the text is copied as is (no number is converted). A `RawValue` is not
/// built for it: `RawValue::from_string` would validate the text again with serde_json's own parser (8-9 KB
/// of the Worker's gzip), and its unchecked constructor is `unsafe`, which this workspace forbids; the
/// text was validated when it was parsed (the type's invariant). `serde_json::to_value` reads it back
/// through serde_json's parser (the Worker never calls it on a `RawJson`).
impl serde::Serialize for RawJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct(RAW_VALUE_TOKEN, 1)?;
        s.serialize_field(RAW_VALUE_TOKEN, self.0.as_str())?;
        s.end()
    }
}
