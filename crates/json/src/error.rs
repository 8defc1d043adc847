//! [`FieldError`]: one problem with one field of an input, and the quoting rule for input text in messages.

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

/// What a position suffix starts with ([`crate::Path::error`] writes ` at line L column C`).
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

impl std::error::Error for FieldError {}

impl FieldError {
    /// The same error with its message rewritten by `rewrite` (clipped, redacted). A message of another
    /// length no longer ends with the position [`FieldError::without_position`] would drop.
    pub fn map_message(mut self, rewrite: impl FnOnce(String) -> String) -> Self {
        let before = self.message.len();
        self.message = rewrite(std::mem::take(&mut self.message));
        if self.message.len() != before {
            self.position_len = 0;
        }
        self
    }
}

/// Caps user-supplied text quoted in an error message at 40 characters (then `…`).
pub fn truncate_for_message(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(MAX).collect();
        s.push('…');
        s
    }
}
