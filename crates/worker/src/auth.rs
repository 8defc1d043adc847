//! Merchant authentication: `X-Mitgate-Key` against keys configured as a secret, compared in constant time.
//!
//! The secret `MITGATE_MERCHANT_KEYS` is a JSON object mapping each key to its merchant id:
//! `{"sk_live_…": "merchant_a", "sk_live_…2": "merchant_b"}`. A merchant may have several keys
//! (rotation). Keys are hashed with SHA-256 when loaded; a presented key is hashed too, then compared
//! with every configured digest without early exit, so timing reveals neither which key nor how much
//! of it matched, nor its length.

use sha2::{Digest, Sha256};

use mitgate_core::json::Kind;

/// The header carrying the merchant's mitgate key.
pub(crate) const KEY_HEADER: &str = "x-mitgate-key";

/// A merchant id is 1-128 printable ASCII characters, never `/`.
///
/// INVARIANT: storage keys join components with `/` and the merchant id is the first variable component
/// of every key holding one (`token/v1/{merchant}/{token}`, `store.rs`), so a merchant id without `/` makes
/// every such key name exactly one (merchant, rest) pair: merchant `a/b` with token `c` can never collide
/// with merchant `a` and token `b/c`.
pub(crate) fn valid_merchant_id(merchant: &str) -> bool {
    !merchant.is_empty()
        && merchant.len() <= 128
        && merchant.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'/')
}

/// Configured keys, as digests.
#[derive(Debug, Default)]
pub(crate) struct MerchantKeys {
    keys: Vec<([u8; 32], String)>,
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// Constant-time equality of two digests.
fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b.iter()) {
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

impl MerchantKeys {
    /// Parses the secret. Keys shorter than 8 characters, keys given twice and invalid merchant ids are
    /// refused, so a typo cannot configure a guessable or ambiguous key. Messages never quote the secret.
    pub fn parse(json: &str) -> Result<Self, String> {
        let value = mitgate_core::json::parse(json)
            .map_err(|e| format!("MITGATE_MERCHANT_KEYS is not a JSON object: {}", e.message))?;
        let Kind::Object(entries) = &value.kind else {
            return Err("MITGATE_MERCHANT_KEYS is not a JSON object".into());
        };
        let mut keys: Vec<([u8; 32], String)> = Vec::with_capacity(entries.len());
        for (key, merchant) in entries {
            let Kind::String(merchant) = &merchant.kind else {
                return Err("MITGATE_MERCHANT_KEYS: every value must be a merchant id string".into());
            };
            if key.len() < 8 {
                return Err("MITGATE_MERCHANT_KEYS: every key must be at least 8 characters".into());
            }
            if !valid_merchant_id(merchant) {
                return Err("MITGATE_MERCHANT_KEYS: merchant ids must be 1-128 printable ASCII characters \
                            other than `/`"
                    .into());
            }
            let d = digest(key);
            if keys.iter().any(|(k, _)| *k == d) {
                return Err("MITGATE_MERCHANT_KEYS: a key is given more than once".into());
            }
            keys.push((d, merchant.to_string()));
        }
        Ok(MerchantKeys { keys })
    }

    /// The merchant owning `presented`, comparing against every key.
    pub fn authenticate(&self, presented: &str) -> Option<&str> {
        let d = digest(presented);
        let mut found = None;
        for (k, merchant) in &self.keys {
            if ct_eq(&d, k) {
                found = Some(merchant.as_str());
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authenticates_each_key_to_its_merchant() {
        let keys = MerchantKeys::parse(r#"{"sk_test_demo":"demo","sk_test_other":"other"}"#).unwrap();
        assert_eq!(keys.authenticate("sk_test_demo"), Some("demo"));
        assert_eq!(keys.authenticate("sk_test_other"), Some("other"));
        assert_eq!(keys.authenticate("sk_test_dem"), None);
        assert_eq!(keys.authenticate(""), None);
    }

    #[test]
    fn refuses_bad_configuration() {
        assert!(MerchantKeys::parse("[]").is_err());
        assert!(MerchantKeys::parse(r#"{"short":"m"}"#).is_err());
        assert!(MerchantKeys::parse(r#"{"sk_test_long":1}"#).is_err());
        assert!(MerchantKeys::parse(r#"{"sk_test_long":"has space"}"#).is_err());
        assert!(MerchantKeys::parse(r#"{"sk_test_long":"a","sk_test_long":"b"}"#).is_err(), "ambiguous");
        assert!(MerchantKeys::parse("{").is_err());
        // Key components are joined with `/`: a merchant id holding one could collide with another's keys.
        let slash = MerchantKeys::parse(r#"{"sk_test_long":"demo/x"}"#).unwrap_err();
        assert!(slash.contains('/'), "{slash}");
        let quoted = MerchantKeys::parse(r#""sk_live_secret""#).unwrap_err();
        assert!(!quoted.contains("secret"), "{quoted}");
    }
}
