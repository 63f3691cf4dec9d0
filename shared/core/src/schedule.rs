//! Scheduling: campaign start/end and calling windows (days of week + hours)
//! evaluated in the contact's own time zone, falling back to the campaign's,
//! correct across daylight-saving changes.
//!
//! STUB: the public API below is fixed; bodies are filled in by the scheduling work.

use chrono::{DateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Days and local hours in which dialling is allowed. `start` is inclusive,
/// `end` exclusive, both local wall-clock times; `start < end`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CallingWindow {
    #[schemars(with = "Vec<String>")]
    pub days: Vec<Weekday>,
    #[schemars(with = "String")]
    pub start: NaiveTime,
    #[schemars(with = "String")]
    pub end: NaiveTime,
}

/// When a campaign may dial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Schedule {
    /// No dialling before this instant (None: from when it is started).
    pub start: Option<DateTime<Utc>>,
    /// No dialling from this instant on (None: until every contact is done).
    pub end: Option<DateTime<Utc>>,
    /// The campaign's zone, used for contacts without one of their own.
    #[schemars(with = "String")]
    pub timezone: Tz,
    /// Empty means any time between start and end.
    pub windows: Vec<CallingWindow>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("window {index}: start {start} is not before end {end}")]
    EmptyWindow {
        index: usize,
        start: NaiveTime,
        end: NaiveTime,
    },
    #[error("window {index}: no days of the week")]
    NoDays { index: usize },
    #[error("campaign end {end} is not after its start {start}")]
    EndBeforeStart {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
}

impl Schedule {
    pub fn validate(&self) -> Result<(), ScheduleError> {
        todo!("schedule")
    }

    /// True when `at` is inside [start, end) and inside a window in the
    /// contact's zone (`contact_tz`, else the campaign's).
    pub fn is_allowed(&self, at: DateTime<Utc>, contact_tz: Option<Tz>) -> bool {
        let _ = (at, contact_tz);
        todo!("schedule")
    }

    /// The earliest instant `>= from` at which dialling is allowed; None when
    /// there is none before the campaign ends.
    pub fn next_allowed(
        &self,
        from: DateTime<Utc>,
        contact_tz: Option<Tz>,
    ) -> Option<DateTime<Utc>> {
        let _ = (from, contact_tz);
        todo!("schedule")
    }

    /// True once the campaign's end has been reached.
    pub fn has_ended(&self, at: DateTime<Utc>) -> bool {
        self.end.is_some_and(|end| at >= end)
    }

    /// The zone a contact is evaluated in.
    pub fn zone_for(&self, contact_tz: Option<Tz>) -> Tz {
        contact_tz.unwrap_or(self.timezone)
    }
}
