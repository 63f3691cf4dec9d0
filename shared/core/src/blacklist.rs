//! Blacklist (do-not-call) rules: a listed number is never dialled or sent an
//! SMS, in any campaign; entries carry the number, when, why and from where.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::phone::PhoneNumber;

/// Where a blacklist entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BlacklistSource {
    /// The recipient pressed the opt-out key (or asked otherwise).
    UserOptout,
    /// An administrator added or imported it.
    AdminImport,
    /// A regulator's or carrier's do-not-call list.
    Compliance,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BlacklistEntry {
    pub phone: PhoneNumber,
    pub added_at: DateTime<Utc>,
    pub reason: String,
    pub source: BlacklistSource,
}

impl BlacklistEntry {
    pub fn new(
        phone: PhoneNumber,
        added_at: DateTime<Utc>,
        reason: impl Into<String>,
        source: BlacklistSource,
    ) -> Self {
        Self {
            phone,
            added_at,
            reason: reason.into(),
            source,
        }
    }
}

/// A change to the list, kept as its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum BlacklistChange {
    Added {
        entry: BlacklistEntry,
    },
    Removed {
        phone: PhoneNumber,
        at: DateTime<Utc>,
        by: String,
    },
}
