//! Properties: no input panics any dialect; amounts convert exactly in both units.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test crate of its own (clippy.toml covers #[test] functions only): its helpers fail the test loudly"
)]

mod support;

use mitgate_dialects::{coinflow, spg, DialectId};
use proptest::prelude::*;
use support::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(body in "\\PC{0,200}") {
        let ctx = mit_ctx("m", &[]);
        let octx = outcome_ctx("a", "2026-01-01T00:00:00Z", None);
        for id in DialectId::ALL {
            let _ = id.classify("POST", "/api/v2/payments", &body);
            if let Err(errors) = id.parse_mit(&body, &ctx) {
                prop_assert!(!errors.is_empty());
                let _ = id.render_errors(&errors);
            }
            let _ = id.read_outcome(200, &body, &octx);
        }
    }

    #[test]
    fn fixtures_with_one_byte_changed_never_panic(index in 0usize..400, byte in any::<u8>()) {
        let ctx = mit_ctx("m", &[]);
        for (id, file) in [
            (DialectId::Infinic, "infinic/auto_attempt_request.json"),
            (DialectId::Coinflow, "coinflow/mit_request.json"),
            (DialectId::Spg, "spg/mit_request_advanced.json"),
            (DialectId::Axerve, "axerve/mit_01n_request.json"),
        ] {
            let mut bytes = fixture(file).into_bytes();
            let i = index % bytes.len();
            bytes[i] = byte;
            let text = String::from_utf8_lossy(&bytes);
            let _ = id.parse_mit(&text, &ctx);
        }
    }

    #[test]
    fn spg_decimal_numbers_are_exact(units in 0u64..90_000_000_000_000, cents in 0u64..100, pad in 0usize..3) {
        prop_assume!(units + cents > 0);
        let literal = format!("{units}.{cents:02}{}", "0".repeat(pad));
        let body = fixture("spg/mit_request.json").replace("29.90", &literal);
        let parsed = spg::parse_mit(&body, &mit_ctx("m", &[])).unwrap();
        prop_assert_eq!(parsed.request.amount.minor_units(), units * 100 + cents);
    }

    #[test]
    fn coinflow_cents_are_exact(cents in 1u64..=9_007_199_254_740_991) {
        let body = format!(r#"{{"subtotal":{{"cents":{cents},"currency":"USD"}},"originalPaymentId":"p1"}}"#);
        let parsed = coinflow::parse_mit(&body, &mit_ctx("m", &[])).unwrap();
        prop_assert_eq!(parsed.request.amount.minor_units(), cents);
    }
}
