//! The exact bytes of every dialect's error envelope (bad input; refusals are pinned by the Node dialect
//! cases, `renderRefusalJson`), and how each dialect's processor status settles an attempt.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test crate of its own (clippy.toml covers #[test] functions only): its helpers fail the test loudly"
)]

mod support;

use mitgate_core::model::OutcomeResult;
use mitgate_dialects::{DialectId, FieldError};
use support::*;

const MITGATE: &str = r#""mitgate":{"code":"bad_input","errors":[{"path":"subtotal.cents","message":"is required"},{"path":"originalPaymentId","message":"must be \"x\""}]}"#;
const SENTENCE: &str = r#"subtotal.cents: is required (and 1 more)"#;

#[test]
fn bad_input_bodies_are_each_dialects_own_shape() {
    let errors = [
        FieldError::new("subtotal.cents", "is required"),
        FieldError::new("originalPaymentId", "must be \"x\""),
    ];
    for (id, members) in [
        (DialectId::Infinic, format!(r#""detail":"{SENTENCE}""#)),
        (DialectId::Coinflow, format!(r#""message":"{SENTENCE}""#)),
        (
            DialectId::Spg,
            format!(
                r#""returnStatus":{{"statusCode":"400","statusMsg":"{SENTENCE}"}},"paymentStatus":"Failed""#
            ),
        ),
        (
            DialectId::Axerve,
            format!(r#""transactionResult":"KO","errorCode":"400","errorDescription":"{SENTENCE}""#),
        ),
    ] {
        let r = id.render_errors(&errors);
        assert_eq!(r.status, 400, "{id:?}");
        assert_eq!(r.headers, [("content-type".to_string(), "application/json".to_string())], "{id:?}");
        assert_eq!(r.body, format!("{{{members},{MITGATE}}}"), "{id:?}");
    }
}

#[test]
fn statuses_settle_attempts_the_same_way_in_every_dialect() {
    let ctx = outcome_ctx("att_1", "2026-01-01T00:00:00Z", None);
    for id in DialectId::ALL {
        for status in [400, 403, 404, 409, 410, 422, 429, 499] {
            let o = id.read_outcome(status, "not even json", &ctx).unwrap().unwrap();
            assert_eq!(o.result, OutcomeResult::NotSent, "{id:?} {status}");
        }
        for status in [100, 301, 500, 502, 504, 599] {
            assert_eq!(id.read_outcome(status, "not even json", &ctx).unwrap(), None, "{id:?} {status}");
        }
        // A 2xx is read: a body that is not JSON is an error, never a guess.
        assert!(id.read_outcome(200, "not even json", &ctx).is_err(), "{id:?}");
    }
    // Coinflow reads its 402 as a decline.
    let o =
        DialectId::Coinflow.read_outcome(402, r#"{"message": "Insufficient funds"}"#, &ctx).unwrap().unwrap();
    assert_eq!(o.result, OutcomeResult::Declined);
}
