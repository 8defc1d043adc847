//! Host-independent HTTP values: the Worker shell converts `worker::Request`/`Response` to and from
//! these, so every handler is a plain async function that native unit tests can drive.

use serde::Serialize;

use mitgate_core::validate::FieldError;

/// An incoming request. Header names are lower-case.
#[derive(Debug, Clone, Default)]
pub(crate) struct HttpRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8, or a 400 naming the body.
    pub fn text(&self) -> Result<&str, HttpResponse> {
        std::str::from_utf8(&self.body)
            .map_err(|_| HttpResponse::error(400, "invalid_body", "the request body is not UTF-8 text"))
    }

    /// A query parameter (no percent-decoding beyond `+`; values here are plain ids).
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k == name).then(|| v.replace('+', " "))
        })
    }
}

/// An outgoing response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub(crate) struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    #[serde(with = "body_text")]
    pub body: Vec<u8>,
}

/// Responses are stored (idempotency) as UTF-8 text: every body mitgate stores is JSON or XML.
mod body_text {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(b))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        Ok(String::deserialize(d)?.into_bytes())
    }
}

const JSON: &str = "application/json; charset=utf-8";

impl HttpResponse {
    /// A JSON response.
    pub fn json<T: Serialize>(status: u16, value: &T) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_else(|_| {
            br#"{"error":{"code":"internal","message":"could not serialize the response"}}"#.to_vec()
        });
        HttpResponse { status, headers: vec![("content-type".into(), JSON.into())], body }
    }

    /// Raw JSON text.
    pub fn json_text(status: u16, text: String) -> Self {
        HttpResponse { status, headers: vec![("content-type".into(), JSON.into())], body: text.into_bytes() }
    }

    /// mitgate's error shape: `{"error": {"code", "message", "fields"?}}`.
    pub fn error(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self::json(status, &serde_json::json!({"error": {"code": code, "message": message.into()}}))
    }

    /// A 400 listing every invalid field by path.
    pub fn invalid(errors: &[FieldError]) -> Self {
        let message = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        Self::json(
            400,
            &serde_json::json!({"error": {"code": "invalid_request", "message": message, "fields": errors}}),
        )
    }

    /// Adds (or replaces) a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn body_json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// The path of the first key that appears twice in one JSON object (`amount.currency`, `items[2].id`),
/// if any. JSON with duplicate keys is ambiguous (parsers keep the first or the last); mitgate refuses
/// it. Text that is not JSON gives `None`: the parser that reads it reports that.
pub(crate) fn duplicate_key(text: &str) -> Option<String> {
    use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};

    struct Walk(String);

    const SENTINEL: &str = "\u{0}duplicate:";

    impl<'de> DeserializeSeed<'de> for Walk {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for Walk {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = std::collections::BTreeSet::new();
            while let Some(key) = map.next_key::<String>()? {
                let path = if self.0.is_empty() { key.clone() } else { format!("{}.{key}", self.0) };
                if !seen.insert(key) {
                    return Err(A::Error::custom(format!("{SENTINEL}{path}")));
                }
                map.next_value_seed(Walk(path))?;
            }
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut i = 0usize;
            while seq.next_element_seed(Walk(format!("{}[{i}]", self.0)))?.is_some() {
                i = i.saturating_add(1);
            }
            Ok(())
        }
        fn visit_bool<E: Error>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E: Error>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E: Error>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E: Error>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E: Error>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E: Error>(self) -> Result<(), E> {
            Ok(())
        }
    }

    let mut de = serde_json::Deserializer::from_str(text);
    match Walk(String::new()).deserialize(&mut de) {
        Ok(()) => None,
        Err(e) => {
            let m = e.to_string();
            m.find(SENTINEL).map(|i| {
                let rest = m.get(i.saturating_add(SENTINEL.len())..).unwrap_or("");
                // serde_json appends " at line L column C".
                rest.rsplit_once(" at line ").map_or(rest, |(p, _)| p).to_string()
            })
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::duplicate_key;

    #[test]
    fn finds_duplicate_keys_by_path() {
        assert_eq!(duplicate_key(r#"{"a": 1, "b": {"c": 1, "c": 2}}"#).as_deref(), Some("b.c"));
        assert_eq!(duplicate_key(r#"{"a": 1, "a": 1}"#).as_deref(), Some("a"));
        assert_eq!(duplicate_key(r#"{"x": [{"k": 1}, {"k": 1, "k": 2}]}"#).as_deref(), Some("x[1].k"));
        assert_eq!(duplicate_key(r#"{"a": 1, "b": {"a": 2}}"#), None);
        assert_eq!(duplicate_key("{not json"), None);
    }
}
