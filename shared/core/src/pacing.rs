//! Pacing: a calls-per-second limit and a max-concurrent-calls limit
//! (overflow waits, never rejected), and an adaptive pace that lowers the
//! rate when host load or the answer rate crosses thresholds and raises it
//! back gradually, recording every change with its time and reason.
//!
//! STUB: the public API below is fixed; bodies are filled in by the pacing work.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PaceLimits {
    pub calls_per_second: u32,
    pub max_concurrent: u32,
}

impl Default for PaceLimits {
    fn default() -> Self {
        Self {
            calls_per_second: 10,
            max_concurrent: 100,
        }
    }
}

/// Whether a call may start now. Anything but `Go` waits (is retried later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Admission {
    Go,
    WaitForSlot,
    WaitForRate,
}

/// The admission rule over counters read atomically by the caller:
/// `active` calls in progress, `started_this_second` calls started in the
/// current one-second bucket, and the pace in force.
pub fn admit(
    active: u32,
    started_this_second: u32,
    max_concurrent: u32,
    calls_per_second: u32,
) -> Admission {
    let _ = (
        active,
        started_this_second,
        max_concurrent,
        calls_per_second,
    );
    todo!("pacing")
}

/// Host health as the telephony host reports it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HostLoad {
    /// 0.0–1.0
    pub cpu: f64,
    /// 0.0–1.0
    pub memory: f64,
    pub active_channels: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdaptiveConfig {
    /// The configured (maximum) pace.
    pub target_cps: u32,
    pub min_cps: u32,
    pub cpu_high: f64,
    pub memory_high: f64,
    /// Below this answer rate (with enough samples) the pace drops.
    pub answer_rate_low: f64,
    pub min_answer_samples: u32,
    /// Multiplier applied on a decrease (e.g. 0.5).
    pub decrease_factor: f64,
    /// Added per healthy observation while below target.
    pub recovery_step_cps: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaceReason {
    HighCpu,
    HighMemory,
    LowAnswerRate,
    Recovered,
}

/// One recorded change of pace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaceChange {
    pub at: DateTime<Utc>,
    pub from_cps: u32,
    pub to_cps: u32,
    pub reason: PaceReason,
}

#[derive(Debug, Clone)]
pub struct AdaptivePace {
    config: AdaptiveConfig,
    current: u32,
    changes: Vec<PaceChange>,
}

impl AdaptivePace {
    pub fn new(config: AdaptiveConfig) -> Self {
        let current = config.target_cps;
        Self {
            config,
            current,
            changes: Vec::new(),
        }
    }

    pub fn current_cps(&self) -> u32 {
        self.current
    }

    pub fn config(&self) -> &AdaptiveConfig {
        &self.config
    }

    /// Feeds one observation; returns the change made, if any.
    /// `answer_rate` is (answered, attempts) over the recent period.
    pub fn observe(
        &mut self,
        at: DateTime<Utc>,
        load: HostLoad,
        answers: (u32, u32),
    ) -> Option<PaceChange> {
        let _ = (at, load, answers, &mut self.changes);
        todo!("pacing")
    }

    /// Every change made so far, oldest first.
    pub fn changes(&self) -> &[PaceChange] {
        &self.changes
    }
}
