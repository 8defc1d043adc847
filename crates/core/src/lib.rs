//! # mitgate-core
//!
//! The pure rule engine of mitgate: may this merchant-initiated card transaction (MIT) go ahead, and how
//! much may it be? No clock, no randomness, no I/O: time, state and configuration are inputs.
//!
//! - [`money`]: exact amounts with ISO 4217 exponents.
//! - [`policy`]: the merchant's settings, in document 001's JSON shape.
//! - [`model`]: agreement, history, charge request, outcome.
//! - [`rules`]: one module per rule; [`decision`]: what the engine answers; [`network_rules`]: the
//!   card networks' and regulators' rules as dated data (read by the rules and by policy validation).
//! - [`engine`]: [`engine::evaluate`] and [`engine::limits`]; [`state`]: transitions after a decision.
//! - [`ledger_pruning`]: the bounded ledger, what history no rule can read any more.
//! - [`json`]: the strict JSON reader every input goes through, with field paths in its errors (the
//!   `mitgate-json` crate; input types derive their readers from their serde attributes).
//! - [`api`]: JSON-in, JSON-out entry points shared by every host (native, Node, browser, Worker);
//!   [`agreement_handle`]: the same, on an agreement's state parsed once.

pub mod agreement_handle;
pub mod api;
pub mod decision;
pub mod engine;
pub mod ledger_pruning;
pub mod model;
pub mod money;
pub mod network_rules;
pub mod pan;
pub mod policy;
pub mod rules;
pub mod state;
pub mod time;
pub mod validate;

/// The strict JSON reader every input goes through (the `mitgate-json` crate).
pub use mitgate_json as json;

pub use decision::{Code, Decision, Limits, Verdict, Violation};
pub use engine::{evaluate, limits, Evaluation, LimitsQuery};
pub use money::{Currency, Money, MoneyError};
pub use policy::Policy;
