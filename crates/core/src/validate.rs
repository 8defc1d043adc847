//! Input errors that name the offending field, and the JSON entry point's parsing with field paths.

use serde::Serialize;

/// One problem with one field of an input, e.g. `request.amount.amount`: "has more decimal places…".
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Dotted path from the document root (`request.amount`, `history.attempts[2].at`); `""` is the root.
    pub path: String,
    /// What is wrong, in a sentence fragment that reads after the path.
    pub message: String,
}

impl FieldError {
    /// Builds an error for a path.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { path: path.into(), message: message.into() }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// The largest JSON document the entry points accept (1 MiB): bigger input is refused before parsing.
pub const MAX_INPUT_BYTES: usize = 1 << 20;

/// Parses JSON into `T`, reporting the path of the first field that fails (`request.amount.currency`).
/// Duplicate keys, unknown fields (for the canonical types), wrong types and trailing data are errors.
pub fn parse_json<T: crate::json::FromJson>(text: &str) -> Result<T, FieldError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(FieldError::new("", format!("input is larger than {MAX_INPUT_BYTES} bytes")));
    }
    crate::json::from_str(text).map_err(|mut e| {
        e.message = clip(e.message);
        e
    })
}

/// Never echo huge input back: messages are cut at 300 characters.
fn clip(msg: String) -> String {
    if msg.chars().count() > 300 {
        let mut s: String = msg.chars().take(300).collect();
        s.push('…');
        s
    } else {
        msg
    }
}
