//! Input errors that name the offending field, and the JSON entry point's parsing with field paths.

pub use mitgate_json::FieldError;

/// The largest JSON document the entry points accept (1 MiB): bigger input is refused before parsing.
pub const MAX_INPUT_BYTES: usize = 1 << 20;

/// Parses JSON into `T`, reporting the path of the first field that fails (`request.amount.currency`).
/// Duplicate keys, unknown fields (for the canonical types), wrong types and trailing data are errors.
pub fn parse_json<T: crate::json::FromJson>(text: &str) -> Result<T, FieldError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(FieldError::new("", format!("input is larger than {MAX_INPUT_BYTES} bytes")));
    }
    crate::json::from_str(text).map_err(|e| e.map_message(clip))
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
