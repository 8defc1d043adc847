//! Input errors that name the offending field, and the JSON entry point's parsing with field paths.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// One problem with one field of an input, e.g. `request.amount.amount`: "has more decimal places…".
#[cfg_attr(feature = "wasm", derive(tsify::Tsify), tsify(missing_as_null))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
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
/// Duplicate keys, unknown fields, wrong types and trailing data are errors.
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, FieldError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(FieldError::new("", format!("input is larger than {MAX_INPUT_BYTES} bytes")));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = render_path(e.path());
        let inner = e.into_inner();
        FieldError::new(path, clean_serde_message(&inner))
    })?;
    de.end().map_err(|e| FieldError::new("", clean_serde_message(&e)))?;
    Ok(value)
}

fn render_path(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            serde_path_to_error::Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            serde_path_to_error::Segment::Map { key }
            | serde_path_to_error::Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&crate::money::truncate_for_message(key));
            }
            serde_path_to_error::Segment::Unknown => {}
        }
    }
    if out == "?" {
        out.clear();
    }
    out
}

/// serde_json appends " at line L column C"; keep it (useful) but never echo huge input back.
fn clean_serde_message(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    if msg.chars().count() > 300 {
        let mut s: String = msg.chars().take(300).collect();
        s.push('…');
        s
    } else {
        msg
    }
}
