//! Input errors that name the offending field, and the JSON entry point's parsing with field paths.

use serde::Serialize;

/// One problem with one field of an input, e.g. `request.amount.amount`: "has more decimal places…".
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, Eq, Serialize)]
pub struct FieldError {
    /// Dotted path from the document root (`request.amount`, `history.attempts[2].at`); `""` is the root.
    pub path: String,
    /// What is wrong, in a sentence fragment that reads after the path.
    pub message: String,
    /// Byte length of the ` at line L column C` that ends `message` when the error was found reading JSON
    /// text (0 otherwise). Not serialized: it only lets [`FieldError::without_position`] drop the position
    /// when the text was not the caller's own (the wasm object forms write it with `JSON.stringify`).
    #[serde(skip)]
    position_len: usize,
}

/// Two errors are equal when they say the same thing about the same field.
impl PartialEq for FieldError {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && self.message == other.message
    }
}

/// What a position suffix starts with ([`crate::json`] writes ` at line L column C`).
const POSITION_PREFIX: &str = " at line ";

impl FieldError {
    /// Builds an error for a path.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { path: path.into(), message: message.into(), position_len: 0 }
    }

    /// An error found reading JSON text: `message` followed by `position` (` at line L column C`).
    pub(crate) fn positioned(path: String, message: impl std::fmt::Display, position: &str) -> Self {
        FieldError { path, message: format!("{message}{position}"), position_len: position.len() }
    }

    /// The same error without the position in the JSON text it was read from, for callers that never
    /// saw that text. An error whose message was rewritten since (clipped, redacted) is returned as is.
    pub fn without_position(mut self) -> Self {
        let keep = self.message.len().saturating_sub(self.position_len);
        let is_position = self.position_len > 0
            && self.message.get(keep..).is_some_and(|tail| tail.starts_with(POSITION_PREFIX));
        if is_position {
            self.message.truncate(keep);
        }
        self.position_len = 0;
        self
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
        let before = e.message.len();
        e.message = clip(std::mem::take(&mut e.message));
        if e.message.len() != before {
            e.position_len = 0;
        }
        e
    })
}

/// Never echo huge input back: messages are cut at 400 characters (the policy's list of expected fields
/// with a position, about 330, must fit whole).
fn clip(msg: String) -> String {
    if msg.chars().count() > 400 {
        let mut s: String = msg.chars().take(400).collect();
        s.push('…');
        s
    } else {
        msg
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use crate::api::{evaluate_value, Answer};

    fn errors<T>(answer: Answer<T>) -> Vec<FieldError> {
        match answer {
            Answer::Failure { errors } => errors,
            Answer::Success(_) => Vec::new(),
        }
    }

    #[test]
    fn without_position_drops_only_the_readers_position() {
        let read = errors(evaluate_value(r#"{"now": "2026-04-17T10:00:00Z", "policy": {"maxcount": 1}}"#));
        assert_eq!(read.len(), 1);
        assert!(read[0].message.ends_with(" at line 1 column 56"), "{}", read[0].message);
        let bare = errors(
            evaluate_value(r#"{"now": "2026-04-17T10:00:00Z", "policy": {"maxcount": 1}}"#)
                .without_positions(),
        );
        assert_eq!(bare[0].path, read[0].path);
        assert_eq!(bare[0].message, read[0].message.trim_end_matches(" at line 1 column 56"));

        // Errors written without a position, or rewritten after reading, keep their whole message.
        let plain = FieldError::new("request.amount", "must be at line 3 of the contract").without_position();
        assert_eq!(plain.message, "must be at line 3 of the contract");
        let mut redacted = read[0].clone();
        redacted.message = "is invalid".to_string();
        assert_eq!(redacted.without_position().message, "is invalid");
    }
}
