//! The four processor dialects as the Worker names them: the path prefix of the drop-in proxies, the
//! `dialect` of a stored agreement, and the variable holding each processor's base URL.

use mitgate_json::FromJson;
use serde::Serialize;

use mitgate_dialects::DialectId;

/// The processors mitgate speaks to; the path prefix of the drop-in proxies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, FromJson)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Dialect {
    /// Document 000.
    Infinic,
    /// Document 001.
    Coinflow,
    /// Document 002.
    Spg,
    /// Document 003.
    Axerve,
}

impl Dialect {
    /// Every dialect, in document order.
    pub const ALL: [Dialect; 4] = [Dialect::Infinic, Dialect::Coinflow, Dialect::Spg, Dialect::Axerve];

    /// The name: the proxy's path prefix and the stored `dialect`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Infinic => "infinic",
            Dialect::Coinflow => "coinflow",
            Dialect::Spg => "spg",
            Dialect::Axerve => "axerve",
        }
    }

    /// The `mitgate-dialects` mapping of this processor.
    pub fn id(self) -> DialectId {
        match self {
            Dialect::Infinic => DialectId::Infinic,
            Dialect::Coinflow => DialectId::Coinflow,
            Dialect::Spg => DialectId::Spg,
            Dialect::Axerve => DialectId::Axerve,
        }
    }

    /// The `[vars]` entry holding this processor's base URL.
    pub fn url_var(self) -> &'static str {
        match self {
            Dialect::Infinic => "PROCESSOR_URL_INFINIC",
            Dialect::Coinflow => "PROCESSOR_URL_COINFLOW",
            Dialect::Spg => "PROCESSOR_URL_SPG",
            Dialect::Axerve => "PROCESSOR_URL_AXERVE",
        }
    }
}
