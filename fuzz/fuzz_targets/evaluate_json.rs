//! The engine's JSON entry points never panic and always answer with tagged JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for answer in [mitgate_core::api::evaluate_json(text), mitgate_core::api::limits_json(text)] {
        assert!(
            answer.starts_with(r#"{"type":"success""#) || answer.starts_with(r#"{"type":"failure""#),
            "untagged answer: {answer}"
        );
    }
});
