//! Pacing: a calls-per-second limit and a max-concurrent-calls limit
//! (overflow waits, never rejected), and an adaptive pace that lowers the
//! rate when host load or the answer rate crosses thresholds and raises it
//! back gradually, recording every change with its time and reason.
//!
//! - [`admit`] is the admission rule over counters the caller reads
//!   atomically (a shared counter table in production).
//! - [`PaceGate`] is the same rule with its own counters for one process
//!   (the embedded runtime and the virtual-time simulator): it keeps the
//!   active-call count and the starts in the current one-second bucket.
//! - [`AdaptivePace`] turns host-load and answer-rate observations into a
//!   pace between `min_cps` and `target_cps`:
//!   - decrease when `cpu >= cpu_high` ([`PaceReason::HighCpu`]), else when
//!     `memory >= memory_high` ([`PaceReason::HighMemory`]), else when at
//!     least `min_answer_samples` attempts were seen and
//!     `answered / attempts < answer_rate_low` ([`PaceReason::LowAnswerRate`]);
//!     the new pace is `max(min, floor(current * decrease_factor))` and at
//!     least one lower than the current pace;
//!   - increase by `recovery_step_cps` (capped at the target,
//!     [`PaceReason::Recovered`]) only when every signal is clearly healthy:
//!     `cpu < cpu_high - LOAD_HYSTERESIS`, `memory < memory_high -
//!     LOAD_HYSTERESIS`, and the answer rate either has too few samples or is
//!     `>= answer_rate_low + ANSWER_RATE_HYSTERESIS`; in the band between
//!     the pace holds, so a signal hovering at a threshold does not make the
//!     pace flap;
//!   - every change is appended to [`AdaptivePace::changes`].

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
    // A limit of 0 admits nothing: `0 >= 0` makes the caller wait.
    if active >= max_concurrent {
        Admission::WaitForSlot
    } else if started_this_second >= calls_per_second {
        Admission::WaitForRate
    } else {
        Admission::Go
    }
}

/// [`admit`] with its own counters, for a single process that sees every
/// start and finish (the embedded runtime, the virtual-time simulator).
///
/// Starts are counted per whole UTC second of the instant passed to
/// [`PaceGate::try_start`]. Instants are expected not to go backwards; an
/// earlier instant is counted in the latest bucket seen (conservative: it
/// can only make the gate stricter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceGate {
    limits: PaceLimits,
    active: u32,
    /// Unix second of the current bucket; `None` before the first start try.
    bucket: Option<i64>,
    started_in_bucket: u32,
}

impl PaceGate {
    pub fn new(limits: PaceLimits) -> Self {
        Self {
            limits,
            active: 0,
            bucket: None,
            started_in_bucket: 0,
        }
    }

    pub fn limits(&self) -> PaceLimits {
        self.limits
    }

    /// Changes the limits (e.g. to the adaptive pace); calls already in
    /// progress are not affected, new starts obey the new limits at once.
    pub fn set_limits(&mut self, limits: PaceLimits) {
        self.limits = limits;
    }

    /// Changes only the calls-per-second limit.
    pub fn set_calls_per_second(&mut self, cps: u32) {
        self.limits.calls_per_second = cps;
    }

    pub fn active(&self) -> u32 {
        self.active
    }

    /// Starts counted in the current one-second bucket.
    pub fn started_this_second(&self) -> u32 {
        self.started_in_bucket
    }

    /// Asks to start a call at `at`; on [`Admission::Go`] the call is
    /// counted as active and as started in `at`'s second.
    pub fn try_start(&mut self, at: DateTime<Utc>) -> Admission {
        let second = at.timestamp();
        match self.bucket {
            Some(current) if second <= current => {}
            _ => {
                self.bucket = Some(second);
                self.started_in_bucket = 0;
            }
        }
        let admission = admit(
            self.active,
            self.started_in_bucket,
            self.limits.max_concurrent,
            self.limits.calls_per_second,
        );
        if admission == Admission::Go {
            self.active = self.active.saturating_add(1);
            self.started_in_bucket = self.started_in_bucket.saturating_add(1);
        }
        admission
    }

    /// A call admitted earlier has ended (any outcome). A finish without a
    /// matching start is ignored rather than wrapping the counter.
    pub fn finish(&mut self) {
        self.active = self.active.saturating_sub(1);
    }

    /// When a call refused with [`Admission::WaitForRate`] may try again:
    /// the start of the next one-second bucket (`None` before any try).
    pub fn next_rate_window(&self) -> Option<DateTime<Utc>> {
        self.bucket
            .and_then(|s| s.checked_add(1))
            .and_then(|s| DateTime::from_timestamp(s, 0))
    }
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

/// How far below `cpu_high` / `memory_high` the load must fall before the
/// pace recovers (hysteresis, in load fraction).
pub const LOAD_HYSTERESIS: f64 = 0.1;

/// How far above `answer_rate_low` the answer rate must be (when there are
/// enough samples) before the pace recovers.
pub const ANSWER_RATE_HYSTERESIS: f64 = 0.05;

impl Default for AdaptiveConfig {
    /// Target 10 cps, floor 1 cps, CPU 80 %, memory 85 %, answer rate 20 %
    /// over at least 50 attempts, halve on trouble, recover 1 cps per
    /// healthy observation.
    fn default() -> Self {
        Self {
            target_cps: 10,
            min_cps: 1,
            cpu_high: 0.8,
            memory_high: 0.85,
            answer_rate_low: 0.2,
            min_answer_samples: 50,
            decrease_factor: 0.5,
            recovery_step_cps: 1,
        }
    }
}

impl AdaptiveConfig {
    /// The defaults around a configured pace (`min_cps` is 1, or 0 when the
    /// target itself is 0).
    pub fn for_target(target_cps: u32) -> Self {
        Self {
            target_cps,
            min_cps: 1.min(target_cps),
            ..Self::default()
        }
    }

    /// The floor actually used: `min_cps`, but never above the target, so
    /// "never below min" and "never above target" cannot conflict.
    pub fn effective_min_cps(&self) -> u32 {
        self.min_cps.min(self.target_cps)
    }
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

    /// The rule picked up at `current` (kept between the configured floor
    /// and target), e.g. from a stored pace; no changes recorded yet.
    pub fn resume(config: AdaptiveConfig, current: u32) -> Self {
        let current = current.clamp(config.effective_min_cps(), config.target_cps);
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
    ///
    /// Non-finite load values (NaN) are neither "high" nor "healthy": the
    /// pace holds.
    pub fn observe(
        &mut self,
        at: DateTime<Utc>,
        load: HostLoad,
        answers: (u32, u32),
    ) -> Option<PaceChange> {
        let config = &self.config;
        let (answered, attempts) = answers;
        let enough_samples = attempts > 0 && attempts >= config.min_answer_samples;
        let answer_rate = f64::from(answered) / f64::from(attempts.max(1));

        let trouble = if load.cpu >= config.cpu_high {
            Some(PaceReason::HighCpu)
        } else if load.memory >= config.memory_high {
            Some(PaceReason::HighMemory)
        } else if enough_samples && answer_rate < config.answer_rate_low {
            Some(PaceReason::LowAnswerRate)
        } else {
            None
        };

        let (to_cps, reason) = if let Some(reason) = trouble {
            (self.decreased(), reason)
        } else {
            let healthy = load.cpu < config.cpu_high - LOAD_HYSTERESIS
                && load.memory < config.memory_high - LOAD_HYSTERESIS
                && (!enough_samples
                    || answer_rate >= config.answer_rate_low + ANSWER_RATE_HYSTERESIS);
            if !healthy {
                return None;
            }
            (self.increased(), PaceReason::Recovered)
        };

        if to_cps == self.current {
            return None;
        }
        let change = PaceChange {
            at,
            from_cps: self.current,
            to_cps,
            reason,
        };
        self.current = to_cps;
        self.changes.push(change.clone());
        Some(change)
    }

    /// The pace after one decrease step (unchanged when already at the floor).
    fn decreased(&self) -> u32 {
        let min = self.config.effective_min_cps();
        if self.current <= min {
            return self.current;
        }
        // `as` saturates (NaN -> 0), so a bad factor cannot wrap around.
        let scaled = (f64::from(self.current) * self.config.decrease_factor).floor() as u32;
        // At least one lower, so a factor near 1 still makes progress.
        scaled.min(self.current - 1).max(min)
    }

    /// The pace after one recovery step, capped at the target.
    fn increased(&self) -> u32 {
        self.current
            .saturating_add(self.config.recovery_step_cps)
            .min(self.config.target_cps)
    }

    /// Every change made so far, oldest first.
    pub fn changes(&self) -> &[PaceChange] {
        &self.changes
    }
}
