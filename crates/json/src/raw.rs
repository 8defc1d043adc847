//! [`RawJson`]: a value kept as the exact text it was written in, to quote it in an answer (a processor's
//! answer inside ours) without reading its numbers through a float.

use crate::{FieldError, FromJson, Path, Value};

/// A JSON value's exact text (spacing, key order and numbers as written), serialized as that JSON rather
/// than as a string.
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

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Any value, kept as written.
impl FromJson for RawJson {
    fn from_json(value: &Value<'_>, path: &Path<'_>) -> Result<Self, FieldError> {
        Ok(RawJson::of(value, path.document()))
    }
}

/// Writes the text as JSON through serde_json's raw values (its `raw_value` feature): validating it there
/// only scans the text, it converts no number.
impl serde::Serialize for RawJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match serde_json::value::RawValue::from_string(self.0.clone()) {
            Ok(raw) => raw.serialize(serializer),
            Err(e) => Err(serde::ser::Error::custom(e)),
        }
    }
}
