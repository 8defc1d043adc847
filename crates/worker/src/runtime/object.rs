//! The Durable Object (`MitgateObject`, binding `OBJECTS`): each request is one `ObjectOp`, run by
//! `store::durable_object::apply` over the object's own SQLite table.

use worker::{durable_object, DurableObject, Env, Request, Response, State};

use crate::store::durable_object::{self as objects, ObjectOp};
use crate::store::{Kv, StoreError};

/// A Durable Object's own SQLite database, as the [`Kv`] trait `objects::apply` runs over: one table of
/// keys and values, read and written with the synchronous SQL API. Nothing here awaits, so an operation
/// completes in a single poll and no other request to the object can interleave with it, whatever the
/// runtime's input gates do.
struct ObjectStorage(worker::SqlStorage);

impl ObjectStorage {
    fn open(storage: worker::Storage) -> Result<Self, StoreError> {
        let sql = storage.sql();
        sql.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)", None)
            .map_err(|e| StoreError(format!("cannot open the object's table: {e}")))?;
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
/// requests to one object never interleave (`store/durable_object.rs`).
#[durable_object]
pub struct MitgateObject {
    state: State,
}

impl DurableObject for MitgateObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let text = req.text().await?;
        let op: ObjectOp = match mitgate_core::json::from_str(&text) {
            Ok(op) => op,
            Err(e) => return Response::error(format!("unknown operation: {e}"), 400),
        };
        let storage = match ObjectStorage::open(self.state.storage()) {
            Ok(s) => s,
            Err(e) => return Response::error(e.0, 500),
        };
        match objects::apply(&storage, op).await {
            Ok(body) => Response::ok(body),
            Err(e) => Response::error(e.0, 500),
        }
    }
}
