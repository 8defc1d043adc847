//! Every dialect's MIT parser, request classifier, outcome reader and error renderer never panic on any
//! body, and whatever parses renders back (allowed or refused) without panicking either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mitgate_core::time::Timestamp;
use mitgate_dialects::{DialectId, MitContext, OutcomeContext};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(now) = Timestamp::parse("2026-04-17T10:15:30Z") else { return };
    let headers = [("x-user-id", "customer-123"), ("idempotency-key", "fuzz-1")];
    let mit = MitContext { merchant_id: "m_fuzz", headers: &headers, notice_sent_at: None };
    let outcome = OutcomeContext { attempt_id: "att_fuzz", at: now, network: None };
    for dialect in DialectId::ALL.iter().copied() {
        for path in ["/api/checkout/merchant-initiated-transaction", "/api/v2/payments", "/api/intents/auto-attempt", "/"] {
            let _ = dialect.classify("POST", path, text);
        }
        if let Err(errors) = dialect.parse_mit(text, &mit) {
            let rendered = dialect.render_errors(&errors);
            assert!((400..500).contains(&rendered.status), "bad input must render a 4xx");
        }
        for status in [200, 402, 403, 500] {
            let _ = dialect.read_outcome(status, text, &outcome);
        }
    }
});
