//! Retry policy: which outcomes retry, max attempts, and the day-and-time
//! rules of `004_*` (`day_of_week`, `start_time`, `end_time`,
//! `retry_interval_minutes`) giving the next retry instant.
//!
//! STUB: the public API below is fixed; bodies are filled in by the scheduling work.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::outcome::CallOutcome;

/// One rule, exactly as `config/retry_config.yaml` in `004_*` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryRule {
    /// `monday` … `sunday` (case-insensitive).
    pub day_of_week: String,
    /// `HH:MM:SS` local time, inclusive.
    #[schemars(with = "String")]
    pub start_time: NaiveTime,
    /// `HH:MM:SS` local time, exclusive.
    #[schemars(with = "String")]
    pub end_time: NaiveTime,
    pub retry_interval_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RetryPolicy {
    /// Total attempts including the first (default 3).
    pub max_attempts: u32,
    pub retry_on: BTreeSet<CallOutcome>,
    /// Day-and-time rules; empty means "retry after `default_interval_minutes`".
    pub rules: Vec<RetryRule>,
    pub default_interval_minutes: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            retry_on: CallOutcome::ALL
                .into_iter()
                .filter(|o| o.is_retryable_by_default())
                .collect(),
            rules: Vec::new(),
            default_interval_minutes: 60,
        }
    }
}

/// What happens after an attempt ended with some outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "decision", content = "at")]
pub enum RetryDecision {
    RetryAt(DateTime<Utc>),
    /// The outcome retries but the attempts are used up.
    Exhausted,
    /// The outcome is final (answered, converted, opted out, blacklisted…).
    Final,
}

#[derive(Debug, thiserror::Error)]
pub enum RetryConfigError {
    #[error("retry rules are not valid YAML: {0}")]
    Yaml(String),
    #[error("rule {index}: unknown day_of_week {value:?}")]
    UnknownDay { index: usize, value: String },
    #[error("rule {index}: start_time {start} is not before end_time {end}")]
    EmptyWindow {
        index: usize,
        start: NaiveTime,
        end: NaiveTime,
    },
    #[error("rule {index}: retry_interval_minutes must be at least 1")]
    ZeroInterval { index: usize },
    #[error("max_attempts must be at least 1")]
    ZeroAttempts,
}

impl RetryPolicy {
    /// Parses a rule list in the `004_*` YAML format and validates it.
    pub fn rules_from_yaml(yaml: &str) -> Result<Vec<RetryRule>, RetryConfigError> {
        let _ = yaml;
        todo!("retry")
    }

    pub fn validate(&self) -> Result<(), RetryConfigError> {
        todo!("retry")
    }

    /// `attempts_made` counts the attempt that just ended. `tz` is the zone
    /// the rules are read in (the contact's, else the campaign's).
    pub fn decide(
        &self,
        outcome: CallOutcome,
        attempts_made: u32,
        ended_at: DateTime<Utc>,
        tz: Tz,
    ) -> RetryDecision {
        let _ = (outcome, attempts_made, ended_at, tz);
        todo!("retry")
    }
}
