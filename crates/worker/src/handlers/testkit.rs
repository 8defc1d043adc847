//! The canonical API's test world: stores in memory, a fake processor, a fixed clock, seeded with a
//! policy and an agreement (native unit tests of the handlers and the proxies).

use std::cell::RefCell;

use mitgate_core::time::Timestamp;
use mitgate_dialects::DialectId;

use super::{agreements, charges, policy};
use crate::app::{App, Call, Config, Forwarded, Outbound, Processor, DEFAULT_MAX_BODY_BYTES};
use crate::auth::MerchantKeys;
use crate::http::{HttpRequest, HttpResponse};
use crate::store::memory::MemoryKv;
use crate::store::Stores;
pub(crate) use crate::test_util::block_on;

/// A call without path parameters.
pub(crate) fn call<'r>(merchant: &'r str, request: &'r HttpRequest) -> Call<'r> {
    Call::new(merchant, request)
}

/// A call on `/v1/agreements/{id}`.
pub(crate) fn on<'r>(merchant: &'r str, id: &'r str, request: &'r HttpRequest) -> Call<'r> {
    Call { id, ..Call::new(merchant, request) }
}

pub(crate) struct FakeProcessor {
    pub answer: RefCell<Forwarded>,
    pub sent: RefCell<Vec<Outbound>>,
}

impl Processor for FakeProcessor {
    async fn send(&self, request: Outbound, _timeout_ms: u64) -> Forwarded {
        self.sent.borrow_mut().push(request);
        self.answer.borrow().clone()
    }
}

pub(crate) fn approved() -> Forwarded {
    Forwarded::Answered(HttpResponse::json(200, &serde_json::json!({"paymentId": "pay_mit_1"})))
}

pub(crate) struct World {
    pub stores: Stores<MemoryKv>,
    pub processor: FakeProcessor,
    pub config: Config,
    pub ids: RefCell<u32>,
}

impl World {
    pub(crate) fn new() -> Self {
        World {
            stores: Stores::new(
                MemoryKv::default(),
                MemoryKv::default(),
                MemoryKv::default(),
                MemoryKv::default(),
            ),
            processor: FakeProcessor { answer: RefCell::new(approved()), sent: RefCell::new(Vec::new()) },
            config: Config {
                keys: MerchantKeys::parse(r#"{"sk_test_demo":"demo"}"#).unwrap(),
                processor_urls: vec![(DialectId::Coinflow, "http://processor.test".into())],
                max_body_bytes: DEFAULT_MAX_BODY_BYTES,
                processor_timeout_ms: 1000,
                sandbox_headers: false,
            },
            ids: RefCell::new(0),
        }
    }

    pub(crate) fn run<T>(&self, f: impl FnOnce(&App<'_, MemoryKv, FakeProcessor>) -> T) -> T {
        let new_id = || {
            *self.ids.borrow_mut() += 1;
            format!("att_{}", self.ids.borrow())
        };
        // One request: it holds only the agreement values it reads itself.
        self.stores.forget_held();
        let app = App {
            stores: &self.stores,
            processor: &self.processor,
            config: &self.config,
            now: Timestamp::parse(NOW).unwrap(),
            new_id: &new_id,
        };
        f(&app)
    }
}

pub(crate) fn req(method: &str, path: &str, body: &str, headers: &[(&str, &str)]) -> HttpRequest {
    HttpRequest {
        method: method.into(),
        path: path.into(),
        query: String::new(),
        headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        body: body.as_bytes().to_vec(),
        origin: String::new(),
    }
}

pub(crate) const POLICY: &str = r#"{"enabled": true, "maxCount": 1, "period": 86400, "maxMultiple": 3, "maxZeroAuthAmount": {"cents": 2000}}"#;
pub(crate) const AGREEMENT: &str = r#"{"agreement": {"id": "pay_1", "merchantId": "demo", "type": "unscheduled",
    "established": {"method": "zero_auth", "at": "2026-05-30T00:00:00Z"}, "currency": "USD",
    "paymentMethod": {"type": "card", "brand": "visa"}, "credential": {"token": "tok_1"},
    "consent": {"storeCredential": true, "merchantInitiated": true}}, "dialect": "coinflow"}"#;
pub(crate) const CHARGE: &str = r#"{"reference": "pay_1", "amount": {"amount": "10.00", "currency": "USD"}}"#;

pub(crate) fn seeded() -> World {
    seed(World::new())
}

/// The Durable Object store (objects in memory, same `objects::apply`), in a warm isolate: what it wrote
/// (the policy, the agreement) is kept per isolate as the Worker keeps it (`PolicyCache`).
pub(crate) fn seeded_objects() -> World {
    let mut w = World::new();
    w.stores =
        Stores::new(MemoryKv::default(), MemoryKv::default(), MemoryKv::default(), MemoryKv::default())
            .with_objects(MemoryKv::default())
            .with_policy_cache(std::rc::Rc::default(), Timestamp::parse(NOW).unwrap());
    seed(w)
}

/// The fixed clock of every request.
pub(crate) const NOW: &str = "2026-06-01T12:00:00Z";

fn seed(w: World) -> World {
    w.run(|app| {
        assert_eq!(
            block_on(policy::put(app, &call("demo", &req("PUT", "/v1/policy", POLICY, &[])))).unwrap().status,
            200
        );
        let r = req("PUT", "/v1/agreements/pay_1", AGREEMENT, &[]);
        let r = block_on(agreements::put(app, &Call { id: "pay_1", ..call("demo", &r) }));
        assert_eq!(r.unwrap().status, 201);
    });
    w
}

pub(crate) fn charge_once(w: &World, headers: &[(&str, &str)]) -> HttpResponse {
    w.run(|app| {
        let r = req("POST", "/v1/charges", CHARGE, headers);
        crate::app::flatten(block_on(charges::post(app, &call("demo", &r))))
    })
}
