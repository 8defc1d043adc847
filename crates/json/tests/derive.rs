//! `#[derive(FromJson)]` reads what serde's attributes say: names, renames, defaults, optional fields,
//! skipped fields, unknown-field refusal, and unit enums; errors name the field and quote serde's wording.

#![allow(
    clippy::unwrap_used,
    reason = "a test crate of its own (clippy.toml covers #[test] functions only): its helpers fail the test loudly"
)]

use mitgate_json::{from_str, FromJson};

fn yes() -> bool {
    true
}

#[derive(Debug, PartialEq, FromJson)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Strict {
    merchant_id: String,
    #[serde(rename = "type")]
    kind: Color,
    customer_id: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default = "yes")]
    mit_compatible: bool,
    #[serde(default)]
    note: Option<u32>,
    #[serde(skip_deserializing)]
    computed: u8,
}

#[derive(Debug, PartialEq, FromJson)]
#[serde(rename_all = "snake_case")]
enum Color {
    Red,
    DarkBlue,
    #[serde(skip_deserializing)]
    #[allow(dead_code, reason = "never read: skip_deserializing is what the test is about")]
    Hidden,
}

/// A processor body: unknown keys are skipped, every field optional.
#[derive(Debug, PartialEq, FromJson)]
#[serde(rename_all = "camelCase")]
struct Lenient<C> {
    payment_id: Option<String>,
    #[serde(rename = "transactionID")]
    transaction_id: Option<String>,
    content: Option<C>,
}

fn error<T: FromJson + std::fmt::Debug>(text: &str) -> String {
    from_str::<T>(text).unwrap_err().to_string()
}

#[test]
fn reads_names_renames_and_defaults() {
    let s: Strict = from_str(r#"{"merchantId": "m", "type": "dark_blue"}"#).unwrap();
    assert_eq!(
        s,
        Strict {
            merchant_id: "m".into(),
            kind: Color::DarkBlue,
            customer_id: None,
            tags: vec![],
            mit_compatible: true,
            note: None,
            computed: 0,
        }
    );
    let s: Strict = from_str(
        r#"{"note": null, "mitCompatible": false, "tags": ["a"], "customerId": "c", "type": "red", "merchantId": "m"}"#,
    )
    .unwrap();
    assert_eq!(
        (s.customer_id.as_deref(), s.tags.len(), s.mit_compatible, s.note),
        (Some("c"), 1, false, None)
    );
}

#[test]
fn errors_name_the_field_in_serde_words() {
    let expected_fields =
        "expected one of `merchantId`, `type`, `customerId`, `tags`, `mitCompatible`, `note`";
    for (text, expected) in [
        (r#"{"type": "red"}"#.to_string(), "missing field `merchantId` at line 1 column 1".to_string()),
        (
            r#"{"merchantId": "m", "type": "red", "computed": 1}"#.to_string(),
            format!("computed: unknown field `computed`, {expected_fields} at line 1 column 48"),
        ),
        (
            r#"{"merchantId": "m", "merchantId": "n", "type": "red"}"#.to_string(),
            "merchantId: duplicate field `merchantId` at line 1 column 35".to_string(),
        ),
        (
            r#"{"merchantId": "m", "type": "hidden"}"#.to_string(),
            "type: unknown variant `hidden`, expected `red` or `dark_blue` at line 1 column 29".to_string(),
        ),
        (
            r#"{"merchantId": "m", "type": "red", "mitCompatible": null}"#.to_string(),
            "mitCompatible: invalid type: null, expected a boolean at line 1 column 53".to_string(),
        ),
        (
            r#"{"merchantId": 5, "type": "red"}"#.to_string(),
            "merchantId: invalid type: integer `5`, expected a string at line 1 column 16".to_string(),
        ),
    ] {
        assert_eq!(error::<Strict>(&text), expected, "{text}");
    }
}

#[test]
fn lenient_types_skip_unknown_keys_but_not_duplicates() {
    let l: Lenient<Color> =
        from_str(r#"{"x": 1, "x": 2, "transactionID": "t", "content": "red", "paymentId": null}"#).unwrap();
    assert_eq!(l, Lenient { payment_id: None, transaction_id: Some("t".into()), content: Some(Color::Red) });
    assert_eq!(
        error::<Lenient<Color>>(r#"{"paymentId": "a", "paymentId": "b"}"#),
        "paymentId: duplicate field `paymentId` at line 1 column 33"
    );
    assert_eq!(
        error::<Lenient<Color>>(r#"{"content": "blue"}"#),
        "content: unknown variant `blue`, expected `red` or `dark_blue` at line 1 column 13"
    );
}
