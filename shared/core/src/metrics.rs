//! Metrics: per-campaign and aggregate outcome counts and the rates derived
//! from them; rates are always computed from the counts, never stored.
//!
//! STUB: the public API below is fixed; bodies are filled in by the pacing work.

use serde::{Deserialize, Serialize};

use crate::outcome::CallOutcome;

/// Counts of attempt outcomes plus follow-up results.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct OutcomeCounts {
    /// Calls actually placed (blacklisted pre-dial skips are not attempts).
    pub attempts: u64,
    pub answered: u64,
    pub converted: u64,
    pub opted_out: u64,
    pub busy: u64,
    pub no_answer: u64,
    pub failed: u64,
    pub disconnected: u64,
    pub blacklisted: u64,
    pub sms_sent: u64,
    pub sms_failed: u64,
    pub tts_delivered: u64,
    pub tts_failed: u64,
}

/// Rates in 0.0–1.0, 0 when there is nothing to divide by.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Rates {
    /// Answered-type outcomes / attempts.
    pub answer_rate: f64,
    /// Converted / answered-type outcomes.
    pub conversion_rate: f64,
    /// Opted out / answered-type outcomes.
    pub opt_out_rate: f64,
    pub busy_rate: f64,
    pub no_answer_rate: f64,
    pub failure_rate: f64,
}

/// Follow-up (key 1) delivery results counted beside call outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpResult {
    SmsSent,
    SmsFailed,
    TtsDelivered,
    TtsFailed,
}

impl OutcomeCounts {
    pub fn record(&mut self, outcome: CallOutcome) {
        let _ = outcome;
        todo!("metrics")
    }

    pub fn record_follow_up(&mut self, result: FollowUpResult) {
        let _ = result;
        todo!("metrics")
    }

    /// Answered-type outcomes (answered + converted + opted out + disconnected).
    pub fn answered_total(&self) -> u64 {
        todo!("metrics")
    }

    pub fn merge(&mut self, other: &OutcomeCounts) {
        let _ = other;
        todo!("metrics")
    }

    pub fn rates(&self) -> Rates {
        todo!("metrics")
    }
}

/// Sum over many campaigns.
pub fn aggregate<'a>(counts: impl IntoIterator<Item = &'a OutcomeCounts>) -> OutcomeCounts {
    let _ = counts;
    todo!("metrics")
}
