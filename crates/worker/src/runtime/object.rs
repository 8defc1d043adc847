//! The Durable Object (`MitgateObject`, binding `OBJECTS`): each request is one `ObjectOp`, run by
//! `store::durable_object::apply` over the object's own SQLite table and the values it keeps parsed in
//! memory between requests (`ObjectState`).

use std::cell::{Cell, RefCell};

use worker::{durable_object, DurableObject, Env, Request, Response, State};

use crate::store::durable_object::{self as objects, ObjectOp, ObjectState};
use crate::store::{Kv, StoreError};

/// A Durable Object's own SQLite database, as the [`Kv`] trait `objects::apply` runs over: one table of
/// keys and values, read and written with the synchronous SQL API. Nothing here awaits, so an operation
/// completes in a single poll and no other request to the object can interleave with it, whatever the
/// runtime's input gates do.
struct ObjectStorage(worker::SqlStorage);

impl ObjectStorage {
    /// The object's table; created on the first request of each object instance (`created`).
    fn open(storage: worker::Storage, created: &Cell<bool>) -> Result<Self, StoreError> {
        let sql = storage.sql();
        if !created.get() {
            sql.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)", None)
                .map_err(|e| StoreError(format!("cannot open the object's table: {e}")))?;
            created.set(true);
        }
        Ok(ObjectStorage(sql))
    }
}

impl Kv for ObjectStorage {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let cursor = self
            .0
            .exec("SELECT value FROM kv WHERE key = ?", Some(vec![key.into()]))
            .map_err(|e| StoreError(e.to_string()))?;
        match cursor.raw().next() {
            None => Ok(None),
            Some(row) => {
                let row = row.map_err(|e| StoreError(e.to_string()))?;
                match row.into_iter().next() {
                    Some(worker::SqlStorageValue::String(text)) => Ok(Some(text)),
                    _ => Err(StoreError(format!("the object's value at `{key}` is not text"))),
                }
            }
        }
    }

    async fn put(&self, key: &str, value: &str, _ttl_seconds: Option<u64>) -> Result<(), StoreError> {
        self.0
            .exec(
                "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                Some(vec![key.into(), value.into()]),
            )
            .map(|_| ())
            .map_err(|e| StoreError(e.to_string()))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0
            .exec("DELETE FROM kv WHERE key = ?", Some(vec![key.into()]))
            .map(|_| ())
            .map_err(|e| StoreError(e.to_string()))
    }
}

/// The exact store: one object per agreement (its attempt ledger, check-and-reserve) and one per
/// idempotency key. Each request is one [`ObjectOp`]; the object makes no I/O but its own storage, so
/// requests to one object never interleave (`store/durable_object.rs`). What it read is kept parsed in
/// `memory` until the runtime evicts the object (then the next request reads its storage again).
#[durable_object]
pub struct MitgateObject {
    state: State,
    table_created: Cell<bool>,
    memory: RefCell<ObjectState>,
}

impl DurableObject for MitgateObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state, table_created: Cell::new(false), memory: RefCell::new(ObjectState::default()) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let text = req.text().await?;
        let op: ObjectOp = match mitgate_core::json::from_str(&text) {
            Ok(op) => op,
            Err(e) => return Response::error(format!("unknown operation: {e}"), 400),
        };
        let storage = match ObjectStorage::open(self.state.storage(), &self.table_created) {
            Ok(s) => s,
            Err(e) => return Response::error(e.0, 500),
        };
        // Taken out for the operation (it completes in one poll: nothing else runs on this object
        // meanwhile) and put back only when it succeeded: a failed one leaves an empty state, so the next
        // request reads storage again.
        let mut memory = self.memory.take();
        match objects::apply(&storage, &mut memory, op).await {
            Ok(body) => {
                self.memory.replace(memory);
                Response::ok(body)
            }
            Err(e) => Response::error(e.0, 500),
        }
    }
}
