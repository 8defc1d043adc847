//! mitgate's JSON parser against serde_json, the parser it replaced: both accept or both refuse any text
//! (serde_json alone refuses numbers beyond f64's range), and what both accept is the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mitgate_core::json::{parse, Kind, Value};

fn to_serde(v: &Value<'_>) -> serde_json::Value {
    match &v.kind {
        Kind::Null => serde_json::Value::Null,
        Kind::Bool(b) => serde_json::Value::Bool(*b),
        Kind::Number(n) => serde_json::from_str(n).unwrap_or(serde_json::Value::Null),
        Kind::String(s) => serde_json::Value::String(s.to_string()),
        Kind::Array(items) => serde_json::Value::Array(items.iter().map(to_serde).collect()),
        Kind::Object(entries) => {
            serde_json::Value::Object(entries.iter().map(|(k, v)| (k.to_string(), to_serde(v))).collect())
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match (parse(text), serde_json::from_str::<serde_json::Value>(text)) {
        (Ok(ours), Ok(theirs)) => assert_eq!(to_serde(&ours), theirs, "{text:?}"),
        (Err(_), Err(_)) => {}
        (Ok(_), Err(e)) => assert!(e.to_string().contains("number out of range"), "only mitgate accepts {text:?}"),
        (Err(e), Ok(_)) => panic!("only serde_json accepts {text:?}: {e}"),
    }
});
