//! Workers KV and the Durable Object namespace behind the store's [`Kv`] trait, and the [`Stores`] one
//! request uses (`MITGATE_STORE`: `kv` or `durable_object`).

use std::cell::Cell;
use std::rc::Rc;

use worker::{console_log, Env, Method, Request, RequestInit};

use super::env::var;
use crate::error::ErrorCode;
use crate::http::HttpResponse;
use crate::redact::redact_card_numbers;
use crate::store::{Kv, PolicyCache, StoreError, Stores};

/// One KV namespace, or the Durable Object namespace (`MITGATE_STORE = "durable_object"`).
pub(super) struct WorkerKv {
    backend: Backend,
    /// Test hook (`MITGATE_TEST_HOOKS`): while set, every operation fails, as an unavailable store would.
    fail: Rc<Cell<bool>>,
    /// The request this store serves: a runtime error is logged under it, never answered.
    request_id: Rc<str>,
}

enum Backend {
    Kv(worker::kv::KvStore),
    Objects(worker::ObjectNamespace),
}

impl WorkerKv {
    /// A runtime error (its message may carry a JS stack, a file path or a wasm offset) is logged under
    /// the request id; the caller gets only what failed and that id.
    fn failed(&self, what: &str, key: &str, e: impl std::fmt::Display) -> StoreError {
        console_log!(
            "{} {what} `{}` failed: {}",
            self.request_id,
            redact_card_numbers(key),
            redact_card_numbers(&e.to_string())
        );
        StoreError(format!("{what} failed (details logged under request {})", self.request_id))
    }

    fn kv(&self) -> Result<&worker::kv::KvStore, StoreError> {
        if self.fail.get() {
            return Err(StoreError("injected store failure (test hook)".into()));
        }
        match &self.backend {
            Backend::Kv(kv) => Ok(kv),
            Backend::Objects(_) => Err(StoreError("not a KV namespace".into())),
        }
    }
}

impl Kv for WorkerKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.kv()?.get(key).text().await.map_err(|e| self.failed("KV get", key, e))
    }

    async fn put(&self, key: &str, value: &str, ttl_seconds: Option<u64>) -> Result<(), StoreError> {
        let mut put = self.kv()?.put(key, value).map_err(|e| self.failed("KV put", key, e))?;
        if let Some(ttl) = ttl_seconds {
            put = put.expiration_ttl(ttl.max(60));
        }
        put.execute().await.map_err(|e| self.failed("KV put", key, e))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.kv()?.delete(key).await.map_err(|e| self.failed("KV delete", key, e))
    }

    async fn call_object(&self, name: &str, body: &str) -> Result<String, StoreError> {
        let err = |e: worker::Error| self.failed("Durable Object call", name, e);
        if self.fail.get() {
            return Err(StoreError("injected Durable Object failure (test hook)".into()));
        }
        let Backend::Objects(ns) = &self.backend else {
            return Err(StoreError("not a Durable Object namespace".into()));
        };
        let stub = ns.id_from_name(name).and_then(|id| id.get_stub()).map_err(err)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(body.into()));
        let request = Request::new_with_init("https://object.mitgate/op", &init).map_err(err)?;
        let mut resp = stub.fetch_with_request(request).await.map_err(err)?;
        let text = resp.text().await.map_err(err)?;
        if resp.status_code() != 200 {
            return Err(self.failed(
                "Durable Object call",
                name,
                format!("answered {}: {text}", resp.status_code()),
            ));
        }
        Ok(text)
    }
}

/// A store-failure flag the processor sets once it has forwarded (test hook).
pub(super) type AfterSend = Option<Rc<Cell<bool>>>;

thread_local! {
    /// The isolate's policies (store.rs, `PolicyCache`): kept between requests, read again after
    /// `POLICY_TTL_SECONDS`.
    static POLICY_CACHE: Rc<PolicyCache> = Rc::new(PolicyCache::default());
}

/// The stores, and the flag a fault injected after forwarding sets.
pub(super) fn stores(
    env: &Env,
    fault: Option<&str>,
    request_id: &Rc<str>,
) -> Result<(Stores<WorkerKv>, AfterSend), HttpResponse> {
    // `cold-isolate` may come with another fault, after a comma (`kv,cold-isolate`).
    let (fault, cold) = match fault.and_then(|f| f.split_once(',')) {
        Some((f, "cold-isolate")) => (Some(f), true),
        _ => (fault.filter(|f| *f != "cold-isolate"), fault == Some("cold-isolate")),
    };
    let kv_fail = Rc::new(Cell::new(fault == Some("kv")));
    let do_fail = Rc::new(Cell::new(fault == Some("do")));
    let after_send = match fault {
        Some("kv-after-send") => Some(kv_fail.clone()),
        Some("do-after-send") => Some(do_fail.clone()),
        _ => None,
    };
    let kv = |name: &str| {
        env.kv(name)
            .map(|k| WorkerKv {
                backend: Backend::Kv(k),
                fail: kv_fail.clone(),
                request_id: request_id.clone(),
            })
            .map_err(|_| {
                HttpResponse::error(
                    ErrorCode::NotConfigured,
                    format!("the KV namespace binding {name} is missing"),
                )
            })
    };
    let stores = Stores::new(kv("AGREEMENTS")?, kv("POLICIES")?, kv("VELOCITY")?, kv("IDEMPOTENCY")?)
        // Test hook `cold-isolate`: the request starts from an empty cache, as in a new isolate.
        .with_policy_cache(
            if cold { Rc::default() } else { POLICY_CACHE.with(Rc::clone) },
            super::env::now(),
        );
    match var(env, "MITGATE_STORE").as_deref().unwrap_or("kv") {
        // Ledgers in KV; idempotency keys are still claimed atomically in a Durable Object when the
        // binding exists (it does in wrangler.toml), so a key never forwards twice (issue 15, item 3).
        "kv" => Ok(match env.durable_object("OBJECTS") {
            Ok(ns) => (
                stores.with_claim_objects(WorkerKv {
                    backend: Backend::Objects(ns),
                    fail: do_fail,
                    request_id: request_id.clone(),
                }),
                after_send,
            ),
            Err(_) => (stores, after_send),
        }),
        "durable_object" => {
            let ns = env.durable_object("OBJECTS").map_err(|_| {
                HttpResponse::error(
                    ErrorCode::NotConfigured,
                    "MITGATE_STORE is durable_object but the Durable Object binding OBJECTS is missing",
                )
            })?;
            let objects =
                WorkerKv { backend: Backend::Objects(ns), fail: do_fail, request_id: request_id.clone() };
            Ok((stores.with_objects(objects), after_send))
        }
        other => Err(HttpResponse::error(
            ErrorCode::NotConfigured,
            format!(
                "MITGATE_STORE must be \"kv\" or \"durable_object\", not `{}`",
                other.chars().take(32).collect::<String>()
            ),
        )),
    }
}
