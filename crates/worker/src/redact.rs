//! Masks card numbers in text mitgate keeps (idempotency records), logs or returns from a processor.

use mitgate_core::pan::looks_like_card_number;

const MASK: &str = "[card number removed]";

/// Replaces every card number with `[card number removed]`: a Luhn-valid run of 13-19 digits, written
/// plain or with single spaces or dashes between digits (`4111 1111 1111 1111`, `4111-1111-1111-1111`),
/// exactly the runs [`looks_like_card_number`] detects.
pub(crate) fn redact_card_numbers(text: &str) -> String {
    if !looks_like_card_number(text) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    // A run: digits, with single separators between them; it starts with a digit. `before` is the
    // character before it, so the detector sees the run in its context (a run attached to letters is not
    // a card number when it has separators).
    let mut run = String::new();
    let mut before: Option<char> = None;
    let flush = |run: &mut String, out: &mut String, before: Option<char>, after: Option<char>| {
        let trailing = run.ends_with([' ', '-']).then(|| run.pop()).flatten();
        let digits = run.bytes().filter(u8::is_ascii_digit).count();
        let mut probe = String::with_capacity(run.len() + 2);
        probe.extend(before);
        probe.push_str(run);
        probe.extend(trailing.or(after));
        if digits >= 13 && looks_like_card_number(&probe) {
            out.push_str(MASK);
        } else {
            out.push_str(run);
        }
        out.extend(trailing);
        run.clear();
    };
    let mut last: Option<char> = None;
    for c in text.chars() {
        let separator = c == ' ' || c == '-';
        if c.is_ascii_digit() || (separator && !run.is_empty() && !run.ends_with([' ', '-'])) {
            if run.is_empty() {
                before = last;
            }
            run.push(c);
        } else {
            flush(&mut run, &mut out, before, Some(c));
            out.push(c);
        }
        last = Some(c);
    }
    flush(&mut run, &mut out, before, None);
    out
}

/// A request path as it may be logged: percent-decoded first (a card number typed as
/// `4111%201111%201111%201111` is one), then [`redact_card_numbers`].
pub(crate) fn redact_path(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |j: usize| bytes.get(j).and_then(|c| (*c as char).to_digit(16));
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                decoded.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                i += 3;
            }
            _ => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    redact_card_numbers(&String::from_utf8_lossy(&decoded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_only_card_numbers() {
        assert_eq!(
            redact_card_numbers(r#"{"number":"4111111111111111","token":"4111114324324111_bt"}"#),
            r#"{"number":"[card number removed]","token":"4111114324324111_bt"}"#
        );
        assert_eq!(redact_card_numbers("paymentId 550e8400"), "paymentId 550e8400");
    }

    #[test]
    fn paths_are_decoded_before_masking() {
        assert_eq!(
            redact_path("/v1/agreements/4111%201111%201111%201111"),
            "/v1/agreements/[card number removed]"
        );
        assert_eq!(
            redact_path("/v1/agreements/4111-1111-1111-1111/limits"),
            "/v1/agreements/[card number removed]/limits"
        );
        assert_eq!(redact_path("/v1/agreements/agr_1%2"), "/v1/agreements/agr_1%2");
        assert_eq!(redact_path("/v1/agreements/%E2%82%AC"), "/v1/agreements/\u{20ac}");
    }

    /// Every separator form the detector accepts is masked (issue 15, item 5).
    #[test]
    fn masks_every_separator_form() {
        for (text, want) in [
            ("card 4111 1111 1111 1111 end", "card [card number removed] end"),
            ("card 4111-1111-1111-1111.", "card [card number removed]."),
            ("(4111-1111 1111-1111)", "([card number removed])"),
            // Attached to letters, grouped digits are an id's (a UUID's), not a card number.
            ("x4111-1111 1111-1111-y", "x4111-1111 1111-1111-y"),
            ("5555 5555 5555 4444 and 4111111111111111", "[card number removed] and [card number removed]"),
            ("on 2026-04-01 at 10:00", "on 2026-04-01 at 10:00"),
            ("4111  1111 1111 1111", "4111  1111 1111 1111"),
        ] {
            assert_eq!(redact_card_numbers(text), want, "{text}");
        }
        for text in ["customer 4111 1111 1111 1111", "4000-0000-0000-0119", "id=4000 0000 0000 0515;"] {
            let out = redact_card_numbers(text);
            assert!(!looks_like_card_number(&out), "{text} -> {out}");
        }
    }
}
