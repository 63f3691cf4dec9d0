//! Optimal call time: per contact, a predicted best hour-of-week from its own
//! call history blended with a population default, so every contact gets a
//! prediction; used to order who is dialled first.
//!
//! STUB: the public API below is fixed; bodies are filled in by the pacing work.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Hour of the week in local time: Monday 00:00–00:59 is 0, Sunday 23:00 is 167.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(transparent)]
pub struct HourOfWeek(u8);

impl HourOfWeek {
    pub const COUNT: usize = 168;

    pub fn new(h: u8) -> Option<Self> {
        ((h as usize) < Self::COUNT).then_some(Self(h))
    }

    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The local hour-of-week of an instant in a zone.
    pub fn of(at: DateTime<Utc>, tz: Tz) -> Self {
        let _ = (at, tz);
        todo!("optimal time")
    }
}

/// One past attempt: when (local hour of week) and whether it was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub hour: HourOfWeek,
    pub answered: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub best_hour: HourOfWeek,
    /// Predicted answer probability at `best_hour`.
    pub score: f64,
    /// True when the contact's own history influenced the prediction.
    pub personalised: bool,
}

/// Population answer-rate prior per hour-of-week, and how strongly it
/// weighs against a contact's own history.
#[derive(Debug, Clone, PartialEq)]
pub struct CallTimeModel {
    population: Vec<f64>,
    prior_weight: f64,
}

impl Default for CallTimeModel {
    fn default() -> Self {
        todo!("optimal time")
    }
}

impl CallTimeModel {
    /// Predicted answer probability at `hour` for a contact with `history`.
    pub fn score(&self, history: &[Observation], hour: HourOfWeek) -> f64 {
        let _ = (history, hour, &self.population, self.prior_weight);
        todo!("optimal time")
    }

    pub fn predict(&self, history: &[Observation]) -> Prediction {
        let _ = history;
        todo!("optimal time")
    }
}
