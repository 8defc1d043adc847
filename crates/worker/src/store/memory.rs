//! An in-memory namespace for native tests; as a Durable Object namespace it runs the same
//! [`super::durable_object::apply`] the object runs, each object's keys under `{name}#`, and keeps each
//! object's [`ObjectState`] between calls as the runtime keeps a live object ([`MemoryKv::evict`] drops
//! them, as the runtime may).

use super::durable_object::{apply, ObjectOp, ObjectState};
use super::{Kv, StoreError};
use std::cell::RefCell;
use std::collections::BTreeMap;

#[derive(Default)]
/// A namespace in memory, with switches that make its operations fail.
pub struct MemoryKv {
    pub map: RefCell<BTreeMap<String, String>>,
    pub fail: RefCell<bool>,
    /// Reads fail, writes succeed.
    pub fail_reads: RefCell<bool>,
    /// Writes fail, reads succeed.
    pub fail_writes: RefCell<bool>,
    /// Reads fail once a write has succeeded (a store lost right after a reservation).
    pub fail_reads_after_put: RefCell<bool>,
    /// Each live object's memory, by name.
    pub objects: RefCell<BTreeMap<String, ObjectState>>,
}

impl MemoryKv {
    /// Every object is evicted: the next call to each starts from its storage.
    pub fn evict(&self) {
        self.objects.borrow_mut().clear();
    }
}

impl Kv for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        if *self.fail.borrow() || *self.fail_reads.borrow() {
            return Err(StoreError("injected failure".into()));
        }
        Ok(self.map.borrow().get(key).cloned())
    }
    async fn put(&self, key: &str, value: &str, _ttl: Option<u64>) -> Result<(), StoreError> {
        if *self.fail.borrow() || *self.fail_writes.borrow() {
            return Err(StoreError("injected failure".into()));
        }
        if *self.fail_reads_after_put.borrow() {
            *self.fail_reads.borrow_mut() = true;
        }
        self.map.borrow_mut().insert(key.to_string(), value.to_string());
        Ok(())
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.map.borrow_mut().remove(key);
        Ok(())
    }
    /// A Durable Object namespace in memory: each object's keys under `{name}#`.
    /// The operation travels as text and is read back as the object reads it.
    async fn call_object(&self, name: &str, op: &str) -> Result<String, StoreError> {
        if *self.fail.borrow() {
            return Err(StoreError("injected failure".into()));
        }
        let op: ObjectOp =
            mitgate_core::json::from_str(op).map_err(|e| StoreError(format!("unknown operation: {e}")))?;
        let mut state = self.objects.borrow_mut().remove(name).unwrap_or_default();
        let answer = apply(&Prefixed { kv: self, prefix: format!("{name}#") }, &mut state, op).await;
        // A failed operation drops the object's memory (runtime/object.rs does the same).
        if answer.is_ok() {
            self.objects.borrow_mut().insert(name.to_string(), state);
        }
        answer
    }
}

struct Prefixed<'a> {
    kv: &'a MemoryKv,
    prefix: String,
}

impl Kv for Prefixed<'_> {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.kv.map.borrow().get(&format!("{}{key}", self.prefix)).cloned())
    }
    async fn put(&self, key: &str, value: &str, _ttl: Option<u64>) -> Result<(), StoreError> {
        self.kv.map.borrow_mut().insert(format!("{}{key}", self.prefix), value.to_string());
        Ok(())
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.kv.map.borrow_mut().remove(&format!("{}{key}", self.prefix));
        Ok(())
    }
}
