//! Card-number detection. mitgate never stores or logs a card number; inputs that carry one are refused.

/// Whether `text` is, or contains, a Luhn-valid run of exactly 13 to 19 digits (single spaces and
/// dashes between digits are tolerated, as people write card numbers that way). A longer digit run is
/// not flagged by a window inside it: tokens such as `4111114324324111_bt` stay usable.
pub fn looks_like_card_number(text: &str) -> bool {
    let mut digits: Vec<u8> = Vec::with_capacity(24);
    let check = |run: &[u8]| (13..=19).contains(&run.len()) && luhn_valid(run);
    let mut prev_sep = false;
    for b in text.bytes() {
        if b.is_ascii_digit() {
            digits.push(b - b'0');
            prev_sep = false;
        } else if (b == b' ' || b == b'-') && !digits.is_empty() && !prev_sep {
            prev_sep = true;
        } else {
            if check(&digits) {
                return true;
            }
            digits.clear();
            prev_sep = false;
        }
    }
    check(&digits)
}

fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_test_cards() {
        assert!(looks_like_card_number("4111111111111111"));
        assert!(looks_like_card_number("4111 1111 1111 1111"));
        assert!(looks_like_card_number("card:5555555555554444;"));
        assert!(!looks_like_card_number("4111111111111112"));
        assert!(!looks_like_card_number("cred_token_abc123xyz"));
        assert!(!looks_like_card_number("550e8400-e29b-41d4-a716-446655440000"));
        assert!(!looks_like_card_number("TKN123456789"));
        assert!(!looks_like_card_number("4111114324324111_bt"));
    }
}
