//! Contacts as stored per campaign: the imported data plus dialling state.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::ids::{CampaignId, ContactId};
use crate::optimal_time::Observation;
use crate::outcome::CallOutcome;
use crate::phone::{Delivery, LineType, PhoneNumber};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactStatus {
    /// Waiting for its first or next attempt (`next_attempt_at`).
    Pending,
    /// A dial task is queued or a call is in progress.
    InProgress,
    /// Reached a final outcome (answered, converted, opted out).
    Completed,
    /// Retryable outcomes until the attempts ran out.
    Failed,
    /// On the do-not-call list; never dialled.
    Blacklisted,
}

impl ContactStatus {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            ContactStatus::Completed | ContactStatus::Failed | ContactStatus::Blacklisted
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ContactStatus::Pending => "pending",
            ContactStatus::InProgress => "in_progress",
            ContactStatus::Completed => "completed",
            ContactStatus::Failed => "failed",
            ContactStatus::Blacklisted => "blacklisted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Contact {
    pub id: ContactId,
    pub campaign_id: CampaignId,
    pub phone: PhoneNumber,
    pub line_type: LineType,
    pub delivery: Delivery,
    #[schemars(with = "Option<String>")]
    pub timezone: Option<Tz>,
    /// Shared: written once at import, read by every attempt (and a contact
    /// is cloned out of the store for each of them).
    #[schemars(with = "BTreeMap<String, String>")]
    pub metadata: std::sync::Arc<BTreeMap<String, String>>,
    pub status: ContactStatus,
    /// Attempts placed so far.
    pub attempts: u32,
    /// Not to be dialled before this instant (None: as soon as allowed).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_outcome: Option<CallOutcome>,
    /// Attempts whose outcome has been applied (retry decided): a replayed
    /// end event of an attempt already counted here changes nothing.
    #[serde(default)]
    pub settled_attempts: u32,
    /// Past attempts, for the optimal-call-time model (bounded).
    #[serde(default)]
    #[schemars(skip)]
    pub history: Vec<Observation>,
}

impl Contact {
    /// Most observations kept per contact.
    pub const HISTORY_LIMIT: usize = 32;

    pub fn push_observation(&mut self, o: Observation) {
        if self.history.len() == Self::HISTORY_LIMIT {
            self.history.remove(0);
        }
        self.history.push(o);
    }
}
