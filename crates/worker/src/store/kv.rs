//! The one storage primitive every store runs over: a namespace of text values ([`Kv`]). Workers KV,
//! a Durable Object's own SQLite table and native tests' memory all implement it.

/// A KV failure: unavailable, rate-limited, or a stored value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoreError(pub String);

/// The operations mitgate needs from one KV namespace.
#[allow(async_fn_in_trait, reason = "single-threaded Worker: futures need not be Send")]
pub(crate) trait Kv {
    /// Reads a value.
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Writes a value, optionally expiring after `ttl_seconds` (KV's minimum is 60).
    async fn put(&self, key: &str, value: &str, ttl_seconds: Option<u64>) -> Result<(), StoreError>;
    /// Deletes a value.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Sends one operation (an encoded `ObjectOp`) to the Durable Object named `name`; only a Durable
    /// Object namespace answers.
    async fn call_object(&self, name: &str, op: &str) -> Result<String, StoreError> {
        let _ = (name, op);
        Err(StoreError("not a Durable Object namespace".into()))
    }
}
