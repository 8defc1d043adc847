//! Masks card numbers in text mitgate keeps (idempotency records) or returns from a processor.

/// Replaces every Luhn-valid 13-19 digit run with `[card number removed]`.
pub(crate) fn redact_card_numbers(text: &str) -> String {
    if !mitgate_core::pan::looks_like_card_number(text) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if mitgate_core::pan::looks_like_card_number(run) && run.len() >= 13 {
            out.push_str("[card number removed]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
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
}
